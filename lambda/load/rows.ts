/**
 * From the lines of a curated object to upsert parameters, checked against the table layout before anything is
 * sent: the JSON type must fit the column (a string for text, date and timestamp columns, a safe integer for
 * integer columns, a finite number for numeric ones, a boolean for boolean ones), NOT NULL columns need a value,
 * and `_dataset`, when present, must be the dataset of the object's key. What only the database can judge
 * (varchar length, timestamp syntax, a CHECK constraint) is left to it: see upsert.ts.
 *
 * Every column of the table is written: a field absent from the record is NULL, so an upsert replaces the row
 * with the record as it is now. Fields the table has no column for (`_ingestedAt`, `_dataset`, dropped fields)
 * are not written. Reasons name fields and rules, never values.
 */
import type { TableLayout } from './table';

export interface PreparedRow {
  /** 1-based line of the curated object. */
  readonly line: number;
  /** The id column's value, as text. */
  readonly id: string;
  /** One parameter per layout column, in layout order. */
  readonly params: readonly (string | null)[];
}

/** A line that is not loaded, with the record as the curated object holds it (already protected by ingest). */
export interface RefusedRow {
  readonly line: number;
  readonly reasons: readonly string[];
  readonly record?: Readonly<Record<string, unknown>>;
  /** The SQLSTATE when the database refused the row. */
  readonly sqlState?: string;
}

export type Preparation = { readonly ok: true; readonly row: PreparedRow } | { readonly ok: false; readonly refused: RefusedRow };

const EXPECTED: Readonly<Record<string, string>> = {
  text: 'a string',
  integer: 'a whole number within ±(2^53-1)',
  number: 'a finite number',
  boolean: 'a boolean',
  timestamp: 'an ISO-8601 timestamp string',
  date: 'a YYYY-MM-DD date string',
  other: 'a string, number or boolean',
};

export function prepareRow(value: unknown, line: number, layout: TableLayout, dataset: string): Preparation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, refused: { line, reasons: [`line ${line} is not a JSON object`] } };
  }
  const record = value as Record<string, unknown>;
  const own = (name: string): unknown => (Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined);
  const reasons: string[] = [];
  const named = own('_dataset');
  if (named !== undefined && named !== dataset) reasons.push(`_dataset does not name "${dataset}", the dataset of the object's key`);

  const params: (string | null)[] = [];
  for (const column of layout.columns) {
    const v = own(column.name);
    if (v === undefined || v === null) {
      if (column.notNull) reasons.push(`field "${column.name}" is required but ${v === undefined ? 'missing' : 'null'}`);
      params.push(null);
      continue;
    }
    const param = toParam(v, column.kind);
    if (param === undefined) {
      reasons.push(`field "${column.name}" expected ${EXPECTED[column.kind]} for column type ${column.type}, got ${jsonType(v)}`);
      params.push(null);
    } else if (param.includes('\u0000')) {
      reasons.push(`field "${column.name}" contains a NUL character (U+0000), which the database cannot store`);
      params.push(null);
    } else {
      params.push(param);
    }
  }
  if (reasons.length > 0) return { ok: false, refused: { line, reasons, record } };
  const idIndex = layout.columns.findIndex((c) => c.name === layout.idColumn);
  return { ok: true, row: { line, id: params[idIndex] ?? '', params } };
}

function toParam(v: unknown, kind: string): string | undefined {
  switch (kind) {
    case 'text':
    case 'timestamp':
    case 'date':
      return typeof v === 'string' ? v : undefined;
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? String(v) : undefined;
    default:
      return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : undefined;
  }
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  const type = typeof v;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
