/**
 * The local run in process (runLocal), on the example inputs, looking at what it leaves behind in the local S3
 * server and the database before they are removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVELOPE_PREFIX, TOKEN_PATTERN } from '../../lambda/shared/field-handling';
import { LocalRunState, runLocal } from '../../scripts/local-run/pipeline';

const ROOT = path.resolve(__dirname, '..', '..');
const CONFIG = path.join(ROOT, 'examples', 'datasets.json');
const example = (dataset: string) => path.join(ROOT, 'examples', 'data', `${dataset}.jsonl`);

/** Every object of both buckets, gunzipped, as text. */
async function everything(state: LocalRunState): Promise<string> {
  const texts: string[] = [];
  for (const bucket of [state.curatedBucket, state.quarantineBucket]) {
    for (const key of await state.s3.keys(bucket)) texts.push(JSON.stringify((await state.s3.readNdjson(bucket, key)).lines));
  }
  return texts.join('\n');
}

test('patient_visits (Restricted): reconciles, and no name, card number or note of the input is in S3 or the database in the clear', async () => {
  const input = fs.readFileSync(example('patient_visits'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const records = input.flatMap((line) => {
    try {
      const value = JSON.parse(line) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
  const secrets = [
    ...records.map((r) => r.patient_name),
    ...records.map((r) => r.card_number),
    ...records.map((r) => r.clinician_notes),
  ].filter((v): v is string => typeof v === 'string' && v.length >= 8);
  expect(secrets.length).toBeGreaterThan(10);

  let rows: Array<Record<string, unknown>> = [];
  let stored = '';
  const summary = await runLocal({
    dataset: 'patient_visits', input: example('patient_visits'), config: CONFIG, logLevel: 'SILENT',
    inspect: async (state) => {
      stored = await everything(state);
      rows = (await state.database.query('SELECT * FROM pipeline.patient_visits ORDER BY visit_id')).rows as Array<Record<string, unknown>>;
    },
  });

  expect(summary).toMatchObject({ read: input.length, lost: 0, deadLettered: 0, reconciled: true });
  expect(summary.loaded + summary.quarantined).toBe(input.length);
  expect(rows).toHaveLength(summary.distinctRows);
  expect(summary.distinctRows).toBeLessThan(summary.loaded); // the example repeats a visit id
  for (const secret of secrets) {
    expect(stored).not.toContain(secret);
    expect(JSON.stringify(rows)).not.toContain(secret);
  }
  for (const row of rows) {
    expect(String(row.patient_name)).toMatch(new RegExp(`^${ENVELOPE_PREFIX}`));
    expect(String(row.diagnosis_code)).toMatch(new RegExp(`^${ENVELOPE_PREFIX}`));
    expect(String(row.patient_id)).toMatch(TOKEN_PATTERN);
    if (row.card_number !== null) expect(String(row.card_number)).toMatch(/^\*+\d{4}$/);
    expect(row).not.toHaveProperty('clinician_notes');
  }
});

test('weather_observations with the database down for the whole load phase: every stored record is dead-lettered, none lost', async () => {
  const summary = await runLocal({ dataset: 'weather_observations', input: example('weather_observations'), config: CONFIG, logLevel: 'SILENT', dbDown: true });
  expect(summary).toMatchObject({ loaded: 0, distinctRows: 0, lost: 0, reconciled: true, faults: { databaseOutage: 'whole-load-phase' } });
  expect(summary.deadLettered).toBe(summary.stored);
  expect(summary.stages.load.deadLetteredMessages).toBeGreaterThan(0);
  expect(summary.read).toBe(summary.quarantined + summary.deadLettered);
  expect(summary.stages.source).toMatchObject({ bearerTokenRequired: false });
});

test('customer_orders example: reconciles with the update of a repeated order applied', async () => {
  let status: unknown;
  const summary = await runLocal({
    dataset: 'customer_orders', input: example('customer_orders'), config: CONFIG, logLevel: 'SILENT',
    inspect: async (state) => {
      status = (await state.database.query("SELECT status FROM pipeline.customer_orders WHERE order_id = 'ord-1003'")).rows[0]?.status;
    },
  });
  expect(summary).toMatchObject({ lost: 0, deadLettered: 0, reconciled: true });
  expect(summary.loaded - summary.distinctRows).toBe(1);
  expect(status).toBe('refunded');
});
