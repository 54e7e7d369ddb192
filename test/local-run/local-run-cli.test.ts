/**
 * `npm run local-run` as a user runs it: the script spawned with tsx, one JSON summary on stdout, the exit code.
 * Each run starts its own PostgreSQL, S3 server and source API, and removes them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, runScript, ScriptRun } from '../helpers/run-script';

type Run = ScriptRun;

function localRun(args: readonly string[]): Promise<Run> {
  return runScript('scripts/local-run.ts', args, { ...process.env, INIT_CWD: ROOT });
}

const order = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  order_id: id, customer_email: `buyer-${id}@example.com`, amount: 19.99, currency: 'EUR', status: 'paid', ordered_at: '2024-05-02T10:00:00Z', ...extra,
});

let dir: string;
let input: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-run-test-'));
  input = path.join(dir, 'orders.jsonl');
  const ids = Array.from({ length: 12 }, (_, i) => `o-${String(i + 1).padStart(2, '0')}`);
  fs.writeFileSync(input, [
    ...ids.slice(0, 4).map((id) => order(id)),
    '{"order_id": "o-99", "customer_email": "truncated@example.com", ',
    order('o-05'),
    order('o-05'), // the same record twice in a row: one page, one batch
    order('o-13', { amount: '12' }), // wrong type
    JSON.stringify({ customer_email: 'no-id@example.com', amount: 1, currency: 'EUR', status: 'paid', ordered_at: '2024-05-02T10:00:00Z' }), // no id
    ...ids.slice(5, 9).map((id) => order(id)),
    '',
    'this line is not JSON',
    order('o-14', { currency: 'EURO' }), // longer than varchar(3)
    order('o-15', { status: 'x'.repeat(1024 * 1024) }), // a 1 MiB value
    order('o-03', { status: 'refunded' }), // an update of an earlier record, in a later batch
    '[1, 2]',
    ...ids.slice(9).map((id) => order(id)),
  ].join('\n'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('with malformed lines, duplicates, a transient S3 failure and a database stop mid-batch, every record is accounted for and nothing is lost', async () => {
  const started = Date.now();
  const run = await localRun(['--dataset', 'customer_orders', '--input', input, '--fail-s3-once', '--fail-db-once']);
  expect(run.code).toBe(0);
  const summary = JSON.parse(run.stdout) as Record<string, unknown> & { stages: Record<string, Record<string, unknown>>; faults: Record<string, unknown> };
  // 21 non-empty lines: 14 valid records (12 ids, one repeated, one updated) and 7 refused by ingest.
  expect(summary).toMatchObject({ read: 21, produced: 14, stored: 14, loaded: 14, quarantined: 7, deadLettered: 0, lost: 0, distinctRows: 12, reconciled: true });
  expect(summary.stages.source).toMatchObject({ served: 21, bearerTokenRequired: true, unauthorizedRequests: 0 });
  expect(summary.stages.ingest).toMatchObject({ fetched: 21, produced: 14, quarantined: 7 });
  // The transient failures happened and were absorbed by the retry paths.
  expect(summary.faults).toEqual({ s3FailuresServed: 1, databaseOutage: 'once' });
  expect(summary.stages.store).toMatchObject({ failedInvocations: 1, discardedBatches: 0 });
  expect(summary.stages.load.failedReceives).toBeGreaterThan(0);
  expect(summary.stages.load).toMatchObject({ deadLetteredMessages: 0 });
  // Handler logs went to stderr, and no stage logged a value of a protected field.
  expect(run.stderr).toContain('"service":"load"');
  expect(run.stderr).not.toMatch(/buyer-o-\d+@example\.com/);
  expect(Date.now() - started).toBeLessThan(60_000);
});

test('a message lost in the topic is caught: lost 1, not reconciled, exit code 1', async () => {
  const run = await localRun(['--dataset', 'customer_orders', '--input', input, '--lose-one']);
  expect(run.code).toBe(1);
  expect(JSON.parse(run.stdout)).toMatchObject({ read: 21, produced: 13, loaded: 13, quarantined: 7, lost: 1, reconciled: false });
});

test('records left unread at the invocation bound are pending, not lost: reconciled, but exit code 1 (the run did not finish)', async () => {
  const run = await localRun(['--dataset', 'customer_orders', '--input', input, '--page-size', '2', '--max-pages', '2', '--max-invocations', '2']);
  expect(run.code).toBe(1);
  const summary = JSON.parse(run.stdout) as Record<string, unknown> & { stages: Record<string, Record<string, unknown>> };
  // Two invocations of two pages of two records: 8 of the 21 records served.
  expect(summary).toMatchObject({ read: 21, pending: 13, lost: 0, reconciled: true });
  expect(summary.stages.source).toMatchObject({ served: 8 });
  expect(summary.stages.ingest).toMatchObject({ invocations: 2, pages: 4, backlog: true, stopReasons: { 'max-pages': 2 } });
  expect(summary.elapsedMs).toEqual(expect.any(Number));
  expect(summary.recordsPerSecond).toEqual(expect.any(Number));
});

test('missing arguments exit with 2 and the usage; an unknown dataset fails naming the datasets there are', async () => {
  const missing = await localRun(['--dataset', 'customer_orders']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('--input is required');
  expect(missing.stderr).toContain('Usage: npm run local-run');
  const profile = await localRun(['--dataset', 'customer_orders', '--input', input, '--profile', 'staging']);
  expect(profile.code).toBe(2);
  expect(profile.stderr).toContain('--profile must be one of dev, prod');
  const unknown = await localRun(['--dataset', 'nope', '--input', input]);
  expect(unknown.code).toBe(1);
  expect(JSON.parse(unknown.stdout).error).toMatch(/Dataset "nope" is not in .*datasets\.json; it has weather_observations, customer_orders, patient_visits/);
});
