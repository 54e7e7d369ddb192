import { CfnResource, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { CfnLogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { KEY_ARN } from './lambda-fixtures';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'LogGroupEncryptedWithRetention';

describe(`DataPipeline-${RULE} judges every AWS::Logs::LogGroup by type`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      new LogGroup(compliant, 'L2', { encryptionKey: new Key(compliant, 'Key'), retention: RetentionDays.ONE_YEAR });
      new CfnResource(compliant, 'Plain', { type: 'AWS::Logs::LogGroup', properties: { KmsKeyId: KEY_ARN, RetentionInDays: 90 } });

      const nonCompliant = new Stack(app, 'NonCompliant');
      new LogGroup(nonCompliant, 'Forever', { encryptionKey: new Key(nonCompliant, 'Key'), retention: RetentionDays.INFINITE });
      new CfnLogGroup(nonCompliant, 'Unencrypted', { retentionInDays: 30 });
      // A plain CfnResource used to pass unread (the rule recognised CfnLogGroup instances only).
      new CfnResource(nonCompliant, 'PlainUnencrypted', { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 30 } });
      new CfnResource(nonCompliant, 'PlainForever', { type: 'AWS::Logs::LogGroup', properties: { KmsKeyId: KEY_ARN } });
    });
  });

  test('a customer-managed key and a retention are compliant, for an L2 or a plain CfnResource', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('no key or no retention is non-compliant, for plain CfnResources too', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/Forever/Resource',
      'NonCompliant/PlainForever',
      'NonCompliant/PlainUnencrypted',
      'NonCompliant/Unencrypted',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
