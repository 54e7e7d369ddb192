/**
 * Record validation: a zod schema derived from a dataset's FieldConfig list, and validation reasons that name the
 * field and the rule broken but never quote the value (they go to quarantine objects and logs).
 *
 * Types: string (no NUL characters, which PostgreSQL text cannot store; `maxLength` in Unicode code points, as
 * PostgreSQL varchar counts), integer (a JSON number that is a safe integer, |n| <= 2^53-1), number (finite JSON
 * number), boolean, timestamp (ISO-8601 date-time with seconds and `Z` or a ±hh:mm offset, e.g.
 * 2024-05-01T12:00:00Z), date (calendar date YYYY-MM-DD). Year 0000 is refused (PostgreSQL has no year 0).
 * `required: true` means present and not null; optional fields may be absent or null. Fields the config does
 * not declare are ignored (applyFieldHandlings leaves them out anyway).
 */
import { z } from 'zod';
import type { DatasetConfig, FieldConfig, FieldType } from '../../lib/config/datasets';

export type RecordValidation =
  | { readonly valid: true; readonly record: Readonly<Record<string, unknown>> }
  | { readonly valid: false; readonly reasons: readonly string[] };

/** A compiled validator for one dataset. */
export interface RecordValidator {
  readonly schema: z.ZodType<Record<string, unknown>>;
  validate(raw: unknown): RecordValidation;
}

type Rule = 'nul' | 'maxLength' | 'year';

const JSON_TYPE: Readonly<Record<FieldType, 'string' | 'number' | 'boolean'>> = {
  string: 'string',
  integer: 'number',
  number: 'number',
  boolean: 'boolean',
  timestamp: 'string',
  date: 'string',
};

const EXPECTED: Readonly<Record<FieldType, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  timestamp: 'an ISO-8601 timestamp string',
  date: 'a YYYY-MM-DD date string',
};

const FORMAT_REASON: Readonly<Partial<Record<FieldType, string>>> = {
  timestamp: 'is not an ISO-8601 timestamp with seconds and a UTC offset (e.g. 2024-05-01T12:00:00Z)',
  date: 'is not a calendar date in YYYY-MM-DD form',
  integer: 'is not a whole number within ±(2^53-1)',
};

const ruled = (rule: Rule) => ({ params: { rule } });
const notYearZero = (text: string): boolean => !text.startsWith('0000-');

/** The zod schema of one field's value, without the required/optional wrapper. */
export function fieldValueSchema(field: FieldConfig): z.ZodType {
  switch (field.type) {
    case 'string': {
      let schema: z.ZodType<string> = z.string().refine((s) => !s.includes('\u0000'), ruled('nul'));
      const max = field.maxLength;
      if (max !== undefined) schema = schema.refine((s) => codePointLength(s) <= max, ruled('maxLength'));
      return schema;
    }
    case 'integer':
      return z.number().int();
    case 'number':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'timestamp':
      return z.iso.datetime({ offset: true }).refine(notYearZero, ruled('year'));
    case 'date':
      return z.iso.date().refine(notYearZero, ruled('year'));
    default:
      throw new Error(`Field "${(field as FieldConfig).name}" has unknown type "${String((field as FieldConfig).type)}"`);
  }
}

/** The record schema: every declared field, required ones present and non-null; undeclared fields stripped. */
export function recordSchemaFor(dataset: DatasetConfig): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const field of dataset.fields) {
    const value = fieldValueSchema(field);
    shape[field.name] = field.required ? value : value.nullish();
  }
  return z.object(shape) as unknown as z.ZodType<Record<string, unknown>>;
}

export function createRecordValidator(dataset: DatasetConfig): RecordValidator {
  const schema = recordSchemaFor(dataset);
  const fields = new Map(dataset.fields.map((f) => [f.name, f]));
  return {
    schema,
    validate(raw: unknown): RecordValidation {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        return { valid: false, reasons: [`the record is not a JSON object (got ${jsonTypeName(raw)})`] };
      }
      // Only own properties of declared fields, on an object without a prototype: a field called "constructor"
      // must not see Object.prototype.constructor, and nothing undeclared reaches the schema.
      const own: Record<string, unknown> = Object.create(null);
      for (const name of fields.keys()) {
        if (Object.prototype.hasOwnProperty.call(raw, name)) own[name] = (raw as Record<string, unknown>)[name];
      }
      const result = schema.safeParse(own);
      if (result.success) return { valid: true, record: result.data };
      const reasons = new Set<string>();
      for (const issue of result.error.issues) {
        const name = issue.path[0];
        const field = typeof name === 'string' ? fields.get(name) : undefined;
        reasons.add(field ? `field "${field.name}" ${describeIssue(issue, field, own[field.name])}` : 'the record is invalid');
      }
      return { valid: false, reasons: [...reasons] };
    },
  };
}

/**
 * Describes an issue from the field's config, the value's JSON type and the rule broken — never from zod's
 * message or the value itself, so no input text can leak into reasons.
 */
function describeIssue(issue: z.core.$ZodIssue, field: FieldConfig, value: unknown): string {
  if (value === undefined) return 'is required but missing';
  if (value === null) return 'is required but null';
  const actual = jsonTypeName(value);
  if (actual !== JSON_TYPE[field.type]) return `expected ${EXPECTED[field.type]}, got ${withArticle(actual)}`;
  const rule = issue.code === 'custom' ? (issue.params as { rule?: Rule } | undefined)?.rule : undefined;
  switch (rule) {
    case 'nul':
      return 'contains a NUL character (U+0000), which the database cannot store';
    case 'maxLength':
      return `is longer than ${field.maxLength} characters`;
    case 'year':
      return 'has year 0000, which the database cannot store';
    default:
      return FORMAT_REASON[field.type] ?? `is not a valid ${field.type}`;
  }
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function withArticle(type: string): string {
  return type === 'null' ? 'null' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function codePointLength(text: string): number {
  return Array.from(text).length;
}
