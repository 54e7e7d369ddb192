/**
 * Load stage entry point: invoked by the SQS queue that receives the curated buckets' ObjectCreated notifications
 * (event source mapping with ReportBatchItemFailures). Each message is handled on its own, one after the other on
 * one database connection (Powertools BatchProcessor, sequential): a message that fails is reported in
 * `batchItemFailures` and only it is retried; the others are deleted. The logic is in ./load.ts.
 *
 * Environment (see ./environment.ts): DB_HOST, DB_PORT (5432), DB_NAME, DB_USER (pipeline_loader), DB_SCHEMA
 * (pipeline), QUARANTINE_BUCKET, QUARANTINE_KEY_ARN (required), AWS_REGION (set by Lambda),
 * POWERTOOLS_SERVICE_NAME (default `load`), POWERTOOLS_METRICS_NAMESPACE.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { S3ClientLike } from '../shared/ndjson-object';
import type { StageLogger } from '../shared/stage-logger';
import { createPowertools, MetricUnit, StageMetrics } from '../shared/powertools';
import { ConnectFn, connectWith, iamAuthTokenProvider, LoaderConnection, loaderClientConfig } from './database';
import { LoadSettings, parseLoadSettings } from './environment';
import { isPermanent, METRIC_NAMES, ObjectLoadResult, processMessage } from './load';
import { TableLayoutCache } from './table';

export interface HandlerDeps {
  readonly s3: S3ClientLike;
  /** Powertools Logger in Lambda (tests may pass any object with these methods). */
  readonly logger: StageLogger & Pick<Logger, 'addContext'>;
  readonly metrics: StageMetrics;
  /**
   * Opens a connection for the settings. @default verify-full TLS with the RDS CA bundle and an IAM token
   * (loaderClientConfig + iamAuthTokenProvider)
   */
  readonly connect?: (settings: LoadSettings) => ConnectFn;
  /** Shared by the invocations of an execution environment. @default a 5-minute cache */
  readonly layouts?: TableLayoutCache;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Told about every object committed (the local run counts with it). */
  readonly onObjectLoaded?: (result: ObjectLoadResult) => void | Promise<void>;
}

export type LoadHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export function defaultConnect(settings: LoadSettings): ConnectFn {
  return connectWith(loaderClientConfig(settings, { password: iamAuthTokenProvider(settings) }));
}

export function createHandler(deps: HandlerDeps): LoadHandler {
  const { logger, metrics } = deps;
  const layouts = deps.layouts ?? new TableLayoutCache();
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    const settings = parseLoadSettings(deps.env ?? process.env);
    const connection = new LoaderConnection((deps.connect ?? defaultConnect)(settings), logger);
    const loadDeps = {
      s3: deps.s3, settings, connection, layouts, logger, metrics,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.onObjectLoaded ? { onObjectLoaded: deps.onObjectLoaded } : {}),
    };
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      try {
        await processMessage(record, loadDeps);
      } catch (error) {
        metrics.addMetric(METRIC_NAMES.failedMessages, MetricUnit.Count, 1);
        // Names, codes, buckets and keys only: no message text of pg (it may quote values) and no record data.
        logger.error(isPermanent(error) ? 'Message cannot be loaded; it ends in the DLQ after its receives' : 'Message failed; SQS retries it', {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          errorName: error instanceof Error ? error.name : 'UnknownError',
          code: (error as { code?: unknown })?.code,
          errorMessage: error instanceof Error && !('severity' in error) ? error.message : undefined,
        });
        throw error;
      }
    };
    try {
      // Sequential: the messages share one connection, and a transaction per object.
      return await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
        ...(context !== undefined ? { context } : {}),
        processInParallel: false,
      });
    } finally {
      await connection.close();
      metrics.publishStoredMetrics();
    }
  };
}

function defaultDeps(): HandlerDeps {
  const { logger, metrics, tracer } = createPowertools({ defaultServiceName: 'load' });
  return { s3: tracer.captureAWSv3Client(new S3Client({})), logger, metrics };
}

export const handler: LoadHandler = createHandler(defaultDeps());
