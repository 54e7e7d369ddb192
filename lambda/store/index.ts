/**
 * Store stage entry point: invoked by the MSK event source mapping of one dataset's topic (`<dataset>.clean`),
 * writes every topic-partition batch to the curated bucket of the dataset's classification. The logic is in
 * ./store.ts; this file only wires the S3 client and Powertools.
 *
 * Environment (see ./environment.ts): DATASET, CURATED_BUCKET, CURATED_KEY_ARN, QUARANTINE_BUCKET,
 * QUARANTINE_KEY_ARN (optional), POWERTOOLS_SERVICE_NAME (default `store`), POWERTOOLS_METRICS_NAMESPACE.
 *
 * Returns a summary (ignored by the event source mapping). Throws when an object cannot be written, so the event
 * source mapping retries the batch and finally hands it to the on-failure destination.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, MSKEvent } from 'aws-lambda';
import type { S3ClientLike } from '../shared/ndjson-object';
import type { StageLogger } from '../shared/stage-logger';
import { createPowertools, StageMetrics } from '../shared/powertools';
import { parseStoreSettings } from './environment';
import { runStore, StoreResult } from './store';

export interface HandlerDeps {
  readonly s3: S3ClientLike;
  /** Powertools Logger in Lambda (tests may pass any object with these methods). */
  readonly logger: StageLogger & Pick<Logger, 'addContext'>;
  readonly metrics: StageMetrics;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export type StoreHandler = (event: MSKEvent, context?: Context) => Promise<StoreResult>;

export function createHandler(deps: HandlerDeps): StoreHandler {
  const { logger, metrics } = deps;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    let dataset: string | undefined;
    try {
      const settings = parseStoreSettings(deps.env ?? process.env);
      dataset = settings.dataset;
      metrics.addDimension('dataset', settings.dataset);
      return await runStore(event, { s3: deps.s3, settings, logger, metrics, ...(deps.now ? { now: deps.now } : {}) });
    } catch (error) {
      // Messages of the errors that reach here name buckets, keys and error names only, never record bytes.
      logger.error('Store invocation failed', {
        dataset,
        errorName: error instanceof Error ? error.name : 'UnknownError',
        errorMessage: error instanceof Error ? error.message : 'non-Error value thrown',
      });
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function defaultDeps(): HandlerDeps {
  const { logger, metrics, tracer } = createPowertools({ defaultServiceName: 'store' });
  return { s3: tracer.captureAWSv3Client(new S3Client({})), logger, metrics };
}

export const handler: StoreHandler = createHandler(defaultDeps());
