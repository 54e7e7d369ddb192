/**
 * Property: for arbitrary records of the example datasets (valid, invalid, malformed), nothing the ingest stage
 * produces to Kafka, writes to quarantine or logs contains the plaintext of a protected field — a Restricted or
 * non-`keep` field — nor of a field the config does not declare. Real field handling, faked KMS, faked Kafka,
 * faked S3, in-memory watermark, real Powertools Logger with its output captured.
 */
import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import type { DatasetConfig, FieldConfig } from '../../../lib/config/datasets';
import { runIngest } from '../../../lambda/ingest/ingest';
import { createS3QuarantineWriter } from '../../../lambda/ingest/quarantine';
import type { Watermark, WatermarkStore } from '../../../lambda/ingest/watermark';
import { EnvelopeEncryptor, parseTokenizationKeys } from '../../../lambda/shared/field-handling';
import { createFakeKms, FAKE_KEY_ARN, FakeKms } from '../shared/field-handling/fake-kms';
import { captureOutput, createFakeS3, exampleDataset, FakeProducer, tokenizationSecret, QUARANTINE_KEY_ARN } from './support/fakes';

const DATASETS = ['weather_observations', 'customer_orders', 'patient_visits'].map(exampleDataset);
const tokenizationKey = parseTokenizationKeys(tokenizationSecret()).current;

/** Restricted or not kept: its value must never appear in the clear. */
const isProtected = (f: FieldConfig): boolean => f.classification === 'Restricted' || f.handling !== 'keep';

interface Generated {
  readonly records: unknown[];
  /** Markers that must not appear anywhere in the output. */
  readonly secrets: string[];
}

/**
 * Every string value carries a marker `Q<record><field><6 random>Z` (10+ ASCII characters, unique per record
 * and field), followed by an arbitrary tail (quotes, backslashes, any Unicode, lone surrogates). No marker is a
 * substring of another, so finding one in the output means that very value leaked.
 */
function recordsOf(dataset: DatasetConfig): fc.Arbitrary<Generated> {
  const tail = fc.oneof(
    fc.string({ maxLength: 5 }),
    fc.string({ unit: 'binary', maxLength: 3 }),
    fc.constantFrom('"', '\\', '\uD800', '\u0000', 'é', '😀'),
  );
  const timestamp = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });

  const oneRecord = (r: number, salt: string): fc.Arbitrary<{ record: unknown; secrets: string[] }> => {
    const marker = (i: number) => `Q${r}${String(i).padStart(2, '0')}${salt}Z`;
    const fieldValues = dataset.fields.map((field, i) => {
      const m = marker(i);
      const shortText = field.maxLength !== undefined && field.maxLength < m.length + 5;
      const valid: fc.Arbitrary<unknown> = {
        string: shortText ? fc.string({ minLength: 1, maxLength: field.maxLength }) : tail.map((t) => `${m}${t}`),
        integer: fc.integer(),
        number: fc.double({ noNaN: true, noDefaultInfinity: true }),
        boolean: fc.boolean(),
        timestamp: timestamp.map((d) => d.toISOString()),
        date: timestamp.map((d) => d.toISOString().slice(0, 10)),
      }[field.type];
      const value = fc.oneof(
        { weight: 12, arbitrary: valid },
        { weight: 1, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constant(undefined) }, // absent
        { weight: 1, arbitrary: field.type === 'string' ? fc.integer() : tail.map((t) => `${m}${t}`) }, // wrong type
        { weight: 1, arbitrary: fc.constantFrom({ nested: m }, [m], { deep: [{ x: m }] }) }, // cannot be handled
        { weight: 1, arbitrary: tail.map((t) => `${m}${t}${'x'.repeat(300)}`) }, // too long / wrong type
      );
      // A marker must stay secret if the field is protected, or whenever it is nested (never output as such).
      return value.map((v) => ({ name: field.name, v, secret: isProtected(field) || (typeof v === 'object' && v !== null) ? m : undefined }));
    });
    const extra = marker(99);
    return fc.tuple(fc.tuple(...fieldValues), fc.integer({ min: 0, max: 9 })).map(([values, shape]) => {
      const record: Record<string, unknown> = { undeclared_field: `${extra}plain`, nested_extra: { inner: extra } };
      for (const { name, v } of values) if (v !== undefined) record[name] = v;
      const secrets = [extra, ...values.flatMap((x) => (x.secret && JSON.stringify(x.v ?? null).includes(x.secret) ? [x.secret] : []))];
      if (shape === 0) return { record: `${extra} as a bare string`, secrets: [extra] }; // not an object at all
      if (shape === 1) return { record: [record], secrets }; // an array instead of an object
      return { record, secrets };
    });
  };

  return fc.tuple(fc.integer({ min: 1, max: 5 }), fc.stringMatching(/^[a-z0-9]{6}$/)).chain(([n, salt]) =>
    fc.tuple(...Array.from({ length: n }, (_, r) => oneRecord(r, salt))).map((items) => ({
      records: items.map((i) => i.record),
      secrets: items.flatMap((i) => i.secrets),
    })),
  );
}

function memoryWatermark(): WatermarkStore {
  let stored: Watermark | undefined;
  return {
    read: async () => stored,
    advance: async (_d, position) => (stored = { position, updatedAt: new Date().toISOString() }),
  };
}

let kms: FakeKms;
beforeAll(() => {
  kms = createFakeKms();
});
afterAll(() => kms.restore());

describe.each(DATASETS.map((d) => [d.name, d] as const))('no protected plaintext leaves the ingest stage: %s', (_name, dataset) => {
  test('in produced messages, quarantine objects or logs, for arbitrary records (property)', async () => {
    const seen = { produced: 0, quarantined: 0 };
    await fc.assert(
      fc.asyncProperty(recordsOf(dataset), async ({ records, secrets }) => {
        const s3 = createFakeS3();
        const producer = new FakeProducer();
        const encryptor = new EnvelopeEncryptor({ kms: kms.client, keyId: FAKE_KEY_ARN });
        const output = captureOutput();
        let thrown: unknown;
        try {
          await runIngest(dataset, {
            source: { fetchPage: async () => ({ records }) },
            producer,
            topic: `${dataset.name}.clean`,
            quarantine: createS3QuarantineWriter(s3.client, 'q', QUARANTINE_KEY_ARN),
            watermark: memoryWatermark(),
            protection: { tokenizationKey, encryptor },
            logger: new Logger({ serviceName: 'ingest-property', logLevel: 'DEBUG' }),
            metrics: { addMetric: () => undefined, addDimension: () => undefined, publishStoredMetrics: () => undefined },
            runId: 'prop',
          });
        } catch (e) {
          thrown = e;
        } finally {
          output.stop();
          encryptor.dispose();
        }
        const quarantined = s3.puts().map((p) => gunzipSync(Buffer.from(p.Body as Uint8Array)).toString('utf8'));
        s3.restore();
        expect(thrown).toBeUndefined();
        const everything = [
          ...producer.messages.map((m) => `${String(m.key)}\n${String(m.value)}`),
          ...quarantined,
          output.text(),
        ].join('\n');
        // Every record ended up somewhere: produced or quarantined.
        const quarantinedCount = quarantined.join('').split('\n').filter((l) => l !== '').length;
        expect(producer.messages.length + quarantinedCount).toBe(records.length);
        seen.produced += producer.messages.length;
        seen.quarantined += quarantinedCount;
        for (const secret of secrets) expect(everything).not.toContain(secret);
      }),
      { numRuns: 60 },
    );
    // Both paths were exercised, so the property speaks about produced and quarantined records alike.
    expect(seen.produced).toBeGreaterThan(0);
    expect(seen.quarantined).toBeGreaterThan(0);
  });
});

test('the property can fail: a logger that prints the raw record is caught', async () => {
  const dataset = exampleDataset('patient_visits');
  const sample = fc.sample(recordsOf(dataset), { numRuns: 20, seed: 7 }).find((g) => g.secrets.length > 1);
  if (!sample) throw new Error('expected a sample with protected values');
  const output = captureOutput();
  new Logger({ serviceName: 'leaky' }).info('raw', { records: sample.records });
  output.stop();
  expect(sample.secrets.some((s) => output.text().includes(s))).toBe(true);
});
