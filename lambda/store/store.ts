/**
 * One store invocation: every topic-partition batch of an MSK event becomes one gzip NDJSON object in the curated
 * bucket (SSE-KMS with the classification's key), and the records of the batch that do not decode become one
 * quarantine object. Both keys are functions of the batch's offsets, so a retried batch overwrites its objects.
 *
 * A record that does not decode never fails the batch: it is quarantined by reference (topic, partition, offset,
 * Kafka timestamp, reason; its bytes stay in the topic for the retention period) and the rest is stored. An S3
 * failure does fail the invocation: the event source mapping retries the whole batch, and after its retries
 * sends the batch to the on-failure destination. Partitions are written concurrently; when one fails the others
 * are still completed (and simply overwritten by the retry).
 */
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { encodeNdjson, putNdjsonObject, S3ClientLike } from '../shared/ndjson-object';
import { MetricUnit, StageMetrics } from '../shared/powertools';
import type { StageLogger } from '../shared/stage-logger';
import { decodeRecord } from './decode';
import type { StoreSettings } from './environment';
import { batchDate, curatedObjectKey, offsetRange, PartitionBatch, partitionBatches, storeQuarantineKey } from './layout';

export interface StoreDeps {
  readonly s3: S3ClientLike;
  readonly settings: StoreSettings;
  readonly logger: StageLogger;
  readonly metrics: StageMetrics;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** A record refused by the store, by reference only. */
export interface RefusedRecord {
  readonly offset: number;
  /** Kafka timestamp (ISO-8601), when the record has a valid one. */
  readonly kafkaTimestamp?: string;
  readonly reason: string;
}

/** What the store makes of one partition batch (pure; see planPartition). */
export interface PartitionPlan {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly dt: string;
  /** Decoded record values, in offset order: the lines of the curated object. */
  readonly lines: readonly Record<string, unknown>[];
  readonly refused: readonly RefusedRecord[];
  readonly curatedKey: string;
  readonly quarantineKey: string;
}

export interface WrittenObject {
  readonly bucket: string;
  readonly key: string;
  readonly records: number;
}

export interface PartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly stored: number;
  readonly quarantined: number;
  readonly curated?: WrittenObject;
  readonly quarantine?: WrittenObject;
}

export interface StoreResult {
  readonly dataset: string;
  readonly received: number;
  readonly stored: number;
  readonly quarantined: number;
  readonly partitions: readonly PartitionResult[];
}

export const METRIC_NAMES = {
  received: 'RecordsReceived',
  stored: 'RecordsStored',
  quarantined: 'RecordsQuarantined',
  objects: 'ObjectsWritten',
} as const;

/** Curated-object metadata names (x-amz-meta-*). */
export const METADATA = {
  recordCount: 'record-count',
  sha256: 'sha256',
  dataset: 'dataset',
  topic: 'topic',
  partition: 'partition',
  firstOffset: 'first-offset',
  lastOffset: 'last-offset',
  quarantinedCount: 'quarantined-count',
} as const;

/** The S3 write of a batch failed; the invocation fails so the event source mapping retries the batch. */
export class StoreWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreWriteError';
  }
}

/** Decodes a partition batch and decides every record's place. Pure. */
export function planPartition(batch: PartitionBatch, dataset: string): PartitionPlan {
  const lines: Record<string, unknown>[] = [];
  const refused: RefusedRecord[] = [];
  for (const record of batch.records) {
    const decoded = decodeRecord(record, dataset);
    if (decoded.ok) lines.push(decoded.value);
    else refused.push({ offset: record.offset, ...kafkaTimestamp(record), reason: decoded.reason });
  }
  const range = offsetRange(batch);
  const dt = batchDate(batch, lines[0]?._ingestedAt);
  return {
    topic: batch.topic,
    ...range,
    dt,
    lines,
    refused,
    curatedKey: curatedObjectKey(dataset, dt, range),
    quarantineKey: storeQuarantineKey(dataset, dt, range),
  };
}

export async function runStore(event: MSKEvent, deps: StoreDeps): Promise<StoreResult> {
  const { settings, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const plans = partitionBatches(event).map((batch) => planPartition(batch, settings.dataset));

  const settled = await Promise.allSettled(plans.map((plan) => writePartition(plan, deps, now)));
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  const partitions = settled.filter((s): s is PromiseFulfilledResult<PartitionResult> => s.status === 'fulfilled').map((s) => s.value);

  const result: StoreResult = {
    dataset: settings.dataset,
    received: plans.reduce((n, p) => n + p.lines.length + p.refused.length, 0),
    stored: partitions.reduce((n, p) => n + p.stored, 0),
    quarantined: partitions.reduce((n, p) => n + p.quarantined, 0),
    partitions,
  };
  metrics.addMetric(METRIC_NAMES.received, MetricUnit.Count, result.received);
  metrics.addMetric(METRIC_NAMES.stored, MetricUnit.Count, result.stored);
  metrics.addMetric(METRIC_NAMES.quarantined, MetricUnit.Count, result.quarantined);
  metrics.addMetric(METRIC_NAMES.objects, MetricUnit.Count, partitions.reduce((n, p) => n + (p.curated ? 1 : 0) + (p.quarantine ? 1 : 0), 0));
  if (failures.length > 0) {
    const first = failures[0].reason as unknown;
    throw first instanceof Error ? first : new StoreWriteError('Writing a partition batch failed');
  }
  logger.info('Batch stored', { dataset: result.dataset, received: result.received, stored: result.stored, quarantined: result.quarantined, partitions: partitions.length });
  return result;
}

async function writePartition(plan: PartitionPlan, deps: StoreDeps, now: () => Date): Promise<PartitionResult> {
  const { settings, logger } = deps;
  const where = { dataset: settings.dataset, topic: plan.topic, partition: plan.partition, firstOffset: plan.firstOffset, lastOffset: plan.lastOffset };
  let quarantine: WrittenObject | undefined;
  let curated: WrittenObject | undefined;

  if (plan.refused.length > 0) {
    const quarantinedAt = now().toISOString();
    const encoded = encodeNdjson(plan.refused.map((r) => ({
      dataset: settings.dataset, stage: 'store', topic: plan.topic, partition: plan.partition, ...r, quarantinedAt,
    })));
    await put(deps, settings.quarantineBucket, plan.quarantineKey, () =>
      putNdjsonObject(deps.s3, {
        bucket: settings.quarantineBucket,
        key: plan.quarantineKey,
        encoded,
        kmsKeyArn: settings.quarantineKeyArn,
        metadata: { [METADATA.recordCount]: String(encoded.lines), [METADATA.sha256]: encoded.sha256, [METADATA.dataset]: settings.dataset },
      }));
    quarantine = { bucket: settings.quarantineBucket, key: plan.quarantineKey, records: plan.refused.length };
    // Offsets and reasons only: the refused bytes are never logged.
    plan.refused.slice(0, 10).forEach((r) => logger.warn('Record quarantined', { ...where, offset: r.offset, reason: r.reason }));
  }

  if (plan.lines.length > 0) {
    const encoded = encodeNdjson(plan.lines);
    await put(deps, settings.curatedBucket, plan.curatedKey, () =>
      putNdjsonObject(deps.s3, {
        bucket: settings.curatedBucket,
        key: plan.curatedKey,
        encoded,
        kmsKeyArn: settings.curatedKeyArn,
        metadata: {
          [METADATA.recordCount]: String(encoded.lines),
          [METADATA.sha256]: encoded.sha256,
          [METADATA.dataset]: settings.dataset,
          [METADATA.topic]: plan.topic,
          [METADATA.partition]: String(plan.partition),
          [METADATA.firstOffset]: String(plan.firstOffset),
          [METADATA.lastOffset]: String(plan.lastOffset),
          [METADATA.quarantinedCount]: String(plan.refused.length),
        },
      }));
    curated = { bucket: settings.curatedBucket, key: plan.curatedKey, records: plan.lines.length };
  }

  logger.info('Partition batch stored', { ...where, stored: plan.lines.length, quarantined: plan.refused.length, key: curated?.key, quarantineKey: quarantine?.key });
  return {
    topic: plan.topic,
    partition: plan.partition,
    firstOffset: plan.firstOffset,
    lastOffset: plan.lastOffset,
    stored: plan.lines.length,
    quarantined: plan.refused.length,
    ...(curated ? { curated } : {}),
    ...(quarantine ? { quarantine } : {}),
  };
}

async function put(deps: StoreDeps, bucket: string, key: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    const name = e instanceof Error ? e.name : 'UnknownError';
    deps.logger.error('Writing an object failed; the batch will be retried', { dataset: deps.settings.dataset, bucket, key, errorName: name });
    throw new StoreWriteError(`Writing s3://${bucket}/${key} failed (${name}); the event source mapping retries the batch`, { cause: e });
  }
}

function kafkaTimestamp(record: MSKRecord): { kafkaTimestamp?: string } {
  const ms = record.timestamp;
  return Number.isFinite(ms) && ms > 0 && ms < 253402300800000 ? { kafkaTimestamp: new Date(ms).toISOString() } : {};
}
