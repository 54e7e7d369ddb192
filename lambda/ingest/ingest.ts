/**
 * One ingest run for one dataset: read pages from the stored position on, validate and protect each record, produce
 * the valid ones, quarantine the invalid ones, and only then advance the watermark to the next page's position
 * (a cursor or a same-origin link, see ./source.ts).
 *
 * Delivery: at-least-once. A page's position is stored only after Kafka acknowledged (acks=all) every valid record
 * of the page and the quarantine object of the page is written, so a run that fails anywhere re-reads that page
 * next time and nothing is skipped; duplicates carry the same key and are absorbed downstream (upsert by id).
 * When the last page has no next position the watermark stays at that page's, so the next run re-reads it
 * and picks up records the source appended to it since.
 */
import type { Message } from 'kafkajs';
import type { DatasetConfig } from '../../lib/config/datasets';
import {
  applyFieldHandlings,
  FieldHandlingDeps,
  FieldHandlingError,
  ProtectedRecord,
  RecordLogger,
  redactForLog,
} from '../shared/field-handling';
import { MetricUnit, StageMetrics } from '../shared/powertools';
import { ProduceError, WatermarkConflictError } from './errors';
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_MESSAGE_BYTES, messageBytes, produceAll, RecordProducer, recordMessage } from './kafka';
import type { QuarantineEntry, QuarantineWriter } from './quarantine';
import { createRecordValidator } from './schema';
import type { PageSource } from './source';
import { samePosition, WatermarkStore } from './watermark';

export interface IngestDeps {
  readonly source: PageSource;
  readonly producer: RecordProducer;
  readonly topic: string;
  readonly quarantine: QuarantineWriter;
  readonly watermark: WatermarkStore;
  /** Tokenization key and envelope encryptor for the dataset's handlings. */
  readonly protection: FieldHandlingDeps;
  readonly logger: RecordLogger;
  readonly metrics: StageMetrics;
  /** Names this run in quarantine keys (the Lambda request id, so a retried invocation overwrites its objects). */
  readonly runId: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Asked before every page after the first; false ends the run cleanly (e.g. little Lambda time left). */
  readonly shouldContinue?: () => boolean;
  /** @default 500 */
  readonly maxPages?: number;
  /** Larger messages are quarantined. @default DEFAULT_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** @default DEFAULT_MAX_BATCH_BYTES */
  readonly maxBatchBytes?: number;
  /** Quarantined records logged (redacted) per page; the rest are only counted. @default 10 */
  readonly maxLoggedRecordsPerPage?: number;
}

export type StopReason = 'end-of-source' | 'max-pages' | 'time-budget' | 'cursor-repeated' | 'watermark-conflict';

export interface IngestResult {
  readonly dataset: string;
  readonly pages: number;
  readonly fetched: number;
  readonly produced: number;
  readonly quarantined: number;
  /** How many times the stored position moved in this run. */
  readonly watermarkAdvances: number;
  readonly stopReason: StopReason;
  /**
   * The run stopped with a next page announced by the source and stored as the watermark (`max-pages` or
   * `time-budget`): the next schedule has at least one page to read. See BACKLOG_STOP_REASONS.
   */
  readonly backlog: boolean;
}

/**
 * Stop reasons that leave pages for the next run. How many is not knowable: positions are opaque and the protocol
 * has no total, so the stage reports that a backlog exists (at least one page), not its size. `cursor-repeated`
 * (a source fault) and `watermark-conflict` (another run is reading) are not counted as backlog.
 */
export const BACKLOG_STOP_REASONS: readonly StopReason[] = ['max-pages', 'time-budget'];

export const METRIC_NAMES = {
  fetched: 'RecordsFetched',
  produced: 'RecordsProduced',
  quarantined: 'RecordsQuarantined',
  pages: 'PagesRead',
  /**
   * 1 when the run stopped with pages left for the next run (BACKLOG_STOP_REASONS), 0 when it read the source to its
   * end; published by every run that completes. Alarm on it staying at 1 over several schedules: the source grows
   * faster than the stage reads it (raise maxPages or the schedule rate).
   */
  backlog: 'Backlog',
} as const;

type Outcome = { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly entry: QuarantineEntry };

export async function runIngest(dataset: DatasetConfig, deps: IngestDeps): Promise<IngestResult> {
  const now = deps.now ?? (() => new Date());
  const maxPages = deps.maxPages ?? 500;
  const maxMessageBytes = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxLogged = deps.maxLoggedRecordsPerPage ?? 10;
  const validator = createRecordValidator(dataset);
  const { logger, metrics } = deps;
  const totals = { pages: 0, fetched: 0, produced: 0, quarantined: 0, watermarkAdvances: 0 };

  /** Validates and protects one record; record faults become quarantine entries, everything else throws. */
  const protect = async (raw: unknown, index: number, ingestedAt: string): Promise<Outcome> => {
    const validation = validator.validate(raw);
    if (!validation.valid) return quarantined(index, raw, validation.reasons);
    let handled: ProtectedRecord;
    try {
      handled = await applyFieldHandlings(validation.record, dataset, deps.protection);
    } catch (e) {
      // A value that cannot be protected (e.g. a lone surrogate) is the record's fault; KMS or key errors are not.
      if (e instanceof FieldHandlingError) return redacted(index, raw, [e.message]);
      throw e;
    }
    const message = recordMessage(handled, dataset, ingestedAt);
    const size = messageBytes(message);
    if (size > maxMessageBytes) {
      // Refused here so one oversized record cannot fail every run of the dataset.
      return { ok: false, entry: { index, form: 'handled', record: handled, reasons: [`the record is ${size} bytes as a Kafka message, above the ${maxMessageBytes}-byte limit`] } };
    }
    return { ok: true, message };
  };

  /** A quarantine entry holding the invalid record after field handling, or redacted when handling is impossible. */
  const quarantined = async (index: number, raw: unknown, reasons: readonly string[]): Promise<Outcome> => {
    const object = asObject(raw);
    if (object === undefined) return redacted(index, raw, reasons);
    try {
      return { ok: false, entry: { index, form: 'handled', record: await applyFieldHandlings(object, dataset, deps.protection), reasons } };
    } catch (e) {
      if (e instanceof FieldHandlingError) return redacted(index, raw, reasons);
      throw e;
    }
  };

  const redacted = (index: number, raw: unknown, reasons: readonly string[]): Outcome =>
    ({ ok: false, entry: { index, form: 'redacted', record: redactForLog(asObject(raw) ?? {}, dataset), reasons } });

  let producerConnected = false;
  let watermark = await deps.watermark.read(dataset.name);
  let position = watermark?.position;
  let stopReason: StopReason | undefined;
  logger.info('Ingest run starting', { dataset: dataset.name, runId: deps.runId, resumesFromCursor: position !== undefined });

  try {
    for (let page = 1; stopReason === undefined; page++) {
      if (page > 1 && deps.shouldContinue && !deps.shouldContinue()) {
        stopReason = 'time-budget';
        break;
      }
      const { records, next } = await deps.source.fetchPage(position);
      totals.pages += 1;
      totals.fetched += records.length;
      metrics.addMetric(METRIC_NAMES.pages, MetricUnit.Count, 1);
      metrics.addMetric(METRIC_NAMES.fetched, MetricUnit.Count, records.length);

      const ingestedAt = now().toISOString();
      const messages: Message[] = [];
      const entries: QuarantineEntry[] = [];
      for (let i = 0; i < records.length; i++) {
        const outcome = await protect(records[i], i, ingestedAt);
        if (outcome.ok) messages.push(outcome.message);
        else entries.push(outcome.entry);
      }

      if (messages.length > 0) {
        if (!producerConnected) {
          await deps.producer.connect();
          producerConnected = true;
        }
        try {
          await produceAll(deps.producer, deps.topic, messages, deps.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
        } catch (e) {
          throw new ProduceError(
            `Kafka did not acknowledge the records of page ${page} of dataset "${dataset.name}" on topic ${deps.topic} ` +
              `(${e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error'}); the watermark was not moved, the next run re-reads this page`,
            { cause: e },
          );
        }
      }
      totals.produced += messages.length;
      metrics.addMetric(METRIC_NAMES.produced, MetricUnit.Count, messages.length);

      let quarantineKey: string | undefined;
      if (entries.length > 0) {
        quarantineKey = await deps.quarantine.write({ dataset: dataset.name, runId: deps.runId, page, quarantinedAt: now(), entries });
        entries.slice(0, maxLogged).forEach((entry) => {
          logger.warn('Record quarantined', {
            dataset: dataset.name, page, index: entry.index, reasons: entry.reasons, record: redactForLog(asObject(records[entry.index]) ?? {}, dataset),
          });
        });
      }
      totals.quarantined += entries.length;
      metrics.addMetric(METRIC_NAMES.quarantined, MetricUnit.Count, entries.length);

      logger.info('Page ingested', {
        dataset: dataset.name, page, fetched: records.length, produced: messages.length, quarantined: entries.length,
        quarantineKey, hasNextPage: next !== undefined,
      });

      if (next === undefined) {
        stopReason = 'end-of-source';
      } else if (samePosition(next, position)) {
        logger.warn('Source returned the position it was called with; stopping to avoid a loop', { dataset: dataset.name, page });
        stopReason = 'cursor-repeated';
      } else {
        try {
          watermark = await deps.watermark.advance(dataset.name, next, watermark);
        } catch (e) {
          if (!(e instanceof WatermarkConflictError)) throw e;
          logger.warn('Another run moved the watermark; stopping without overwriting it', { dataset: dataset.name, page });
          stopReason = 'watermark-conflict';
          break;
        }
        totals.watermarkAdvances += 1;
        position = next;
        if (page >= maxPages) stopReason = 'max-pages';
      }
    }
  } finally {
    if (producerConnected) {
      try {
        await deps.producer.disconnect();
      } catch (e) {
        logger.warn('Kafka producer did not disconnect cleanly', { dataset: dataset.name, errorName: e instanceof Error ? e.name : 'unknown' });
      }
    }
  }

  const finalReason = stopReason ?? 'end-of-source';
  const backlog = BACKLOG_STOP_REASONS.includes(finalReason);
  metrics.addMetric(METRIC_NAMES.backlog, MetricUnit.Count, backlog ? 1 : 0);
  const result: IngestResult = { dataset: dataset.name, ...totals, stopReason: finalReason, backlog };
  logger.info('Ingest run finished', { ...result });
  return result;
}

function asObject(raw: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
}
