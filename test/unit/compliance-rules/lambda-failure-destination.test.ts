import { Stack } from 'aws-cdk-lib';
import { CfnEventInvokeConfig } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { hardenedFunction, plainFunction } from './lambda-fixtures';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'LambdaFailureDestination';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:111111111111:failures';
const SAM = 'AWS::Serverless::Function';

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      compliant.addTransform('AWS::Serverless-2016-10-31');
      hardenedFunction(compliant, 'WithDeadLetterQueue');
      hardenedFunction(compliant, 'WithOnFailure', { deadLetterQueue: undefined, onFailure: new SqsDestination(new Queue(compliant, 'Failures')) });
      plainFunction(compliant, 'PlainWithDeadLetterQueue');
      const byRef = plainFunction(compliant, 'PlainInvokeConfigByRef', { DeadLetterConfig: undefined });
      new CfnEventInvokeConfig(compliant, 'ByRefConfig', { functionName: byRef.ref, qualifier: '$LATEST', destinationConfig: { onFailure: { destination: QUEUE_ARN } } });
      plainFunction(compliant, 'PlainInvokeConfigByName', { DeadLetterConfig: undefined, FunctionName: 'named-function' });
      new CfnEventInvokeConfig(compliant, 'ByNameConfig', { functionName: 'named-function', qualifier: '$LATEST', destinationConfig: { onFailure: { destination: QUEUE_ARN } } });
      plainFunction(compliant, 'SamWithDeadLetterQueue', {}, SAM);
      // SAM creates the queue itself when OnFailure names only its type.
      plainFunction(compliant, 'SamWithOnFailure', { DeadLetterQueue: undefined, EventInvokeConfig: { DestinationConfig: { OnFailure: { Type: 'SQS' } } } }, SAM);

      const nonCompliant = new Stack(app, 'NonCompliant');
      hardenedFunction(nonCompliant, 'Neither', { deadLetterQueue: undefined });
      plainFunction(nonCompliant, 'PlainNeither', { DeadLetterConfig: undefined });
      const onSuccessOnly = plainFunction(nonCompliant, 'OnSuccessOnly', { DeadLetterConfig: undefined });
      new CfnEventInvokeConfig(nonCompliant, 'OnSuccessConfig', { functionName: onSuccessOnly.ref, qualifier: '$LATEST', destinationConfig: { onSuccess: { destination: QUEUE_ARN } } });
      // An on-failure destination of another function does not count for this one.
      const other = plainFunction(nonCompliant, 'OtherFunction');
      plainFunction(nonCompliant, 'ConfigOfAnother', { DeadLetterConfig: undefined });
      new CfnEventInvokeConfig(nonCompliant, 'AnotherConfig', { functionName: other.ref, qualifier: '$LATEST', destinationConfig: { onFailure: { destination: QUEUE_ARN } } });
      plainFunction(nonCompliant, 'SamNeither', { DeadLetterQueue: undefined }, SAM);
    });
  });

  test('a dead-letter queue or an on-failure destination (EventInvokeConfig by reference or name, SAM inline) is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('functions with neither, with only an on-success destination, or whose config is another function\'s are non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/ConfigOfAnother',
      'NonCompliant/Neither/Resource',
      'NonCompliant/OnSuccessOnly',
      'NonCompliant/PlainNeither',
      'NonCompliant/SamNeither',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
