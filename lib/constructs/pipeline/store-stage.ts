/**
 * One dataset's store stage: its topic → one gzip NDJSON object per partition batch in its curated bucket.
 *
 * No silent loss on a long store outage: the event source mapping retries a failing batch only within a bounded
 * window, then writes the whole batch (records included) to the quarantine bucket; consumer lag raises an alarm long
 * before the topic's retention could delete records that were never stored. The window and the alarm threshold are
 * derived from the topic's retention and checked against it when the stage is built.
 */
import { Duration, Names } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DatasetConfig, Profile, validateDatasetConfig } from '../../config';
import { ProblemCollector } from '../../errors';
import { alarmOnFirstCount } from '../common/alarms';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import { SecureNetwork } from '../network/secure-network';
import { SecureBucket } from '../storage/secure-bucket';
import { SecureStream } from '../streaming/secure-stream';
import { grantPrefixWrite } from './prefix-grants';

/** The lag alarm may use at most this share of the topic retention: it fires with at least 3/4 of it left. */
export const MAX_LAG_ALARM_SHARE = 1 / 4;
/**
 * The retry window (the oldest record age the mapping still retries) may use at most this share of the retention, so
 * a batch given up on is written to the failure destination while its records are still in the topic as well.
 */
export const MAX_RETRY_WINDOW_SHARE = 1 / 2;
/** A store that is an hour behind is broken, whatever the retention: the default alarm never waits longer. */
export const DEFAULT_LAG_ALARM_CEILING = Duration.hours(1);
/**
 * Retries of a failing batch. Lambda backs off between them, so this spans hours of throttling or a short S3/KMS
 * outage, while a batch that can never succeed stops blocking its partition long before the retry window ends.
 */
export const DEFAULT_MAX_RETRY_ATTEMPTS = 100;
/** Where Lambda writes failed batches in the failure-destination bucket (`aws/lambda/<mapping id>/…`). */
export const FAILURE_DESTINATION_PREFIX = 'aws/lambda/';

/** Lambda's bounds for an MSK mapping: MaximumRecordAgeInSeconds 60–604800, MaximumRetryAttempts 0–10000. */
const RECORD_AGE_SECONDS = { min: 60, max: 604_800 } as const;
const RETRY_ATTEMPTS = { min: 0, max: 10_000 } as const;

/** The consumer-lag alarm threshold for a topic retention: an hour, or a quarter of the retention if that is shorter. */
export function lagAlarmThreshold(retention: Duration): Duration {
  return Duration.seconds(Math.min(DEFAULT_LAG_ALARM_CEILING.toSeconds(), Math.floor(retention.toSeconds() * MAX_LAG_ALARM_SHARE)));
}

/** The retry window for a topic retention: half of it, within what Lambda accepts. */
export function retryWindow(retention: Duration): Duration {
  return Duration.seconds(Math.min(RECORD_AGE_SECONDS.max, Math.floor(retention.toSeconds() * MAX_RETRY_WINDOW_SHARE)));
}

export interface StoreTiming {
  readonly retention: Duration;
  readonly retryWindow: Duration;
  readonly lagAlarmThreshold: Duration;
  readonly maxRetryAttempts: number;
}

/**
 * Resolves and checks the stage's timing against the topic retention: the lag alarm must fire before the retry
 * window ends, and both inside their share of the retention. Problems go to `problems` (prop, problem, fix).
 */
export function storeTiming(retention: Duration, props: StoreTimingProps, problems: ProblemCollector): StoreTiming {
  const timing: StoreTiming = {
    retention,
    retryWindow: props.retryWindow ?? retryWindow(retention),
    lagAlarmThreshold: props.lagAlarmThreshold ?? lagAlarmThreshold(retention),
    maxRetryAttempts: props.maxRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
  };
  const days = (d: Duration) => `${+(d.toSeconds() / 86_400).toFixed(3)} days`;
  const window = timing.retryWindow.toSeconds();
  const lag = timing.lagAlarmThreshold.toSeconds();
  if (!Number.isInteger(window) || window < RECORD_AGE_SECONDS.min || window > RECORD_AGE_SECONDS.max) {
    problems.add('retryWindow', `${window} s is outside what Lambda accepts for an MSK mapping`, `use whole seconds from ${RECORD_AGE_SECONDS.min} to ${RECORD_AGE_SECONDS.max}`);
  } else if (window > retention.toSeconds() * MAX_RETRY_WINDOW_SHARE) {
    problems.add('retryWindow', `${days(timing.retryWindow)} does not fit in ${MAX_RETRY_WINDOW_SHARE} of the topic retention (${days(retention)}): ` +
      'records could expire from the topic while a failing batch is still retried', `use at most ${days(retryWindow(retention))}, or lengthen the topic retention`);
  }
  if (!Number.isInteger(lag) || lag < 60) {
    problems.add('lagAlarmThreshold', `${lag} s is not a whole number of seconds of at least 60`, 'use a threshold of a minute or more');
  } else if (lag > retention.toSeconds() * MAX_LAG_ALARM_SHARE) {
    problems.add('lagAlarmThreshold', `${days(timing.lagAlarmThreshold)} is more than ${MAX_LAG_ALARM_SHARE} of the topic retention (${days(retention)}): ` +
      'the alarm would come too close to records expiring unstored', `use at most ${days(Duration.seconds(Math.floor(retention.toSeconds() * MAX_LAG_ALARM_SHARE)))}`);
  } else if (lag >= window) {
    problems.add('lagAlarmThreshold', `${days(timing.lagAlarmThreshold)} is not shorter than the retry window (${days(timing.retryWindow)})`,
      'make the alarm fire before batches are given up on, so an outage is fixed before records need a replay');
  }
  if (!Number.isInteger(timing.maxRetryAttempts) || timing.maxRetryAttempts < RETRY_ATTEMPTS.min || timing.maxRetryAttempts > RETRY_ATTEMPTS.max) {
    problems.add('maxRetryAttempts', `${timing.maxRetryAttempts} is not a whole number from ${RETRY_ATTEMPTS.min} to ${RETRY_ATTEMPTS.max}`,
      `use ${DEFAULT_MAX_RETRY_ATTEMPTS} (the default) or another whole number in that range`);
  }
  return timing;
}

export interface StoreTimingProps {
  /** How old a record may get while its batch is still retried. @default half the topic retention */
  readonly retryWindow?: Duration;
  /** Consumer time lag that raises the alarm. @default the lesser of an hour and a quarter of the topic retention */
  readonly lagAlarmThreshold?: Duration;
  /** @default DEFAULT_MAX_RETRY_ATTEMPTS */
  readonly maxRetryAttempts?: number;
}

export interface StoreStageProps extends StoreTimingProps {
  readonly dataset: DatasetConfig;
  readonly keys: DataKeys;
  readonly network: SecureNetwork;
  readonly profile: Profile;
  readonly stream: SecureStream;
  /** The curated bucket of the dataset's classification. */
  readonly curated: SecureBucket;
  /** Also receives the batches the mapping gives up on, records included (under `aws/lambda/`). */
  readonly quarantine: SecureBucket;
}

export class StoreStage extends Construct {
  public readonly function: PipelineFunction;
  public readonly eventSourceMapping: CfnEventSourceMapping;
  public readonly consumerGroup: string;
  public readonly timing: StoreTiming;
  /** Consumer lag and batches given up on; SecurePipeline sends them to the security topic. */
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: StoreStageProps) {
    super(scope, id);
    validateDatasetConfig(props.dataset, `StoreStage ${this.node.path} props.dataset`);
    const { dataset, curated, quarantine, stream } = props;
    const topic = `${dataset.name}.clean`;
    const problems = new ProblemCollector(`StoreStage ${this.node.path}`);
    this.timing = storeTiming(topicRetention(stream, topic), props, problems);
    problems.throwIfAny();
    this.consumerGroup = `${dataset.name}.store`;
    const partitions = topicPartitions(stream, topic);
    // Lambda reads each partition sequentially: at most one invocation per partition runs at a time. Pollers beyond
    // the partitions would idle, and the profile's bound caps them below that.
    const maxPollers = storeMaxPollers(partitions, props.profile);
    this.function = new PipelineFunction(this, 'Function', {
      builtInHandler: 'store',
      classification: dataset.classification,
      network: props.network,
      keys: props.keys,
      profile: props.profile,
      memorySize: 512,
      concurrencyBound: { by: 'kafka', partitions, maxPollers },
      environment: {
        POWERTOOLS_SERVICE_NAME: `store-${dataset.name}`,
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
    // The failure destination, as Lambda documents it for S3: PutObject and ListBucket, and data keys of the
    // bucket's key (through S3). Lambda names the objects after the mapping, which exists only after this policy.
    // https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
    grantPrefixWrite(fn, quarantine, `${FAILURE_DESTINATION_PREFIX}*`,
      'Lambda names each failed-batch object after the event source mapping, which is created after this policy, and the time of the failure');
    Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [quarantine.bucket.bucketArn] });

    this.eventSourceMapping = new CfnEventSourceMapping(this, 'FromTopic', {
      functionName: fn.function.functionName,
      eventSourceArn: stream.clusterArn,
      topics: [topic],
      startingPosition: 'TRIM_HORIZON',
      batchSize: props.profile.storeBatchSize,
      maximumBatchingWindowInSeconds: props.profile.storeBatchWindowSeconds,
      amazonManagedKafkaEventSourceConfig: { consumerGroupId: this.consumerGroup },
      // Kafka mappings take retry limits only in provisioned mode. The stores of one stream share one poller group,
      // so a hundred datasets do not each keep an event poller of their own running.
      // https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
      provisionedPollerConfig: {
        minimumPollers: 1,
        maximumPollers: maxPollers,
        pollerGroupName: `${Names.uniqueResourceName(stream, { maxLength: 48, separator: '-' })}-store`,
      },
      maximumRetryAttempts: this.timing.maxRetryAttempts,
      maximumRecordAgeInSeconds: this.timing.retryWindow.toSeconds(),
      // A batch fails only as a whole (S3 or KMS unavailable): undecodable records are quarantined one by one, so
      // splitting a batch would only double the invocations.
      bisectBatchOnFunctionError: false,
      // After the retries the whole invocation record, the batch's records included, goes to the quarantine bucket.
      destinationConfig: { onFailure: { destination: quarantine.bucket.bucketArn } },
      metricsConfig: { metrics: ['EventCount'] },
    });
    this.eventSourceMapping.node.addDependency(fn.role.policy, stream.topicResource(topic));
    this.alarms = [this.lagAlarm(stream, topic), this.givenUpAlarm(quarantine)];
  }

  private lagAlarm(stream: SecureStream, topic: string): Alarm {
    const threshold = this.timing.lagAlarmThreshold;
    // MSK publishes consumer lag per group and topic at the DEFAULT monitoring level.
    // https://docs.aws.amazon.com/msk/latest/developerguide/consumer-lag.html
    return new Alarm(this, 'ConsumerLagAlarm', {
      alarmDescription: `The store of ${topic} is more than ${threshold.toHumanString()} behind (retention ${this.timing.retention.toHumanString()}): ` +
        'find why the store function fails or stops before records expire from the topic',
      metric: new Metric({
        namespace: 'AWS/Kafka',
        metricName: 'EstimatedMaxTimeLag',
        dimensionsMap: { 'Cluster Name': stream.clusterName, 'Consumer Group': this.consumerGroup, 'Topic': topic },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: threshold.toSeconds(),
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // MSK publishes nothing before the group's first commit; no data is not a lag.
      treatMissingData: TreatMissingData.MISSING,
    });
  }

  private givenUpAlarm(quarantine: SecureBucket): Alarm {
    return alarmOnFirstCount(this, 'GivenUpBatchesAlarm', {
      description: `The store mapping of ${this.node.path} gave up on records after its retries: their batches are in ` +
        `${quarantine.node.path} under ${FAILURE_DESTINATION_PREFIX}; fix the cause, then replay them (README: where a record ends up)`,
      metric: new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'DroppedEventCount',
        dimensionsMap: { EventSourceMappingUUID: this.eventSourceMapping.attrId },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
    });
  }
}

/**
 * The store mapping's provisioned pollers: the profile's functionConcurrency, at most one per partition of the topic.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-msk-process.html (each partition is read sequentially)
 */
export function storeMaxPollers(partitions: number, profile: Profile): number {
  return Math.max(1, Math.min(partitions, profile.functionConcurrency));
}

/** The partitions the stream gives `topic`: what bounds the store's concurrency. */
function topicPartitions(stream: SecureStream, topic: string): number {
  const partitions = stream.topics.find((t) => t.name === topic)?.partitions;
  if (partitions === undefined || !Number.isInteger(partitions) || partitions < 1) {
    throw new Error(`StoreStage: the stream declares no partition count for ${topic}; the store's concurrency bound is derived from it`);
  }
  return partitions;
}

/** The retention the stream gives `topic` (its `retention.ms`), so the timing is checked against what is deployed. */
function topicRetention(stream: SecureStream, topic: string): Duration {
  const ms = Number(stream.topics.find((t) => t.name === topic)?.configs['retention.ms']);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new Error(`StoreStage: the stream declares no finite retention.ms for ${topic}; the store timing is derived from it`);
  }
  return Duration.millis(ms);
}
