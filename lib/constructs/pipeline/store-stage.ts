/** One dataset's store stage: its topic → one gzip NDJSON object per partition batch in its curated bucket. */
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DatasetConfig, Profile, validateDatasetConfig } from '../../config';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import { SecureNetwork } from '../network/secure-network';
import { SecureBucket } from '../storage/secure-bucket';
import { SecureStream } from '../streaming/secure-stream';
import { grantPrefixWrite } from './prefix-grants';

export interface StoreStageProps {
  readonly dataset: DatasetConfig;
  readonly keys: DataKeys;
  readonly network: SecureNetwork;
  readonly profile: Profile;
  readonly stream: SecureStream;
  /** The curated bucket of the dataset's classification. */
  readonly curated: SecureBucket;
  readonly quarantine: SecureBucket;
}

export class StoreStage extends Construct {
  public readonly function: PipelineFunction;
  public readonly eventSourceMapping: CfnEventSourceMapping;
  public readonly consumerGroup: string;

  constructor(scope: Construct, id: string, props: StoreStageProps) {
    super(scope, id);
    validateDatasetConfig(props.dataset, `StoreStage ${this.node.path} props.dataset`);
    const { dataset, curated, quarantine, stream } = props;
    const topic = `${dataset.name}.clean`;
    this.consumerGroup = `${dataset.name}.store`;
    this.function = new PipelineFunction(this, 'Function', {
      entry: 'lambda/store/index.ts',
      classification: dataset.classification,
      network: props.network,
      keys: props.keys,
      profile: props.profile,
      memorySize: 512,
      environment: {
        DATASET: dataset.name,
        CURATED_BUCKET: curated.bucket.bucketName,
        CURATED_KEY_ARN: curated.encryptionKey.keyArn,
        QUARANTINE_BUCKET: quarantine.bucket.bucketName,
        QUARANTINE_KEY_ARN: quarantine.encryptionKey.keyArn,
      },
      description: `Stores ${topic} in the curated bucket`,
    });
    const fn = this.function;
    stream.grantConsume(fn, topic, this.consumerGroup);
    stream.allowLambdaEventSources(props.network.endpointSecurityGroup);
    grantPrefixWrite(fn, curated, `dataset=${dataset.name}/*`);
    grantPrefixWrite(fn, quarantine, `dataset=${dataset.name}/*`);

    this.eventSourceMapping = new CfnEventSourceMapping(this, 'FromTopic', {
      functionName: fn.function.functionName,
      eventSourceArn: stream.clusterArn,
      topics: [topic],
      startingPosition: 'TRIM_HORIZON',
      batchSize: props.profile.storeBatchSize,
      maximumBatchingWindowInSeconds: props.profile.storeBatchWindowSeconds,
      amazonManagedKafkaEventSourceConfig: { consumerGroupId: this.consumerGroup },
      // After the retries, the batch's description goes to the encrypted dead-letter queue: nothing is dropped.
      destinationConfig: { onFailure: { destination: fn.deadLetterQueue.queueArn } },
    });
    this.eventSourceMapping.node.addDependency(fn.role.policy, stream.topicResource(topic));
  }
}
