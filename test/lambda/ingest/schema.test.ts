/** The zod record schema derived from a dataset's FieldConfig list, and value-free validation reasons. */
import fc from 'fast-check';
import type { FieldConfig } from '../../../lib/config/datasets';
import { createRecordValidator, fieldValueSchema, recordSchemaFor } from '../../../lambda/ingest/schema';
import { datasetFrom, exampleDataset } from './support/fakes';

const field = (overrides: Partial<FieldConfig> & Pick<FieldConfig, 'type'>): FieldConfig =>
  ({ name: 'f', handling: 'keep', classification: 'Internal', required: true, ...overrides }) as FieldConfig;

const accepts = (f: FieldConfig, value: unknown): boolean => fieldValueSchema(f).safeParse(value).success;

/** A dataset with one field of each type, some optional. */
const typed = datasetFrom({
  name: 'typed',
  classification: 'Internal',
  idField: 'id',
  source: { url: 'https://api.example.com/typed', recordsPath: 'items' },
  fields: [
    { name: 'id', type: 'string', maxLength: 8 },
    { name: 'count', type: 'integer' },
    { name: 'ratio', type: 'number' },
    { name: 'flag', type: 'boolean' },
    { name: 'seen_at', type: 'timestamp' },
    { name: 'day', type: 'date' },
    { name: 'note', type: 'string', required: false, maxLength: 4 },
    { name: 'constructor', type: 'string', required: false },
  ],
});
const validator = createRecordValidator(typed);
const good = { id: 'a1', count: 3, ratio: 0.5, flag: false, seen_at: '2024-05-01T12:00:00Z', day: '2024-02-29' };

describe('zod schema derived from FieldConfig', () => {
  test.each([
    ['string', 'text', true],
    ['string', 7, false],
    ['string', 'a\u0000b', false],
    ['integer', 42, true],
    ['integer', -0, true],
    ['integer', 4.2, false],
    ['integer', 2 ** 53, false],
    ['integer', '42', false],
    ['number', 4.2, true],
    ['number', '4.2', false],
    ['boolean', true, true],
    ['boolean', 'true', false],
    ['timestamp', '2024-05-01T12:00:00Z', true],
    ['timestamp', '2024-05-01T12:00:00.123+02:00', true],
    ['timestamp', '2024-05-01T12:00:00', false],
    ['timestamp', '2024-02-30T12:00:00Z', false],
    ['timestamp', '0000-01-01T00:00:00Z', false],
    ['timestamp', 1714564800000, false],
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['date', '2024-13-01', false],
    ['date', '2024-05-01T00:00:00Z', false],
    ['date', '0000-01-01', false],
  ] as const)('%s accepts %p: %p', (type, value, expected) => {
    expect(accepts(field({ type }), value)).toBe(expected);
  });

  test('maxLength counts Unicode code points, as PostgreSQL varchar does', () => {
    const f = field({ type: 'string', maxLength: 3 });
    expect(accepts(f, '😀😀😀')).toBe(true); // 6 UTF-16 units, 3 code points
    expect(accepts(f, 'abcd')).toBe(false);
  });

  test('required fields must be present and non-null; optional ones may be absent or null', () => {
    expect(validator.validate(good)).toEqual({ valid: true, record: good });
    expect(validator.validate({ ...good, note: null }).valid).toBe(true);
    expect(validator.validate({ ...good, count: null })).toEqual({ valid: false, reasons: ['field "count" is required but null'] });
    const withoutFlag: Record<string, unknown> = { ...good };
    delete withoutFlag.flag;
    expect(validator.validate(withoutFlag)).toEqual({ valid: false, reasons: ['field "flag" is required but missing'] });
  });

  test('ignores undeclared fields and leaves them out of the validated record', () => {
    const result = validator.validate({ ...good, extra: 'x', nested: { a: 1 } });
    expect(result.valid).toBe(true);
    expect(result.valid && Object.keys(result.record).sort()).toEqual(Object.keys(good).sort());
  });

  test('a field named like an Object.prototype member is not read from the prototype', () => {
    expect(validator.validate(good).valid).toBe(true); // "constructor" absent and optional, not "a function"
    expect(validator.validate({ ...good, constructor: 5 })).toEqual({ valid: false, reasons: ['field "constructor" expected a string, got a number'] });
  });

  test('reports every broken field with the rule, in terms of the config', () => {
    const result = validator.validate({ id: 'much-too-long', count: 1.5, ratio: 'x', flag: false, seen_at: 'yesterday', day: '2024-02-30', note: 'a\u0000' });
    expect(result).toEqual({
      valid: false,
      reasons: expect.arrayContaining([
        'field "id" is longer than 8 characters',
        'field "count" is not a whole number within ±(2^53-1)',
        'field "ratio" expected a number, got a string',
        'field "seen_at" is not an ISO-8601 timestamp with seconds and a UTC offset (e.g. 2024-05-01T12:00:00Z)',
        'field "day" is not a calendar date in YYYY-MM-DD form',
        'field "note" contains a NUL character (U+0000), which the database cannot store',
      ]),
    });
    expect(result.valid === false && result.reasons).toHaveLength(6);
  });

  test.each([
    ['an array', [good], 'the record is not a JSON object (got array)'],
    ['a string', 'id=a1', 'the record is not a JSON object (got string)'],
    ['null', null, 'the record is not a JSON object (got null)'],
  ])('refuses a record that is %s', (_what, record, reason) => {
    expect(validator.validate(record)).toEqual({ valid: false, reasons: [reason] });
  });

  test('accepts a well-formed record of every example dataset', () => {
    const records: Record<string, unknown> = {
      weather_observations: { observation_id: 'o-1', station: 'EGLL', observed_at: '2024-05-01T12:00:00Z', temperature_c: 14.5 },
      customer_orders: { order_id: 'o-1', customer_email: 'a@example.com', amount: 12.5, currency: 'EUR', status: 'paid', ordered_at: '2024-05-01T12:00:00+01:00' },
      patient_visits: { visit_id: 'v-1', visit_date: '2024-05-01', patient_id: 'p-1', patient_name: 'Ada', diagnosis_code: 'J45', card_number: '4111111111111111' },
    };
    for (const [name, record] of Object.entries(records)) {
      const dataset = exampleDataset(name);
      expect(recordSchemaFor(dataset).safeParse(record).success).toBe(true);
      expect(createRecordValidator(dataset).validate(record).valid).toBe(true);
    }
  });

  test('reasons never quote the value, whatever it is (property)', () => {
    const marker = fc.string({ minLength: 6 }).map((s) => `Q${s}Z`);
    fc.assert(
      fc.property(marker, fc.constantFrom('id', 'count', 'ratio', 'flag', 'seen_at', 'day', 'note'), (value, name) => {
        const result = validator.validate({ ...good, [name]: name === 'id' || name === 'note' ? `${value}${'x'.repeat(10)}` : value });
        expect(result.valid).toBe(false);
        const text = JSON.stringify(result);
        expect(text).not.toContain(value);
        expect(text).not.toContain(JSON.stringify(value).slice(1, -1));
      }),
      { numRuns: 200 },
    );
  });
});
