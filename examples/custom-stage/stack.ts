/**
 * Example (c): a stage of the team's own. Their handler (handler/curate.ts) runs in a PipelineFunction, consumes the
 * `customer_orders.clean` topic as its own consumer group (grantConsume), and writes a daily summary of the orders
 * into the Internal curated bucket under its own prefix. A batch it cannot write is retried, then handed with its
 * records to the quarantine bucket by the event source mapping: nothing is dropped. Imports only the package's
 * public entry point.
 */
import * as path from 'path';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  Classification, grantPrefixWrite, loadDatasetsConfig, PipelineFunction, resolveProfile, SecurePipeline,
} from 'secure-data-pipeline';

export const STACK_NAME = 'TeamCustomStage';
/** The topic the team consumes, its consumer group, and where the summaries go. */
export const SOURCE_TOPIC = 'customer_orders.clean';
export const CONSUMER_GROUP = 'customer_orders.orders-daily';
export const SUMMARY_PREFIX = 'team=orders-daily';
/** Where the mapping writes batches it gave up on in the quarantine bucket (Lambda names the objects). */
const FAILED_BATCHES_PREFIX = 'aws/lambda';

export interface OrdersDailyStageProps {
  readonly pipeline: SecurePipeline;
}

/** The team's stage: their handler, least-privilege grants from the package's constructs, and its event source. */
export class OrdersDailyStage extends Construct {
  public readonly function: PipelineFunction;
  public readonly eventSourceMapping: CfnEventSourceMapping;

  constructor(scope: Construct, id: string, props: OrdersDailyStageProps) {
    super(scope, id);
    const { pipeline } = props;
    const curated = pipeline.curatedBuckets.get(Classification.INTERNAL)!;
    const quarantine = pipeline.quarantineBucket;
    const partitions = pipeline.stream.topics.find((t) => t.name === SOURCE_TOPIC)!.partitions;
    this.function = new PipelineFunction(this, 'Function', {
      // The team's own source: bundled at synth by the esbuild of the team's project, found from its lock file.
      entry: path.join(__dirname, 'handler', 'curate.ts'),
      classification: Classification.INTERNAL,
      network: pipeline.network,
      keys: pipeline.keys,
      profile: resolveProfile('dev'),
      concurrencyBound: { by: 'kafka', partitions, maxPollers: partitions },
      environment: {
        POWERTOOLS_SERVICE_NAME: 'orders-daily',
        CURATED_BUCKET: curated.bucket.bucketName,
        CURATED_KEY_ARN: curated.encryptionKey.keyArn,
        SUMMARY_PREFIX,
      },
      description: `Daily order summaries from ${SOURCE_TOPIC}`,
    });
    const fn = this.function;
    pipeline.stream.grantConsume(fn, SOURCE_TOPIC, CONSUMER_GROUP);
    pipeline.stream.allowLambdaEventSources(pipeline.network.endpointSecurityGroup);
    grantPrefixWrite(fn, curated, `${SUMMARY_PREFIX}/*`);
    // The failure destination, as Lambda documents it for S3: PutObject under its prefix and ListBucket.
    grantPrefixWrite(fn, quarantine, `${FAILED_BATCHES_PREFIX}/*`,
      'Lambda names each failed-batch object after the event source mapping, created after this policy, and the time of the failure');
    Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [quarantine.bucket.bucketArn] });

    this.eventSourceMapping = new CfnEventSourceMapping(this, 'FromTopic', {
      functionName: fn.function.functionName,
      eventSourceArn: pipeline.stream.clusterArn,
      topics: [SOURCE_TOPIC],
      startingPosition: 'TRIM_HORIZON',
      batchSize: 500,
      maximumBatchingWindowInSeconds: 60,
      amazonManagedKafkaEventSourceConfig: { consumerGroupId: CONSUMER_GROUP },
      // Retry limits need provisioned pollers for Kafka; at most one poller per partition.
      provisionedPollerConfig: { minimumPollers: 1, maximumPollers: partitions },
      maximumRetryAttempts: 20,
      maximumRecordAgeInSeconds: 6 * 3600,
      destinationConfig: { onFailure: { destination: quarantine.bucket.bucketArn } },
    });
    this.eventSourceMapping.node.addDependency(fn.role.policy, pipeline.stream.topicResource(SOURCE_TOPIC));
  }
}

export class CustomStageStack extends Stack {
  public readonly pipeline: SecurePipeline;
  public readonly stage: OrdersDailyStage;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.pipeline = new SecurePipeline(this, 'Pipeline', {
      profile: resolveProfile('dev'),
      datasets: loadDatasetsConfig(path.join(__dirname, '..', 'datasets.json')),
    });
    this.stage = new OrdersDailyStage(this, 'OrdersDaily', { pipeline: this.pipeline });
  }
}

export function buildCustomStageApp(app: App): CustomStageStack {
  return new CustomStageStack(app, STACK_NAME);
}
