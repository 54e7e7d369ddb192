/**
 * Loading one curated object into its dataset's table, in one transaction:
 *
 * 1. the dataset is read from the key (`dataset=<name>/…`), the object is read, gunzipped, checked against the
 *    record count and SHA-256 the store wrote in its metadata, and split into lines;
 * 2. each line is checked against the table layout (rows.ts); lines that are not JSON or do not fit go to
 *    quarantine;
 * 3. BEGIN; the rows are upserted by id (upsert.ts); rows the database refuses go to quarantine;
 * 4. the quarantine object (`dataset=<name>/dt=<dt>/load-<file>`, deterministic) is written BEFORE the COMMIT, so
 *    a refused row is never forgotten; then COMMIT.
 *
 * Any other failure — S3, the connection, a timeout, a missing table, a corrupt object — rolls back and throws: the
 * SQS message fails, is retried after its visibility timeout and ends in the queue's DLQ after maxReceiveCount
 * receives. Loading an object again gives the same rows (upsert by id; `_loaded_at` moves).
 */
import type { SQSRecord } from 'aws-lambda';
import { decodeNdjson, encodeNdjson, getObjectBytes, putNdjsonObject, S3ClientLike } from '../shared/ndjson-object';
import { MetricUnit, StageMetrics } from '../shared/powertools';
import type { StageLogger } from '../shared/stage-logger';
import type { LoaderConnection } from './database';
import type { LoadSettings } from './environment';
import { loadQuarantineKey, MessageFormatError, ObjectRef, parseCuratedKey, parseMessageBody } from './message';
import { PreparedRow, prepareRow, RefusedRow } from './rows';
import type { TableLayoutCache } from './table';
import { upsertRows } from './upsert';

export interface LoadDeps {
  readonly s3: S3ClientLike;
  readonly settings: LoadSettings;
  readonly connection: LoaderConnection;
  readonly layouts: TableLayoutCache;
  readonly logger: StageLogger;
  readonly metrics: StageMetrics;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Told about every object loaded (committed); the local run counts with it. */
  readonly onObjectLoaded?: (result: ObjectLoadResult) => void | Promise<void>;
}

export interface ObjectLoadResult {
  readonly bucket: string;
  readonly key: string;
  readonly dataset: string;
  /** Lines in the object. */
  readonly records: number;
  /** Lines upserted (every one of several with the same id counts). */
  readonly loaded: number;
  readonly quarantined: number;
  readonly quarantineKey?: string;
}

export const METRIC_NAMES = {
  objects: 'ObjectsLoaded',
  loaded: 'RecordsLoaded',
  quarantined: 'RecordsQuarantined',
  failedMessages: 'MessagesFailed',
} as const;

/** The object is not what the store writes (corrupt, tampered, or from elsewhere); retries cannot help. */
export class ObjectIntegrityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObjectIntegrityError';
  }
}

/** Transaction settings: bounded waits, and only pg_catalog on the search path (every name is qualified). */
const TRANSACTION_SETTINGS = [
  "SET LOCAL statement_timeout = '60s'",
  "SET LOCAL lock_timeout = '10s'",
  "SET LOCAL idle_in_transaction_session_timeout = '60s'",
  'SET LOCAL search_path = pg_catalog',
];

/** Handles one SQS message: an S3 test event is acknowledged; every ObjectCreated object in it is loaded. */
export async function processMessage(record: Pick<SQSRecord, 'messageId' | 'body'>, deps: LoadDeps): Promise<ObjectLoadResult[]> {
  const content = parseMessageBody(record.body);
  if (content.kind === 'test') {
    deps.logger.info('S3 test event acknowledged', { messageId: record.messageId });
    return [];
  }
  if (content.ignoredEvents > 0) {
    deps.logger.warn('Ignored S3 events other than ObjectCreated', { messageId: record.messageId, ignored: content.ignoredEvents });
  }
  const results: ObjectLoadResult[] = [];
  for (const ref of content.objects) results.push(await loadObject(ref, deps));
  return results;
}

export async function loadObject(ref: ObjectRef, deps: LoadDeps): Promise<ObjectLoadResult> {
  const { settings, logger, metrics } = deps;
  const curated = parseCuratedKey(ref.key);
  const where = { dataset: curated.dataset, bucket: ref.bucket, key: ref.key };

  const object = await getObjectBytes(deps.s3, ref.bucket, ref.key, ref.versionId);
  let decoded;
  try {
    decoded = decodeNdjson(object.body);
  } catch (e) {
    throw new ObjectIntegrityError(`s3://${ref.bucket}/${ref.key}: ${e instanceof Error ? e.message : 'cannot be decoded'}`, { cause: e });
  }
  checkIntegrity(ref, object.metadata, decoded.lines.length, decoded.sha256, logger);

  const connection = await deps.connection.client();
  const layout = await deps.layouts.get(connection, settings.schema, curated.dataset);

  const prepared: PreparedRow[] = [];
  const refused: RefusedRow[] = [];
  const records = new Map<number, Readonly<Record<string, unknown>>>();
  for (const line of decoded.lines) {
    if (!line.ok) {
      refused.push({ line: line.line, reasons: [line.reason] });
      continue;
    }
    const preparation = prepareRow(line.value, line.line, layout, curated.dataset);
    if (preparation.ok) {
      prepared.push(preparation.row);
      records.set(line.line, line.value as Record<string, unknown>);
    } else {
      refused.push(preparation.refused);
    }
  }

  let loaded = 0;
  let quarantineKey: string | undefined;
  try {
    await connection.query('BEGIN');
    for (const setting of TRANSACTION_SETTINGS) await connection.query(setting);
    const outcome = await upsertRows(connection, layout, prepared, ref.key);
    loaded = outcome.loaded;
    refused.push(...outcome.refused.map((r) => ({ ...r, ...(records.has(r.line) ? { record: records.get(r.line) } : {}) })));
    if (refused.length > 0) {
      quarantineKey = loadQuarantineKey(curated);
      await writeQuarantine(deps, ref, curated.dataset, quarantineKey, refused);
    }
    await connection.query('COMMIT');
  } catch (e) {
    await connection.query('ROLLBACK').catch(() => deps.connection.markBroken());
    throw e;
  }

  const result: ObjectLoadResult = {
    bucket: ref.bucket,
    key: ref.key,
    dataset: curated.dataset,
    records: decoded.lines.length,
    loaded,
    quarantined: refused.length,
    ...(quarantineKey !== undefined ? { quarantineKey } : {}),
  };
  metrics.addMetric(METRIC_NAMES.objects, MetricUnit.Count, 1);
  metrics.addMetric(METRIC_NAMES.loaded, MetricUnit.Count, loaded);
  metrics.addMetric(METRIC_NAMES.quarantined, MetricUnit.Count, refused.length);
  // Line numbers and reasons only: reasons never hold values.
  refused.slice(0, 10).forEach((r) => logger.warn('Row quarantined', { ...where, line: r.line, reasons: r.reasons, sqlState: r.sqlState }));
  logger.info('Object loaded', { ...where, records: result.records, loaded, quarantined: result.quarantined, quarantineKey });
  await deps.onObjectLoaded?.(result);
  return result;
}

function checkIntegrity(ref: ObjectRef, metadata: Readonly<Record<string, string>>, lines: number, sha256: string, logger: StageLogger): void {
  const expectedSha = metadata['sha256'];
  const expectedCount = metadata['record-count'];
  if (expectedSha === undefined || expectedCount === undefined) {
    logger.warn('Object has no record-count/sha256 metadata (not written by the store stage); loading it unchecked', { bucket: ref.bucket, key: ref.key });
    return;
  }
  if (expectedSha !== sha256 || expectedCount !== String(lines)) {
    throw new ObjectIntegrityError(
      `s3://${ref.bucket}/${ref.key} does not match its metadata (record-count ${expectedCount}, found ${lines}; sha256 ${expectedSha === sha256 ? 'matches' : 'differs'}); it is not loaded`,
    );
  }
}

/** Writes refused rows to the quarantine bucket under its key (exported for the bucket-policy test). */
export async function writeQuarantine(deps: Pick<LoadDeps, 's3' | 'settings' | 'now'>, ref: ObjectRef, dataset: string, key: string, refused: readonly RefusedRow[]): Promise<void> {
  const quarantinedAt = (deps.now ?? (() => new Date()))().toISOString();
  const encoded = encodeNdjson(refused.map((r) => ({
    dataset,
    stage: 'load',
    sourceBucket: ref.bucket,
    sourceKey: ref.key,
    ...(ref.versionId !== undefined ? { sourceVersionId: ref.versionId } : {}),
    line: r.line,
    reasons: r.reasons,
    ...(r.sqlState !== undefined ? { sqlState: r.sqlState } : {}),
    quarantinedAt,
    // As in the curated object: already protected by the ingest stage (tokens, ciphertext, masks).
    ...(r.record !== undefined ? { form: 'handled', record: r.record } : {}),
  })));
  await putNdjsonObject(deps.s3, {
    bucket: deps.settings.quarantineBucket,
    key,
    encoded,
    kmsKeyArn: deps.settings.quarantineKeyArn,
    metadata: { 'record-count': String(encoded.lines), sha256: encoded.sha256, dataset },
  });
}

/** Whether retrying the message cannot help (it then ends in the DLQ after maxReceiveCount receives). */
export function isPermanent(error: unknown): boolean {
  return error instanceof MessageFormatError || error instanceof ObjectIntegrityError;
}
