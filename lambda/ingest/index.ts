/**
 * Ingest stage entry point: reads one dataset's source API and produces its protected records to MSK.
 * Invoked per dataset by an EventBridge schedule with the event `{ "dataset": <DatasetConfig JSON> }`, which is
 * validated again here (validateDatasetsConfig). The logic lives in ./ingest.ts and the modules it uses; this file
 * only wires clients, secrets and Powertools.
 *
 * Environment:
 * - API_CREDENTIAL_SECRET_ARN: the source API credential secret, JSON kept by lambda/rotate-api-credential;
 *   its `accessToken` (tokenType Bearer) is sent as the bearer token.
 * - TOKENIZATION_KEY_SECRET_ARN: the tokenization key secret (`{"currentVersion": n, "keys": {"n": "<base64>"}}`);
 *   required when the dataset has `tokenize` fields.
 * - DATA_KEY_ID: the KMS key (id, ARN or alias) for envelope encryption; required when the dataset has `encrypt` fields.
 * - TOPIC: the Kafka topic, e.g. `patient_visits.clean`; `{dataset}` in it is replaced by the dataset name.
 * - BOOTSTRAP_BROKERS: MSK bootstrap brokers for SASL/IAM over TLS, `host:9098` comma-separated.
 * - QUARANTINE_BUCKET: bucket for invalid records (written with SSE-KMS).
 * - WATERMARK_TABLE: DynamoDB table with partition key `dataset` holding the source cursor.
 * - POWERTOOLS_SERVICE_NAME (default `ingest`), POWERTOOLS_METRICS_NAMESPACE (default `SecureDataPipeline`),
 *   POWERTOOLS_LOG_LEVEL as usual; AWS_REGION is set by Lambda.
 *
 * Returns a summary (pages, fetched, produced, quarantined, stopReason). Throws — so the invocation fails and the
 * watermark stays — when the source cannot be read, Kafka does not acknowledge, or a write fails.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { validateDatasetsConfig } from '../../lib/config/datasets';
import { EnvelopeEncryptor, FieldHandlingDeps, KmsClientLike, parseTokenizationKeys } from '../shared/field-handling';
import { createHttpsClient, HttpsClient, HttpsClientOptions } from '../shared/https-client';
import { createPowertools, StageMetrics } from '../shared/powertools';
import type { RetryDeps, RetryPolicy } from '../shared/retry';
import { SecretCache } from '../shared/secrets';
import { createBearerTokenProvider } from './credential';
import { parseIngestSettings } from './environment';
import { IngestResult, runIngest } from './ingest';
import { createMskProducer, RecordProducer } from './kafka';
import { createS3QuarantineWriter, S3ClientLike } from './quarantine';
import { createHttpPageSource } from './source';
import { createDynamoWatermarkStore, DocumentClientLike } from './watermark';

export interface IngestEvent {
  readonly dataset: unknown;
}

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
}

export type IngestHandler = (event: IngestEvent, context?: Context) => Promise<IngestResult>;

export function createHandler(deps: HandlerDeps): IngestHandler {
  const { logger, metrics } = deps;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    let datasetName: string | undefined;
    let http: HttpsClient | undefined;
    let encryptor: EnvelopeEncryptor | undefined;
    try {
      // Re-validated: the schedule's payload is config, and a stale or hand-made event must not bypass the rules.
      const dataset = validateDatasetsConfig({ datasets: [event?.dataset] }, 'ingest event').datasets[0];
      datasetName = dataset.name;
      metrics.addDimension('dataset', dataset.name);
      const settings = parseIngestSettings(deps.env ?? process.env, dataset);
      const tokenizationKey = settings.tokenizationKeySecretArn !== undefined
        ? parseTokenizationKeys(await deps.secrets.getString(settings.tokenizationKeySecretArn)).current
        : undefined;
      if (settings.dataKeyId !== undefined) encryptor = new EnvelopeEncryptor({ kms: deps.kms, keyId: settings.dataKeyId });
      const protection: FieldHandlingDeps = { ...(tokenizationKey ? { tokenizationKey } : {}), ...(encryptor ? { encryptor } : {}) };
      http = createHttpsClient(deps.http);
      const minRemainingMs = deps.minRemainingMs ?? 60_000;
      return await runIngest(dataset, {
        source: createHttpPageSource({
          dataset,
          http,
          ...(settings.apiCredentialSecretArn !== undefined ? { credentials: createBearerTokenProvider(deps.secrets, settings.apiCredentialSecretArn) } : {}),
          logger,
          ...(deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {}),
          ...(deps.retryDeps ? { retryDeps: deps.retryDeps } : {}),
        }),
        producer: deps.producer({ brokers: settings.brokers, region: settings.region, clientId: `ingest-${dataset.name}` }),
        topic: settings.topic,
        quarantine: createS3QuarantineWriter(deps.s3, settings.quarantineBucket),
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
