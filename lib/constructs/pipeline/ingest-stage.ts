/** One dataset's ingest: a scheduled PipelineFunction that reads the source and produces to the dataset's topic. */
import { Duration } from 'aws-cdk-lib';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DatasetConfig, Profile, validateDatasetConfig } from '../../config';
import { ProblemCollector } from '../../errors';
import { arnParts } from '../common/arn-parts';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import { SecureNetwork } from '../network/secure-network';
import { ApiCredential } from '../secrets/api-credential';
import { grantSecret, SECRET_READ_ACTIONS } from '../secrets/grant-secret';
import { SecureBucket } from '../storage/secure-bucket';
import { SecureStream } from '../streaming/secure-stream';
import { grantPrefixWrite } from './prefix-grants';

export interface IngestStageProps {
  readonly dataset: DatasetConfig;
  readonly keys: DataKeys;
  readonly network: SecureNetwork;
  readonly profile: Profile;
  readonly stream: SecureStream;
  readonly quarantine: SecureBucket;
  /** High-watermarks, partition key `dataset`. */
  readonly watermarks: ITable;
  /** The source credential; required when the dataset's source has `auth`. */
  readonly credential?: ApiCredential;
  /** The versioned HMAC key secret (under the Restricted key); required when the dataset tokenizes. */
  readonly tokenizationKey?: ISecret;
  /** Where schedule events go when the function cannot be invoked after retries. */
  readonly scheduleDeadLetterQueue: IQueue;
}

export class IngestStage extends Construct {
  public readonly function: PipelineFunction;
  public readonly schedule: Rule;
  public readonly topic: string;

  constructor(scope: Construct, id: string, props: IngestStageProps) {
    super(scope, id);
    validateDatasetConfig(props.dataset, `IngestStage ${this.node.path} props.dataset`);
    const { dataset, keys } = props;
    const tokenizes = dataset.fields.some((f) => f.handling === 'tokenize');
    const encrypts = dataset.fields.some((f) => f.handling === 'encrypt');
    const problems = new ProblemCollector(`IngestStage ${this.node.path}`);
    if (dataset.source.auth && !props.credential) {
      problems.add('credential', `dataset "${dataset.name}" has source.auth but no credential`, 'pass the ApiCredential of its source');
    }
    if (tokenizes && !props.tokenizationKey) {
      problems.add('tokenizationKey', `dataset "${dataset.name}" tokenizes fields but no key secret was given`, 'pass the tokenization key secret');
    }
    problems.throwIfAny();
    this.topic = `${dataset.name}.clean`;
    const dataKey = keys.keyFor(dataset.classification);

    this.function = new PipelineFunction(this, 'Function', {
      entry: 'lambda/ingest/index.ts',
      classification: dataset.classification,
      network: props.network,
      keys,
      profile: props.profile,
      internetAccess: true,
      timeout: Duration.minutes(5),
      memorySize: 512,
      // One run per dataset at a time: concurrent runs would only race for the same watermark.
      reservedConcurrency: 1,
      environment: {
        TOPIC: this.topic,
        BOOTSTRAP_BROKERS: props.stream.bootstrapBrokersSaslIam,
        QUARANTINE_BUCKET: props.quarantine.bucket.bucketName,
        WATERMARK_TABLE: props.watermarks.tableName,
        POWERTOOLS_METRICS_NAMESPACE: 'SecureDataPipeline',
        ...(props.credential ? { API_CREDENTIAL_SECRET_ARN: props.credential.secret.secretArn } : {}),
        ...(tokenizes ? { TOKENIZATION_KEY_SECRET_ARN: props.tokenizationKey!.secretArn } : {}),
        ...(encrypts ? { DATA_KEY_ID: dataKey.keyArn } : {}),
      },
      description: `Ingests ${dataset.name} from its source into ${this.topic}`,
    });
    const fn = this.function;
    const { region } = arnParts(this);

    props.stream.grantProduce(fn, this.topic);
    props.credential?.grantRead(fn);
    if (tokenizes) grantSecret(this, props.tokenizationKey!, keys.restricted, fn, SECRET_READ_ACTIONS);
    if (encrypts) {
      // Envelope encryption only ever asks for data keys bound to this dataset; it never decrypts.
      Grant.addToPrincipal({
        grantee: fn, actions: ['kms:GenerateDataKey'], resourceArns: [dataKey.keyArn],
        conditions: { StringEquals: { 'kms:EncryptionContext:dataset': dataset.name } },
      });
    }
    grantPrefixWrite(fn, props.quarantine, `dataset=${dataset.name}/*`);
    Grant.addToPrincipal({
      grantee: fn, actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resourceArns: [props.watermarks.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [dataset.name] } },
    });
    if (props.watermarks.encryptionKey) {
      Grant.addToPrincipal({
        grantee: fn, actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resourceArns: [props.watermarks.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      });
    }

    this.schedule = new Rule(this, 'Schedule', {
      description: `Runs the ingest of ${dataset.name}`,
      schedule: Schedule.expression(dataset.source.schedule),
    });
    this.schedule.addTarget(new LambdaFunction(fn.function, {
      event: RuleTargetInput.fromObject({ dataset }),
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      deadLetterQueue: props.scheduleDeadLetterQueue,
    }));
  }
}
