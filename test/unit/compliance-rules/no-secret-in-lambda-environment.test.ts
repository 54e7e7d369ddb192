import { Stack } from 'aws-cdk-lib';
import { hardenedFunction, plainFunction } from './lambda-fixtures';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'NoSecretInLambdaEnvironment';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipeline/api';

describe(`DataPipeline-${RULE} is applied to every function by CloudFormation type`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      hardenedFunction(compliant, 'L2Reference', { environment: { API_SECRET_ARN: SECRET_ARN } });
      plainFunction(compliant, 'PlainReference', { Environment: { Variables: { API_SECRET_ARN: SECRET_ARN, LOG_LEVEL: 'INFO' } } });

      const nonCompliant = new Stack(app, 'NonCompliant');
      hardenedFunction(nonCompliant, 'L2Password', { environment: { DB_PASSWORD: 'hunter2hunter2' } });
      // Plain CfnResources (CDK's provider functions, other libraries) used to pass unread.
      plainFunction(nonCompliant, 'PlainPassword', { Environment: { Variables: { DB_PASSWORD: 'hunter2hunter2' } } });
      plainFunction(nonCompliant, 'SamAccessKey', { Environment: { Variables: { SETTING: 'AKIAABCDEFGHIJKLMNOP' } } }, 'AWS::Serverless::Function');
    });
  });

  test('functions that pass references to secrets are compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('a secret value in the environment is reported for CfnFunction, plain CfnResource and SAM functions alike', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/L2Password/Resource',
      'NonCompliant/PlainPassword',
      'NonCompliant/SamAccessKey',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
