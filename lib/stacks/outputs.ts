/**
 * The stack outputs an operator needs after deploy: every ARN, name or endpoint the README's commands take, read with
 * `aws cloudformation describe-stacks --query "Stacks[0].Outputs[?OutputKey=='<id>'].OutputValue"`.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { Classification } from '../classification';
import { pascalCase, SecurePipeline } from '../constructs/pipeline/secure-pipeline';

/**
 * The output key part for a dataset: its lower_snake_case name in PascalCase (`customer_orders` → `CustomerOrders`).
 * Dataset names are validated unique even without "_", so the keys never collide; anything outside [A-Za-z0-9] is
 * dropped, as CloudFormation output keys are alphanumeric.
 */
export function datasetOutputKey(datasetName: string): string {
  return pascalCase(datasetName).replace(/[^A-Za-z0-9]/g, '');
}

/** Values CloudFormation would resolve to a secret (dynamic references): never an output, which anyone with describe-stacks reads. */
const SECRET_REFERENCE = /\{\{resolve:(secretsmanager|ssm-secure):/;

/**
 * One output, export-free, refusing a value that would resolve to a secret: an output is readable by anyone allowed
 * `cloudformation:DescribeStacks`, so secrets appear as ARNs only.
 */
export function operatorOutput(stack: Stack, id: string, value: string, description: string): CfnOutput {
  if (SECRET_REFERENCE.test(JSON.stringify(stack.resolve(value)))) {
    // A programming error, not a config problem: no config value reaches an output.
    throw new Error(`Output ${id} would hold a secret value; output the secret's ARN instead`);
  }
  return new CfnOutput(stack, id, { value, description });
}

/**
 * Adds the operator outputs to `stack`, directly under it so the output key is exactly the id, stable across
 * deploys. None has an `exportName`: an export locks the producing stack to whatever imports it.
 */
export function addOperatorOutputs(stack: Stack, pipeline: SecurePipeline): CfnOutput[] {
  const outputs: CfnOutput[] = [];
  const output = (id: string, value: string, description: string): void => {
    outputs.push(operatorOutput(stack, id, value, description));
  };

  // A dataset of a group has its outputs in the group's nested stack (the main stack names each group's stack), so the
  // main stack's 200-output quota does not bound the number of datasets.
  const outputIn = (scope: IConstruct, id: string, value: string, description: string): void => {
    outputs.push(operatorOutput(Stack.of(scope) === stack ? stack : Stack.of(scope), id, value, description));
  };
  for (const [group, nested] of pipeline.groups) {
    output(`Datasets${datasetOutputKey(group)}StackArn`, nested.nestedStackResource!.ref,
      `Nested stack of the datasets of group ${group}: their outputs (credential secrets, ingest functions, dead-letter queues) with aws cloudformation describe-stacks --stack-name <this>`);
  }
  for (const [name, credential] of pipeline.credentials) {
    outputIn(credential, `${datasetOutputKey(name)}CredentialSecretArn`, credential.secret.secretArn,
      `Source credential of dataset ${name}: after the first deploy put the real clientId/clientSecret with aws secretsmanager put-secret-value --secret-id <this>, then aws secretsmanager rotate-secret --secret-id <this>`);
  }
  for (const [name, stage] of pipeline.ingest) {
    outputIn(stage, `${datasetOutputKey(name)}IngestFunctionName`, stage.function.function.functionName,
      `Ingest function of dataset ${name}: run it now with aws lambda invoke --function-name <this> --payload '{"dataset":"${name}"}' --cli-binary-format raw-in-base64-out out.json`);
  }

  const db = pipeline.database;
  output('DatabaseEndpointAddress', db.instance.dbInstanceEndpointAddress,
    `PostgreSQL host (database ${db.databaseName}): connect with an IAM token over TLS, sslmode=verify-full, from a security group given grantConnect`);
  output('DatabaseEndpointPort', db.instance.dbInstanceEndpointPort, 'PostgreSQL port, with DatabaseEndpointAddress');
  output('DatabaseMasterSecretArn', db.secret.secretArn,
    'RDS-managed master credentials (rotated by RDS every 7 days): for break-glass administration only; read with aws secretsmanager get-secret-value --secret-id <this>');

  output('StreamBootstrapBrokersSaslIam', pipeline.stream.bootstrapBrokersSaslIam,
    'MSK bootstrap brokers (SASL/IAM, port 9098, comma-separated): give to Kafka clients in a security group granted access to the cluster');
  output('StreamClusterArn', pipeline.stream.clusterArn, 'MSK cluster ARN: for aws kafka commands and IAM policies of clients');

  output('AlertTopicArn', pipeline.threatDetection.alarmTopic.topicArn,
    'Security alerts (GuardDuty findings, CloudTrail metric alarms, dead-letter alarms): subscribe with aws sns subscribe --topic-arn <this> --protocol email --notification-endpoint <address>');
  output('GuardDutyDetectorId', pipeline.threatDetection.detectorId,
    'GuardDuty detector the stack adopted or created: list findings with aws guardduty list-findings --detector-id <this>');

  // [id, queue, what it holds, what to do once the cause is fixed]
  const queues: Array<[string, IQueue, string, string]> = [
    ['ScheduleDeadLetterQueue', pipeline.scheduleDeadLetterQueue, 'ingest schedule events that could not invoke their function',
      'nothing to redrive: invoke the ingest function (its watermark makes it catch up), then purge'],
    ['LoadDeadLetterQueue', pipeline.load.deadLetterQueue, 'load-queue messages that failed 5 times',
      'return them to the load queue with aws sqs start-message-move-task --source-arn <this>'],
    ['LoadRuleDeadLetterQueue', pipeline.load.ruleDeadLetterQueue, 'curated-object events EventBridge could not deliver to the load queue',
      'the bodies are the S3 Object Created events: re-send them to the load queue'],
    ['AlertsDeadLetterQueue', pipeline.threatDetection.alerts.deadLetterQueue, 'security alerts SNS or EventBridge could not deliver',
      'read each one: it is an alert nobody received'],
    ...functionDeadLetterQueues(pipeline).map(([c, q]): [string, IQueue, string, string] =>
      [`FunctionDeadLetterQueue${c}`, q, `failed asynchronous invocations of the ${c} pipeline functions`, 'each message is the failed request: read the error, fix it, re-run the function']),
  ];
  for (const [id, queue, holds, redrive] of queues) {
    outputIn(queue, `${id}Url`, queue.queueUrl, `Dead-letter queue of ${holds} (it alarms when not empty): read with aws sqs receive-message --queue-url <this>`);
    outputIn(queue, `${id}Arn`, queue.queueArn, `ARN of the dead-letter queue of ${holds}; after fixing the cause: ${redrive}`);
  }

  for (const [classification, bucket] of pipeline.curatedBuckets) {
    output(`Curated${classification}BucketName`, bucket.bucket.bucketName,
      `Curated records of ${classification} datasets: list with aws s3 ls s3://<this>/`);
  }
  output('QuarantineBucketName', pipeline.quarantineBucket.bucket.bucketName,
    'Records that failed validation (Restricted: may hold anything): list with aws s3 ls s3://<this>/, fix the source or the dataset config');
  if (pipeline.auditTrail.trailBucket) {
    output('TrailBucketName', pipeline.auditTrail.trailBucket.bucket.bucketName, 'CloudTrail log files of the stack\'s trail');
  }
  output('AccessLogsBucketName', pipeline.accessLogs.bucket.bucketName, 'S3 server access logs of every bucket of the stack');
  output('WatermarkTableName', pipeline.watermarks.tableName,
    'Ingest high-watermarks (partition key dataset): read one with aws dynamodb get-item --table-name <this> --key \'{"dataset":{"S":"<name>"}}\'; delete it to re-read a source from the start');
  if (pipeline.tokenizationKey) {
    output('TokenizationKeySecretArn', pipeline.tokenizationKey.secretArn,
      'Versioned HMAC key of tokenized fields: rotate by adding a version (README: rotate the tokenization key); it cannot be deleted');
  }
  return outputs;
}

/**
 * The shared dead-letter queue of each classification that has pipeline functions, per stack (the main stack, then
 * each group's nested stack), in classification order.
 */
function functionDeadLetterQueues(pipeline: SecurePipeline): Array<[Classification, IQueue]> {
  const byStack = new Map<Stack, Map<Classification, IQueue>>();
  for (const f of pipeline.functions) {
    const queues = byStack.get(Stack.of(f)) ?? new Map<Classification, IQueue>();
    queues.set(f.classification, f.deadLetterQueue);
    byStack.set(Stack.of(f), queues);
  }
  return [...byStack.values()].flatMap((queues) => [...queues].sort(([a], [b]) => a.localeCompare(b)));
}
