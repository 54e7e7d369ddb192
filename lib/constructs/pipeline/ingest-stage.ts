/** One dataset's ingest: a scheduled PipelineFunction that reads the source and produces to the dataset's topic. */
import { createHash } from 'node:crypto';
import { Duration, Token } from 'aws-cdk-lib';
import { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DatasetConfig, Profile, validateDatasetConfig } from '../../config';
import { ProblemCollector } from '../../errors';
import { alarmOnFirstCount } from '../common/alarms';
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

/** The environment variables that carry the dataset config the function owns (read by lambda/ingest/owned-config.ts). */
export const DATASET_CONFIG_ENV = 'DATASET_CONFIG';
export const DATASET_CONFIG_SHA256_ENV = 'DATASET_CONFIG_SHA256';

/**
 * Lambda refuses a function whose environment variables, names and values together, exceed 4 KB.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/**
 * Room kept for the values only known at deploy time (bootstrap brokers, bucket, table, secret and key ARNs) when
 * the environment is measured at synth: the brokers of 3 zones × 4 brokers, and the longest names and ARNs.
 */
export const DEPLOY_TIME_VALUE_ALLOWANCE_BYTES = 1600;

/**
 * The owned config as the function receives it: the validated dataset config as JSON, and the SHA-256 of that text,
 * which the handler checks before it uses the config (and logs, naming the deployed version).
 */
export function ownedConfigEnvironment(dataset: DatasetConfig): Record<string, string> {
  const json = JSON.stringify(dataset);
  return { [DATASET_CONFIG_ENV]: json, [DATASET_CONFIG_SHA256_ENV]: createHash('sha256').update(json, 'utf8').digest('hex') };
}

export class IngestStage extends Construct {
  public readonly function: PipelineFunction;
  public readonly schedule: Rule;
  public readonly topic: string;
  /** The Powertools service name of the function: per stage and dataset, so its logs and metrics are its own. */
  public readonly serviceName: string;
  /** Runs stopped at a trust boundary; SecurePipeline sends it to the security topic. */
  public readonly alarms: readonly Alarm[];

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
    this.topic = `${dataset.name}.clean`;
    this.serviceName = `ingest-${dataset.name}`;
    const dataKey = keys.keyFor(dataset.classification);
    const environment: Record<string, string> = {
      ...ownedConfigEnvironment(dataset),
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      TOPIC: this.topic,
      BOOTSTRAP_BROKERS: props.stream.bootstrapBrokersSaslIam,
      QUARANTINE_BUCKET: props.quarantine.bucket.bucketName,
      QUARANTINE_KEY_ARN: props.quarantine.encryptionKey.keyArn,
      WATERMARK_TABLE: props.watermarks.tableName,
      POWERTOOLS_METRICS_NAMESPACE: 'SecureDataPipeline',
      ...(props.credential ? { API_CREDENTIAL_SECRET_ARN: props.credential.secret.secretArn } : {}),
      ...(tokenizes && props.tokenizationKey ? { TOKENIZATION_KEY_SECRET_ARN: props.tokenizationKey.secretArn } : {}),
      ...(encrypts ? { DATA_KEY_ID: dataKey.keyArn } : {}),
    };
    const size = environmentBytes(environment);
    if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      problems.add('dataset', `the environment that carries dataset "${dataset.name}" would be about ${size} bytes (its config is ` +
        `${Buffer.byteLength(environment[DATASET_CONFIG_ENV]!)} bytes), above Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit`,
      'shorten the descriptions of the dataset and its fields, or split the dataset into two');
    }
    problems.throwIfAny();

    this.function = new PipelineFunction(this, 'Function', {
      builtInHandler: 'ingest',
      classification: dataset.classification,
      network: props.network,
      keys,
      profile: props.profile,
      internetAccess: true,
      timeout: Duration.minutes(5),
      memorySize: 512,
      // One run per schedule tick; runs that overlap race for the watermark, whose compare-and-set stops the slower one.
      concurrencyBound: { by: 'schedule', expression: dataset.source.schedule },
      // The function owns its config: encrypted with the classification's key like the rest of the environment.
      environment,
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
      // Only a marker: the config is the function's own, and an event carrying a different one is refused.
      event: RuleTargetInput.fromObject({ dataset: dataset.name }),
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      deadLetterQueue: props.scheduleDeadLetterQueue,
    }));
    this.alarms = [this.securityEventAlarm(dataset.name)];
  }

  /** The handler counts refused events and cross-origin links as SecurityEvents (lambda/ingest/index.ts). */
  private securityEventAlarm(dataset: string): Alarm {
    return alarmOnFirstCount(this, 'SecurityEventsAlarm', {
      description: `The ingest of ${dataset} refused an invocation event that tried to change its config, or its source linked to another origin: ` +
        `read the "securityEvent" log lines of ${this.serviceName}`,
      metric: new Metric({
        namespace: 'SecureDataPipeline',
        metricName: 'SecurityEvents',
        dimensionsMap: { service: this.serviceName, dataset },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
    });
  }
}

/**
 * The environment's size as Lambda counts it (names and values), with an allowance for the values that are tokens
 * at synth time, plus the variable PipelineFunction adds (NODE_OPTIONS).
 */
function environmentBytes(environment: Readonly<Record<string, string>>): number {
  const added = { NODE_OPTIONS: '--enable-source-maps' };
  const literal = Object.entries({ ...environment, ...added })
    .reduce((n, [k, v]) => n + Buffer.byteLength(k) + (Token.isUnresolved(v) ? 0 : Buffer.byteLength(v)), 0);
  return literal + DEPLOY_TIME_VALUE_ALLOWANCE_BYTES;
}
