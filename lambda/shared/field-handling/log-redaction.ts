/** Log-safe views of records, for Powertools Logger (which must never log values of protected fields). */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Classification } from '../../../lib/classification';
import type { DatasetConfig, FieldConfig } from '../../../lib/config/datasets';

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

export type LoggableValue = string | number | boolean | null;
export type RedactedRecord = Readonly<Record<string, LoggableValue>>;

/** The Logger methods logRecord uses (a Powertools Logger, or a child logger). */
export type RecordLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type RecordLogger = Pick<Logger, RecordLogLevel>;

/**
 * A view of `record` that is safe to log: the id field (when it is kept and not Restricted) and Public `keep`
 * fields show their values; every other declared field that is present shows `[REDACTED]` (null stays null, so
 * missing values remain visible). Fields the config does not declare are left out. Non-scalar values are
 * redacted even in shown fields.
 *
 * Give this, not the record, to the logger: `logger.warn('quarantined', { record: redactForLog(r, dataset) })`.
 */
export function redactForLog(record: Readonly<Record<string, unknown>>, dataset: DatasetConfig): RedactedRecord {
  const out: Record<string, LoggableValue> = {};
  if (typeof record !== 'object' || record === null) return out;
  for (const field of dataset.fields) {
    if (!Object.prototype.hasOwnProperty.call(record, field.name)) continue;
    const value = record[field.name];
    let shown: LoggableValue;
    if (value === null || value === undefined) {
      shown = null;
    } else if (mayShow(field, dataset)) {
      shown = loggableScalar(value);
    } else {
      shown = REDACTED;
    }
    Object.defineProperty(out, field.name, { value: shown, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Logs `message` with the dataset name and `redactForLog(record, dataset)` under `record`, so handlers have one
 * call that cannot log a record unredacted.
 */
export function logRecord(
  logger: RecordLogger,
  level: RecordLogLevel,
  message: string,
  record: Readonly<Record<string, unknown>>,
  dataset: DatasetConfig,
): void {
  logger[level](message, { dataset: dataset.name, record: redactForLog(record, dataset) });
}

function mayShow(field: FieldConfig, dataset: DatasetConfig): boolean {
  if (field.handling !== 'keep' || field.classification === Classification.RESTRICTED) return false;
  return field.name === dataset.idField || field.classification === Classification.PUBLIC;
}

function loggableScalar(value: unknown): LoggableValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  return REDACTED;
}
