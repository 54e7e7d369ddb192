/**
 * Ingest stage entry point: reads one dataset's source API and produces its protected records to MSK.
 * The dataset config is the one deployed with the function (DATASET_CONFIG, checked against DATASET_CONFIG_SHA256
 * and validated again: ./owned-config.ts). The EventBridge schedule invokes it with the marker
 * `{ "dataset": "<name>" }`; an event that carries another config, another dataset or other fields is refused and
 * logged as a security event. The logic lives in ./ingest.ts and the modules it uses; this file only wires
 * clients, secrets and Powertools.
 *
 * Environment:
 * - DATASET_CONFIG, DATASET_CONFIG_SHA256: the owned dataset config and its SHA-256 (set by IngestStage).
 * - API_CREDENTIAL_SECRET_ARN: the source API credential secret, JSON kept by lambda/rotate-api-credential;
 *   its `accessToken` (tokenType Bearer) is sent as the bearer token, its client credentials get a fresh one.
 * - TOKENIZATION_KEY_SECRET_ARN: the tokenization key secret (`{"currentVersion": n, "keys": {"n": "<base64>"}}`);
 *   required when the dataset has `tokenize` fields.
 * - DATA_KEY_ID: the KMS key (id, ARN or alias) for envelope encryption; required when the dataset has `encrypt` fields.
 * - TOPIC: the Kafka topic, e.g. `patient_visits.clean`; `{dataset}` in it is replaced by the dataset name.
 * - BOOTSTRAP_BROKERS: MSK bootstrap brokers for SASL/IAM over TLS, `host:9098` comma-separated.
 * - QUARANTINE_BUCKET: bucket for invalid records; QUARANTINE_KEY_ARN: its KMS key ARN, named in every write.
 * - WATERMARK_TABLE: DynamoDB table with partition key `dataset` holding the source position.
 * - POWERTOOLS_SERVICE_NAME (default `ingest`), POWERTOOLS_METRICS_NAMESPACE (default `SecureDataPipeline`),
 *   POWERTOOLS_LOG_LEVEL as usual; AWS_REGION is set by Lambda.
 *
 * Returns a summary (pages, fetched, produced, quarantined, stopReason, backlog). Throws — so the invocation fails and the
 * watermark stays — when the event is refused, the source cannot be read, Kafka does not acknowledge, or a write fails.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { EnvelopeEncryptor, FieldHandlingDeps, KmsClientLike, parseTokenizationKeys } from '../shared/field-handling';
import { createHttpsClient, HttpsClient, HttpsClientOptions } from '../shared/https-client';
import { tokenHttpOver } from '../shared/oauth-client-credentials';
import { createPowertools, MetricUnit, StageMetrics } from '../shared/powertools';
import type { RetryDeps, RetryPolicy } from '../shared/retry';
import { SecretCache } from '../shared/secrets';
import { BearerTokenProvider, createBearerTokenProvider, FreshTokenMemory } from './credential';
import { parseIngestSettings } from './environment';
import { EventRefusedError, SourceError } from './errors';
import { IngestResult, runIngest } from './ingest';
import { createMskProducer, RecordProducer } from './kafka';
import { createS3QuarantineWriter, S3ClientLike } from './quarantine';
import { checkInvocationEvent, OwnedDataset, readOwnedDataset } from './owned-config';
import { createHttpPageSource, CROSS_ORIGIN } from './source';
import { createDynamoWatermarkStore, DocumentClientLike } from './watermark';

/** `{ "dataset": "<name>" }` from the schedule; anything that tries to change the config is refused. */
export type IngestEvent = unknown;

/**
 * Counted (dimensions `service`, `dataset`) for every run stopped at a trust boundary: a refused invocation event or
 * a next-page link to another origin. IngestStage alarms on it.
 */
export const SECURITY_EVENTS_METRIC = 'SecurityEvents';

export interface ProducerFactoryProps {
  readonly brokers: readonly string[];
  readonly region: string;
  readonly clientId: string;
}

export interface HandlerDeps {
  readonly secrets: SecretCache;
  readonly s3: S3ClientLike;
  readonly ddb: DocumentClientLike;
  readonly kms: KmsClientLike;
  /** Makes the Kafka producer for one invocation (connected and disconnected by the run). */
  readonly producer: (props: ProducerFactoryProps) => RecordProducer;
  readonly logger: Logger;
  readonly metrics: StageMetrics;
  /** Options for the source HTTPS client (a test CA, a shorter deadline). Verification is always on. */
  readonly http?: HttpsClientOptions;
  readonly retryPolicy?: RetryPolicy;
  readonly retryDeps?: RetryDeps;
  /** Do not start another page with less Lambda time left than this. @default 60_000 */
  readonly minRemainingMs?: number;
  /** @default 500 */
  readonly maxPages?: number;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Fresh source tokens kept between runs. @default one memory per handler (per execution environment) */
  readonly freshTokens?: FreshTokenMemory;
}

export type IngestHandler = (event: IngestEvent, context?: Context) => Promise<IngestResult>;

export function createHandler(deps: HandlerDeps): IngestHandler {
  const { logger, metrics } = deps;
  const freshTokens = deps.freshTokens ?? new FreshTokenMemory();
  // The environment does not change within an execution environment: read and verify it once.
  let owned: OwnedDataset | undefined;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    let datasetName: string | undefined;
    let http: HttpsClient | undefined;
    let encryptor: EnvelopeEncryptor | undefined;
    try {
      const env = deps.env ?? process.env;
      owned ??= readOwnedDataset(env);
      const { dataset } = owned;
      datasetName = dataset.name;
      metrics.addDimension('dataset', dataset.name);
      refuseForeignEvents(event, owned, deps);
      const settings = parseIngestSettings(env, dataset);
      const tokenizationKey = settings.tokenizationKeySecretArn !== undefined
        ? parseTokenizationKeys(await deps.secrets.getString(settings.tokenizationKeySecretArn)).current
        : undefined;
      if (settings.dataKeyId !== undefined) encryptor = new EnvelopeEncryptor({ kms: deps.kms, keyId: settings.dataKeyId });
      const protection: FieldHandlingDeps = { ...(tokenizationKey ? { tokenizationKey } : {}), ...(encryptor ? { encryptor } : {}) };
      http = createHttpsClient(deps.http);
      const minRemainingMs = deps.minRemainingMs ?? 60_000;
      let credentials: BearerTokenProvider | undefined;
      if (settings.apiCredentialSecretArn !== undefined && dataset.source.auth !== undefined) {
        credentials = createBearerTokenProvider({
          secrets: deps.secrets,
          secretId: settings.apiCredentialSecretArn,
          // The token endpoint of the owned config: the client secret goes there and nowhere else.
          endpoint: {
            http: tokenHttpOver(http),
            tokenUrl: dataset.source.auth.tokenUrl,
            ...(dataset.source.auth.scope !== undefined ? { scope: dataset.source.auth.scope } : {}),
          },
          memory: freshTokens,
          ...(deps.now ? { now: () => deps.now!().getTime() } : {}),
        });
      }
      logger.info('Ingest run configured', { dataset: dataset.name, datasetConfigSha256: owned.sha256 });
      return await runIngest(dataset, {
        source: createHttpPageSource({
          dataset,
          http,
          ...(credentials ? { credentials } : {}),
          logger,
          ...(deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {}),
          ...(deps.retryDeps ? { retryDeps: deps.retryDeps } : {}),
        }),
        producer: deps.producer({ brokers: settings.brokers, region: settings.region, clientId: `ingest-${dataset.name}` }),
        topic: settings.topic,
        quarantine: createS3QuarantineWriter(deps.s3, settings.quarantineBucket, settings.quarantineKeyArn),
        watermark: createDynamoWatermarkStore(deps.ddb, settings.watermarkTable, deps.now),
        protection,
        logger,
        metrics,
        runId: context?.awsRequestId ?? randomUUID(),
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.maxPages !== undefined ? { maxPages: deps.maxPages } : {}),
        shouldContinue: () => context === undefined || context.getRemainingTimeInMillis() > minRemainingMs,
      });
    } catch (error) {
      if (error instanceof EventRefusedError || (error instanceof SourceError && error.code === CROSS_ORIGIN)) {
        metrics.addMetric(SECURITY_EVENTS_METRIC, MetricUnit.Count, 1);
      }
      // Messages of the errors that reach here are built without values, tokens or bodies; no stack or cause is logged.
      logger.error('Ingest run failed', {
        dataset: datasetName,
        errorName: error instanceof Error ? error.name : 'UnknownError',
        errorMessage: error instanceof Error ? error.message : 'non-Error value thrown',
      });
      throw error;
    } finally {
      http?.close();
      // Zero the data keys now rather than keep them in a frozen execution environment.
      encryptor?.dispose();
      metrics.publishStoredMetrics();
    }
  };
}

/** Refuses (and reports as a security event) an event that tries to change what the function does. */
function refuseForeignEvents(event: unknown, owned: OwnedDataset, deps: HandlerDeps): void {
  try {
    checkInvocationEvent(event, owned.dataset);
  } catch (e) {
    if (e instanceof EventRefusedError) {
      deps.logger.error('Security event: an invocation event tried to change the ingest config', {
        securityEvent: 'IngestEventRefused',
        dataset: owned.dataset.name,
        datasetConfigSha256: owned.sha256,
        differences: e.differences,
      });
    }
    throw e;
  }
}

function defaultDeps(): HandlerDeps {
  const { logger, metrics, tracer } = createPowertools({ defaultServiceName: 'ingest' });
  // Clients are created once per execution environment; the SDK comes from the Lambda runtime.
  const ddb = tracer.captureAWSv3Client(new DynamoDBClient({}));
  return {
    secrets: SecretCache.fromClient(tracer.captureAWSv3Client(new SecretsManagerClient({}))),
    s3: tracer.captureAWSv3Client(new S3Client({})),
    ddb: DynamoDBDocumentClient.from(ddb),
    kms: tracer.captureAWSv3Client(new KMSClient({})),
    producer: (props) => createMskProducer({ ...props, logger }),
    logger,
    metrics,
  };
}

export const handler: IngestHandler = createHandler(defaultDeps());
