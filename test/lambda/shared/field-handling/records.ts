/** Test helpers: records generated from a dataset config, and checks that a value does not appear in output. */
import fc from 'fast-check';
import { Classification, FIELD_HANDLINGS } from '../../../../lib/classification';
import type { DatasetConfig, FieldConfig, FieldType } from '../../../../lib/config/datasets';
import { FIELD_TYPES } from '../../../../lib/config/datasets';

const dateArb = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2020-12-31T23:59:59Z'), noInvalidDate: true });

/** A value of the field's type, as it may arrive after validation (strings in any script, emoji, numbers, dates). */
export function valueArb(type: FieldType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 15 }),
        fc.emailAddress(),
        fc.stringMatching(/^[0-9]{13,19}$/),
        fc.constantFrom('Ada Lovelace', 'Ïñtërnâtiônàlizætiøn', '患者の名前 テスト', 'I10 essential hypertension 😷'),
      );
    case 'integer':
      return fc.maxSafeInteger();
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'timestamp':
      return fc.oneof(dateArb, dateArb.map((d) => d.toISOString()));
    case 'date':
      return dateArb.map((d) => d.toISOString().slice(0, 10));
  }
}

/**
 * A record for the dataset: every field present, null or absent (absent fields are left out of the object), plus
 * a few undeclared fields with arbitrary JSON values.
 */
export function recordArb(dataset: DatasetConfig): fc.Arbitrary<Record<string, unknown>> {
  const names = new Set(dataset.fields.map((f) => f.name));
  const fields = Object.fromEntries(
    dataset.fields.map((f) => [
      f.name,
      fc.oneof({ weight: 6, arbitrary: valueArb(f.type) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    ]),
  );
  const extras = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !names.has(k) && k !== '__proto__'),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 3 },
  );
  return fc.tuple(fc.record(fields), extras).map(([declared, extra]) => {
    const record: Record<string, unknown> = { ...extra };
    for (const [k, v] of Object.entries(declared)) if (v !== undefined) record[k] = v;
    return record;
  });
}

const IDENTIFIER = /^[a-z][a-z0-9_]{0,15}$/;

/** Dataset configs beyond the examples: any mix of types, handlings, classifications and mask suffixes. */
export const datasetArb: fc.Arbitrary<DatasetConfig> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9_]{1,20}$/),
    fields: fc.uniqueArray(
      fc.record({
        name: fc.stringMatching(IDENTIFIER).filter((n) => n !== 'id'),
        type: fc.constantFrom(...FIELD_TYPES),
        handling: fc.constantFrom(...FIELD_HANDLINGS),
        classification: fc.constantFrom(Classification.PUBLIC, Classification.INTERNAL, Classification.RESTRICTED),
        required: fc.boolean(),
        maskKeepSuffix: fc.integer({ min: 0, max: 8 }),
      }),
      { minLength: 1, maxLength: 8, selector: (f) => f.name },
    ),
  })
  .map(({ name, fields }) => ({
    name,
    classification: Classification.RESTRICTED,
    idField: 'id',
    source: { url: 'https://example.com/api', schedule: 'rate(1 hour)', maxResponseBytes: 1024 },
    fields: [
      { name: 'id', type: 'string', handling: 'keep', classification: Classification.INTERNAL, required: true } as FieldConfig,
      ...fields.map(({ maskKeepSuffix, ...f }): FieldConfig => (f.handling === 'mask' ? { ...f, maskKeepSuffix } : f)),
    ],
  }));

/** Every string in a value: object keys, strings, and the string form of numbers and booleans. */
export function stringLeaves(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return [String(value)];
  if (value instanceof Date) return [value.toISOString()];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...stringLeaves(v)]);
  return [];
}

/** The whole string form of a value, as a leak would show it. */
export function plaintextOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return undefined;
  return String(value);
}

/** Characters of tokens (hex) and envelopes (base64): a short value of only these could occur in them by chance. */
const ENCODED_ALPHABET = /^[A-Za-z0-9+/=:]*$/;

/**
 * True when finding `secret` in output would really mean a leak: long enough (12 code points when it could be a
 * chance run of hex or base64, else 6), no mask stars, and not part of what the output legitimately shows.
 */
export function isMeaningfulSecret(secret: string, shown: readonly string[]): boolean {
  const length = Array.from(secret).length;
  if (length < (ENCODED_ALPHABET.test(secret) ? 12 : 6) || secret.includes('*')) return false;
  return !shown.some((s) => s.includes(secret));
}
