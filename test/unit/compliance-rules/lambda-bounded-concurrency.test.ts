import { CfnParameter, CfnResource, CustomResource, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnEventSourceMapping, CfnPermission, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { hardenedFunction, plainFunction } from './lambda-fixtures';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'LambdaBoundedConcurrency';
const KAFKA_ARN = 'arn:aws:kafka:eu-west-1:111111111111:cluster/c/00000000-0000-0000-0000-000000000000-1';
const ACCOUNT = '111111111111';

/** A function that reserves nothing, as PipelineFunction makes them by default. */
function unreserved(scope: Construct, id: string, overrides: Record<string, unknown> = {}): CfnResource {
  return plainFunction(scope, id, { ReservedConcurrentExecutions: undefined, ...overrides });
}

function kafkaMapping(scope: Construct, id: string, fn: CfnResource, source: string, pollers?: number): CfnEventSourceMapping {
  return new CfnEventSourceMapping(scope, id, {
    functionName: fn.ref, eventSourceArn: source, topics: ['t.clean'], startingPosition: 'TRIM_HORIZON',
    ...(pollers !== undefined ? { provisionedPollerConfig: { minimumPollers: 1, maximumPollers: pollers } } : {}),
  });
}

function customResource(scope: Construct, id: string, fn: CfnResource, type = 'Custom::Thing'): CfnResource {
  return new CfnResource(scope, id, { type, properties: { ServiceToken: fn.getAtt('Arn') } });
}

/** A secret, a permission for Secrets Manager naming it, and a rotation schedule naming `rotatedBy`. */
function rotation(scope: Construct, id: string, permitted: CfnResource, rotatedBy: CfnResource): void {
  const secret = new CfnResource(scope, `${id}Secret`, { type: 'AWS::SecretsManager::Secret', properties: { KmsKeyId: 'alias/x' } });
  new CfnPermission(scope, `${id}Permission`, {
    action: 'lambda:InvokeFunction', functionName: permitted.getAtt('Arn').toString(), principal: 'secretsmanager.amazonaws.com',
    sourceArn: secret.ref, sourceAccount: ACCOUNT,
  });
  new CfnResource(scope, `${id}Schedule`, {
    type: 'AWS::SecretsManager::RotationSchedule',
    properties: { SecretId: secret.ref, RotationLambdaARN: rotatedBy.getAtt('Arn'), RotationRules: { ScheduleExpression: 'rate(4 hours)' } },
  });
}

function permission(scope: Construct, id: string, functionName: string, principal: string, sourceArn?: string): CfnPermission {
  return new CfnPermission(scope, id, { action: 'lambda:InvokeFunction', functionName, principal, ...(sourceArn ? { sourceArn } : {}) });
}

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      hardenedFunction(compliant, 'Hardened');
      plainFunction(compliant, 'PlainOne');

      const sqs = hardenedFunction(compliant, 'SqsBounded', { reservedConcurrentExecutions: undefined });
      sqs.addEventSourceMapping('FromQueue', { eventSourceArn: new Queue(compliant, 'Queue').queueArn, maxConcurrency: 5 });

      kafkaMapping(compliant, 'KafkaMapping', unreserved(compliant, 'KafkaBounded'), KAFKA_ARN, 3);
      const cluster = new CfnResource(compliant, 'Cluster', { type: 'AWS::MSK::Cluster', properties: { ClusterName: 'c' } });
      kafkaMapping(compliant, 'MskMapping', unreserved(compliant, 'MskBounded'), cluster.getAtt('Arn').toString(), 1);

      const scheduled = hardenedFunction(compliant, 'Scheduled', { reservedConcurrentExecutions: undefined });
      new Rule(compliant, 'Every15', { schedule: Schedule.expression('rate(15 minutes)') }).addTarget(new LambdaFunction(scheduled));
      const scheduler = unreserved(compliant, 'SchedulerTarget');
      new CfnResource(compliant, 'SchedulerSchedule', {
        type: 'AWS::Scheduler::Schedule',
        properties: { ScheduleExpression: 'rate(1 hour)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: scheduler.getAtt('Arn'), RoleArn: 'arn:aws:iam::111111111111:role/s' } },
      });

      const provider = unreserved(compliant, 'CustomResourceOnly');
      customResource(compliant, 'Lookup', provider);
      customResource(compliant, 'Bootstrap', provider, 'AWS::CloudFormation::CustomResource');
      const l2Provider = hardenedFunction(compliant, 'L2CustomResource', { reservedConcurrentExecutions: undefined });
      new CustomResource(compliant, 'L2Lookup', { serviceToken: l2Provider.functionArn });

      const rotator = unreserved(compliant, 'Rotation');
      rotation(compliant, 'Credential', rotator, rotator);

      const both = unreserved(compliant, 'QueueAndCustomResource');
      both.node.addDependency(customResource(compliant, 'BothLookup', both));
      new CfnEventSourceMapping(compliant, 'BothMapping', {
        functionName: both.ref, eventSourceArn: new Queue(compliant, 'BothQueue').queueArn, scalingConfig: { maximumConcurrency: 2 },
      });

      // A custom resource that only passes the ARN along does not invoke it: the function stays bounded by its own.
      const passed = unreserved(compliant, 'PassedAsProperty');
      customResource(compliant, 'PassedLookup', passed);
      new CfnResource(compliant, 'Configures', { type: 'Custom::Configure', properties: { ServiceToken: provider.getAtt('Arn'), Target: passed.getAtt('Arn') } });

      const nonCompliant = new Stack(app, 'NonCompliant');
      // What every pipeline function would be without its bound: neither reserved nor bounded where it is invoked.
      hardenedFunction(nonCompliant, 'Unreserved', { reservedConcurrentExecutions: undefined });
      unreserved(nonCompliant, 'PlainUnreserved');
      // Zero reserved concurrency throttles every invocation: a disabled function, not a bounded one.
      plainFunction(nonCompliant, 'Zero', { ReservedConcurrentExecutions: 0 });
      const concurrency = new CfnParameter(nonCompliant, 'Concurrency', { type: 'Number' });
      plainFunction(nonCompliant, 'FromParameter', { ReservedConcurrentExecutions: concurrency.valueAsNumber });

      const sqsOpen = hardenedFunction(nonCompliant, 'SqsUnbounded', { reservedConcurrentExecutions: undefined });
      sqsOpen.addEventSourceMapping('FromQueue', { eventSourceArn: new Queue(nonCompliant, 'Queue').queueArn });
      kafkaMapping(nonCompliant, 'KafkaMapping', unreserved(nonCompliant, 'KafkaOnDemand'), KAFKA_ARN);
      // A Kinesis mapping scales with shards × parallelization: no maximum in the template.
      new CfnEventSourceMapping(nonCompliant, 'StreamMapping', {
        functionName: unreserved(nonCompliant, 'KinesisMapped').ref, eventSourceArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/s',
        startingPosition: 'LATEST', scalingConfig: { maximumConcurrency: 5 },
      });
      // A poller maximum on an SQS mapping is not MaximumConcurrency.
      new CfnEventSourceMapping(nonCompliant, 'SqsPollers', {
        functionName: unreserved(nonCompliant, 'SqsPollersOnly').ref, eventSourceArn: new Queue(nonCompliant, 'PollersQueue').queueArn,
        provisionedPollerConfig: { minimumPollers: 2, maximumPollers: 2 },
      });

      const anyone = unreserved(nonCompliant, 'AnyPrincipal');
      customResource(nonCompliant, 'AnyoneLookup', anyone);
      permission(nonCompliant, 'AnyoneMayInvoke', anyone.getAtt('Arn').toString(), '*');
      const bucketInvoked = unreserved(nonCompliant, 'BucketNotification');
      permission(nonCompliant, 'BucketMayInvoke', bucketInvoked.getAtt('Arn').toString(), 's3.amazonaws.com', 'arn:aws:s3:::some-bucket');

      const onEvents = hardenedFunction(nonCompliant, 'EventPattern', { reservedConcurrentExecutions: undefined });
      new Rule(nonCompliant, 'OnEvents', { eventPattern: { source: ['aws.s3'] } }).addTarget(new LambdaFunction(onEvents));

      const url = hardenedFunction(nonCompliant, 'FunctionUrl', { reservedConcurrentExecutions: undefined });
      url.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
      new CustomResource(nonCompliant, 'UrlLookup', { serviceToken: url.functionArn });

      const subscribed = hardenedFunction(nonCompliant, 'SnsSubscription', { reservedConcurrentExecutions: undefined });
      new Topic(nonCompliant, 'Topic').addSubscription(new LambdaSubscription(subscribed));

      const aliased = hardenedFunction(nonCompliant, 'AliasPermission', { reservedConcurrentExecutions: undefined });
      new CustomResource(nonCompliant, 'AliasedLookup', { serviceToken: aliased.functionArn });
      aliased.addAlias('live').grantInvoke(new AnyPrincipal());

      // Secrets Manager may invoke it for a secret another function rotates: not a rotation it is bounded by. (The other
      // function, named by the rotation schedule, is bounded by that rotation.)
      const notTheRotator = unreserved(nonCompliant, 'RotationOfAnother');
      rotation(nonCompliant, 'Other', notTheRotator, unreserved(nonCompliant, 'TheRotator'));

      const named = unreserved(nonCompliant, 'ByLiteralName', { FunctionName: 'named-fn' });
      customResource(nonCompliant, 'NamedLookup', named);
      permission(nonCompliant, 'NamedMayInvoke', 'arn:aws:lambda:eu-west-1:111111111111:function:named-fn', 'events.amazonaws.com', 'arn:aws:events:eu-west-1:111111111111:rule/any');
      // Another function's destination runs once per result of that function.
      const destination = unreserved(nonCompliant, 'DestinationOfAnother');
      customResource(nonCompliant, 'DestinationLookup', destination);
      new CfnResource(nonCompliant, 'SourceInvokeConfig', {
        type: 'AWS::Lambda::EventInvokeConfig',
        properties: { FunctionName: unreserved(nonCompliant, 'Source').ref, Qualifier: '$LATEST', DestinationConfig: { OnSuccess: { Destination: destination.getAtt('Arn') } } },
      });
      hardenedFunction(nonCompliant, 'GrantedToService', { reservedConcurrentExecutions: undefined })
        .grantInvoke(new ServicePrincipal('apigateway.amazonaws.com'));
    });
  });

  test('a reservation of at least 1, or invokers that each carry a bound (SQS maximum concurrency, Kafka pollers, schedule, rotation, custom resources) is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('no reservation and no bound, zero or a parameter, or any invoker without a bound is non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/AliasPermission/Resource',
      'NonCompliant/AnyPrincipal',
      'NonCompliant/BucketNotification',
      'NonCompliant/ByLiteralName',
      'NonCompliant/DestinationOfAnother',
      'NonCompliant/EventPattern/Resource',
      'NonCompliant/FromParameter',
      'NonCompliant/FunctionUrl/Resource',
      'NonCompliant/GrantedToService/Resource',
      'NonCompliant/KafkaOnDemand',
      'NonCompliant/KinesisMapped',
      'NonCompliant/PlainUnreserved',
      'NonCompliant/RotationOfAnother',
      'NonCompliant/SnsSubscription/Resource',
      // Nothing invokes the source function itself (its EventInvokeConfig only configures it).
      'NonCompliant/Source',
      'NonCompliant/SqsPollersOnly',
      'NonCompliant/SqsUnbounded/Resource',
      'NonCompliant/Unreserved/Resource',
      'NonCompliant/Zero',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
