import { Stack } from 'aws-cdk-lib';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { encryptedLogGroup, hardenedFunction, KEY_ARN, plainFunction } from './lambda-fixtures';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'LambdaEncryptedLogGroup';

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      hardenedFunction(compliant, 'Hardened');
      plainFunction(compliant, 'PlainByRef');
      encryptedLogGroup(compliant, 'NamedLogs', { logGroupName: '/pipeline/named' });
      plainFunction(compliant, 'PlainByName', { LoggingConfig: { LogGroup: '/pipeline/named' } });

      const nonCompliant = new Stack(app, 'NonCompliant');
      hardenedFunction(nonCompliant, 'ImplicitGroup', { logGroup: undefined });
      // No LoggingConfig: Lambda writes to /aws/lambda/<name>, unencrypted and kept forever (CDK's provider functions).
      plainFunction(nonCompliant, 'PlainImplicitGroup', { LoggingConfig: undefined });
      const unencrypted = new CfnLogGroup(nonCompliant, 'UnencryptedLogs', { retentionInDays: 30 });
      plainFunction(nonCompliant, 'ToUnencrypted', { LoggingConfig: { LogGroup: unencrypted.ref } });
      const forever = new CfnLogGroup(nonCompliant, 'ForeverLogs', { kmsKeyId: KEY_ARN });
      plainFunction(nonCompliant, 'ToNoRetention', { LoggingConfig: { LogGroup: forever.ref } });
      plainFunction(nonCompliant, 'ToGroupOutsideStack', { LoggingConfig: { LogGroup: '/somewhere/else' } });
    });
  });

  test('logging to an encrypted log group with retention of this stack (by reference or by name) is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('the implicit group, an unencrypted or never-expiring group, or one outside the stack is non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/ImplicitGroup/Resource',
      'NonCompliant/PlainImplicitGroup',
      'NonCompliant/ToGroupOutsideStack',
      'NonCompliant/ToNoRetention',
      'NonCompliant/ToUnencrypted',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
