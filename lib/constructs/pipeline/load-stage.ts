/**
 * The load stage: curated objects → S3 notifications → an encrypted SQS queue (with a DLQ) → one function that
 * upserts each object into PostgreSQL as the IAM-authenticated loader, reporting per-message failures.
 */
import { Duration, Names } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { Profile } from '../../config';
import { arnParts } from '../common/arn-parts';
import { encryptedDeadLetterQueue } from '../common/dead-letter-queue';
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

export class LoadStage extends Construct {
  public readonly function: PipelineFunction;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: LoadStageProps) {
    super(scope, id);
    const { keys, database, quarantine } = props;
    const { partition, account } = arnParts(this);

    // S3 encrypts its notifications with the queue's key, so the key must admit S3: the audit key does, for this
    // account only. The messages name objects; they hold no record values.
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
    });
    tagClassification(this.queue, Classification.INTERNAL);
    this.queue.addToResourcePolicy(new PolicyStatement({
      sid: 'S3NotifiesFromThisAccount',
      principals: [new ServicePrincipal('s3.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      // A bucket ARN pattern, not the buckets' own ARNs: the buckets depend on this policy, so it cannot depend on them.
      conditions: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:${partition}:s3:::*` } },
    }));
    this.queue.addToResourcePolicy(new PolicyStatement({
      sid: 'OnlyThisAccountSends',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions: { StringNotEquals: { 'aws:SourceAccount': account, 'aws:PrincipalAccount': account } },
    }));
    for (const bucket of props.curatedBuckets) this.notifyOnNewObjects(bucket);

    const endpoint = database.endpoint;
    this.function = new PipelineFunction(this, 'Function', {
      entry: 'lambda/load/index.ts',
      // It reads every curated bucket, so it handles the highest classification.
      classification: Classification.RESTRICTED,
      network: props.network,
      keys,
      profile: props.profile,
      timeout: FUNCTION_TIMEOUT,
      memorySize: 512,
      // The IAM token signer is not guaranteed in the runtime's SDK: bundle it, keep the S3 client external.
      externalModules: ['@aws-sdk/client-s3'],
      environment: {
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
    // Each invocation holds one database connection: cap the pollers' concurrency.
    const source = new SqsEventSource(this.queue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: Math.max(2, Math.min(props.profile.functionConcurrency, 10)),
    });
    fn.function.addEventSource(source);
    acknowledge(fn.function.node.findChild(`SqsEventSource:${Names.nodeUniqueId(this.queue.node)}`), 'Serverless-LambdaEventSourceMappingDestination',
      'An SQS event source has no on-failure destination: a message that fails maxReceiveCount times moves to the queue\'s own encrypted dead-letter queue');
  }

  /** L1 notification config: CDK's addEventNotification would add a custom-resource function outside the VPC. */
  private notifyOnNewObjects(bucket: SecureBucket): void {
    const cfn = bucket.bucket.node.defaultChild as CfnBucket;
    cfn.notificationConfiguration = {
      queueConfigurations: [{
        event: 's3:ObjectCreated:*',
        queue: this.queue.queueArn,
        filter: { s3Key: { rules: [{ name: 'prefix', value: 'dataset=' }, { name: 'suffix', value: '.jsonl.gz' }] } },
      }],
    };
    cfn.node.addDependency(this.queue.node.findChild('Policy'));
  }
}
