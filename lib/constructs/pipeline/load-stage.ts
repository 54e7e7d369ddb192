/**
 * The load stage: curated objects → S3 "Object Created" events on EventBridge → one rule matching exactly the
 * curated buckets and the curated key shape → an encrypted SQS queue (with a DLQ) → one function that upserts each
 * object into PostgreSQL as the IAM-authenticated loader, reporting per-message failures.
 *
 * Why EventBridge rather than S3 → SQS notifications: a bucket's NotificationConfiguration makes the bucket depend on
 * the queue policy, so that policy could only name the buckets by a pattern (`arn:aws:s3:::*`, any bucket of the
 * account). With EventBridge the bucket only switches its events on; the rule names the curated buckets, and the
 * queue admits `events.amazonaws.com` only for that rule's ARN. Nothing refers back to a bucket, so there is no cycle.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 */
import { Duration } from 'aws-cdk-lib';
import { IRule, IRuleTarget, Rule, RuleTargetConfig } from 'aws-cdk-lib/aws-events';
import { AnyPrincipal, Effect, Grant, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { Profile } from '../../config';
import { arnParts } from '../common/arn-parts';
import { encryptedDeadLetterQueue } from '../common/dead-letter-queue';
import { dataRemovalPolicy } from '../common/removal';
import { tagClassification } from '../common/tags';
import { PipelineFunction } from '../compute/pipeline-function';
import { SecureDatabase } from '../database/secure-database';
import { DataKeys } from '../keys/data-keys';
import { SecureNetwork } from '../network/secure-network';
import { SecureBucket } from '../storage/secure-bucket';
import { grantPrefixRead, grantPrefixWrite } from './prefix-grants';

export interface LoadStageProps {
  readonly keys: DataKeys;
  readonly network: SecureNetwork;
  readonly profile: Profile;
  readonly database: SecureDatabase;
  readonly curatedBuckets: readonly SecureBucket[];
  readonly quarantine: SecureBucket;
  /** Receives before a message goes to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

const FUNCTION_TIMEOUT = Duration.minutes(2);

/**
 * Curated object keys (lambda/store/layout.ts) as they appear in the event: S3 URL-encodes keys in its events, so
 * `=` may arrive as `%3D`; both spellings are matched and the handler decodes the key before using it.
 */
export const CURATED_KEY_PATTERNS: readonly string[] = ['dataset=*/dt=*/*.jsonl.gz', 'dataset%3D*/dt%3D*/*.jsonl.gz'];

/** Sends matched events to the queue; the queue's policy, written by the stage, admits this rule only. */
class LoadQueueTarget implements IRuleTarget {
  constructor(
    private readonly queue: IQueue,
    private readonly deadLetterQueue: IQueue,
  ) {}

  bind(_rule: IRule): RuleTargetConfig {
    return {
      arn: this.queue.queueArn,
      targetResource: this.queue,
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      // EventBridge keeps retrying for a day; what still fails then waits in the target's dead-letter queue.
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: Duration.hours(24).toSeconds() },
    };
  }
}

export class LoadStage extends Construct {
  public readonly function: PipelineFunction;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  /** The rule that turns curated-object events into load messages. */
  public readonly rule: Rule;
  /** Events the rule could not deliver to the queue. */
  public readonly ruleDeadLetterQueue: Queue;
  public readonly eventSourceMapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: LoadStageProps) {
    super(scope, id);
    const { keys, database, quarantine } = props;
    const { account, region } = arnParts(this);

    // EventBridge encrypts what it sends with the queue's key: the audit key admits this account's rules. The
    // messages name objects; they hold no record values.
    this.deadLetterQueue = encryptedDeadLetterQueue(this, 'DeadLetterQueue', {
      key: keys.audit,
      classification: Classification.INTERNAL,
      receives: 'object notifications that failed to load maxReceiveCount times',
      recognisedAsDeadLetterQueue: true,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: keys.audit,
      enforceSSL: true,
      // Six times the function timeout, so a message is not redelivered while it is still being loaded.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
      // Messages waiting here name objects not yet loaded: retained like the data they point to.
      removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
    });
    tagClassification(this.queue, Classification.INTERNAL);
    this.ruleDeadLetterQueue = encryptedDeadLetterQueue(this, 'RuleDeadLetterQueue', {
      key: keys.audit,
      classification: Classification.INTERNAL,
      receives: 'curated-object events EventBridge could not deliver to the load queue',
      recognisedAsDeadLetterQueue: false,
    });

    this.rule = new Rule(this, 'CuratedObjectCreated', {
      description: 'New curated objects of this pipeline, to its load queue',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        account: [account],
        region: [region],
        detail: {
          bucket: { name: props.curatedBuckets.map((b) => b.bucket.bucketName) },
          object: { key: CURATED_KEY_PATTERNS.map((wildcard) => ({ wildcard })) },
        },
      },
    });
    this.rule.addTarget(new LoadQueueTarget(this.queue, this.ruleDeadLetterQueue));
    for (const [queue, sid] of [[this.queue, 'OnlyTheCuratedObjectRuleSends'], [this.ruleDeadLetterQueue, 'OnlyTheCuratedObjectRuleDeadLetters']] as const) {
      queue.addToResourcePolicy(new PolicyStatement({
        sid,
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
      }));
    }
    this.queue.addToResourcePolicy(new PolicyStatement({
      sid: 'OnlyThisAccountSends',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions: { StringNotEquals: { 'aws:SourceAccount': account, 'aws:PrincipalAccount': account } },
    }));
    for (const bucket of props.curatedBuckets) sendEventsToEventBridge(bucket);

    const endpoint = database.endpoint;
    const maxConcurrency = loadMaxConcurrency(props.profile);
    this.function = new PipelineFunction(this, 'Function', {
      builtInHandler: 'load',
      // It reads every curated bucket, so it handles the highest classification.
      classification: Classification.RESTRICTED,
      network: props.network,
      keys,
      profile: props.profile,
      timeout: FUNCTION_TIMEOUT,
      memorySize: 512,
      concurrencyBound: { by: 'sqs', maxConcurrency },
      environment: {
        POWERTOOLS_SERVICE_NAME: 'load',
        DB_HOST: endpoint.host,
        DB_PORT: String(endpoint.port),
        DB_NAME: endpoint.database,
        DB_USER: database.loaderUser,
        DB_SCHEMA: database.schema,
        QUARANTINE_BUCKET: quarantine.bucket.bucketName,
        QUARANTINE_KEY_ARN: quarantine.encryptionKey.keyArn,
      },
      description: 'Loads curated objects into PostgreSQL',
    });
    const fn = this.function;
    for (const bucket of props.curatedBuckets) grantPrefixRead(fn, bucket, 'dataset=*');
    grantPrefixWrite(fn, quarantine, 'dataset=*');
    database.grantConnect(fn, database.loaderUser);
    this.eventSourceMapping = this.consumeQueue(fn, keys, maxConcurrency);
  }

  /**
   * The SQS event source, granted by hand: CDK's SqsEventSource grants kms:Decrypt on the queue's key without a
   * condition, i.e. on everything under the audit key. Here the role may use the key only through SQS, which is
   * how receiving from an encrypted queue uses it. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
   */
  private consumeQueue(fn: PipelineFunction, keys: DataKeys, maxConcurrency: number): EventSourceMapping {
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resourceArns: [this.queue.queueArn],
    });
    Grant.addToPrincipal({
      grantee: fn, actions: ['kms:Decrypt'], resourceArns: [keys.audit.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${arnParts(this).region}.amazonaws.com` } },
    });
    const mapping = fn.function.addEventSourceMapping('FromQueue', {
      eventSourceArn: this.queue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
      // Each invocation holds one database connection: the mapping's maximum concurrency is the function's bound.
      maxConcurrency,
    });
    mapping.node.addDependency(fn.role.policy);
    acknowledge(mapping, 'Serverless-LambdaEventSourceMappingDestination',
      'An SQS event source has no on-failure destination: a message that fails maxReceiveCount times moves to the queue\'s own encrypted dead-letter queue');
    return mapping;
  }
}

/**
 * The load mapping's maximum concurrency: the profile's functionConcurrency, at least 2 (the least SQS mappings
 * accept) and at most 10 (the database connections the loader may hold).
 * https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html (2 to 1000)
 */
export function loadMaxConcurrency(profile: Profile): number {
  return Math.max(2, Math.min(profile.functionConcurrency, 10));
}

/**
 * Switches the bucket's events to EventBridge on the L1 (SecureBucket does not take the prop from users). CDK's
 * addEventNotification would add a custom-resource function outside the VPC.
 */
function sendEventsToEventBridge(bucket: SecureBucket): void {
  const cfn = bucket.bucket.node.defaultChild as CfnBucket;
  cfn.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
}
