/**
 * The local run at volume, at sizes that run in seconds: successive ingest invocations from the watermark until the
 * source is drained, records not served by the invocation bound reported as pending (never lost), and the store's
 * event source mapping batches (size and batching window). The 100,000-record runs are done by hand (see
 * docs/notes/localrun.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cutBatches } from '../../scripts/local-run/kafka';
import { customerOrders, customerOrdersJsonl } from '../../scripts/local-run/generate';
import { runLocal } from '../../scripts/local-run/pipeline';

const ROOT = path.resolve(__dirname, '..', '..');
const CONFIG = path.join(ROOT, 'examples', 'datasets.json');

let dir: string;
let input: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-run-drain-'));
  input = path.join(dir, 'orders-3000.jsonl');
  fs.writeFileSync(input, customerOrdersJsonl(3000, 7));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('3,000 records at 10 pages per invocation: ingest is invoked again from the watermark until the source is drained, and everything reconciles', async () => {
  const summary = await runLocal({ dataset: 'customer_orders', input, config: CONFIG, logLevel: 'SILENT', pageSize: 50, maxPages: 10 });
  // 60 pages of 50: five invocations stop at max-pages (Backlog 1), the sixth reads the last page.
  expect(summary.stages.ingest).toMatchObject({ invocations: 6, pages: 60, fetched: 3000, stopReasons: { 'max-pages': 5, 'end-of-source': 1 }, backlog: false, pending: 0 });
  expect(summary).toMatchObject({ read: 3000, produced: 3000, stored: 3000, loaded: 3000, distinctRows: 3000, pending: 0, lost: 0, reconciled: true });
  expect(summary.stages.source.served).toBe(3000);
  expect(summary.elapsedMs).toBeGreaterThan(0);
  expect(summary.recordsPerSecond).toBeCloseTo(3000 / (summary.elapsedMs / 1000), 0);
});

test('when the invocation bound is reached, what the source has not served is pending, not lost, and the last invocation reports a backlog', async () => {
  const summary = await runLocal({ dataset: 'customer_orders', input, config: CONFIG, logLevel: 'SILENT', pageSize: 50, maxPages: 10, maxIngestInvocations: 2 });
  expect(summary.stages.ingest).toMatchObject({ invocations: 2, pages: 20, stopReasons: { 'max-pages': 2 }, backlog: true, pending: 2000 });
  expect(summary).toMatchObject({ read: 3000, produced: 1000, loaded: 1000, pending: 2000, lost: 0, reconciled: true });
  expect(summary.read).toBe(summary.loaded + summary.quarantined + summary.deadLettered + summary.pending);
});

describe('store batches (the MSK event source mapping)', () => {
  const log = (timestamps: number[]) => timestamps.map((timestamp, offset) => ({ offset, timestamp }));

  test('without a batching window only the batch size cuts, in send order', () => {
    const batches = cutBatches(log([0, 0, 5000, 5000, 9000]), 2);
    expect(batches.map((b) => b.map((r) => r.offset))).toEqual([[0, 1], [2, 3], [4]]);
  });

  test('a window closes a batch at the first record produced more than the window after its first record', () => {
    const batches = cutBatches(log([0, 400, 1000, 1001, 1500, 2600, 2700]), 100, 1000);
    expect(batches.map((b) => b.map((r) => r.offset))).toEqual([[0, 1, 2], [3, 4], [5, 6]]);
  });

  test('the size still cuts inside a window', () => {
    expect(cutBatches(log([0, 1, 2, 3, 4]), 2, 1000).map((b) => b.length)).toEqual([2, 2, 1]);
    expect(() => cutBatches(log([0]), 0)).toThrow(/batchSize must be a positive integer/);
  });
});

test('the generator is deterministic for a seed, with unique ids (that the example config accepts them is shown by the runs above: nothing quarantined)', () => {
  expect(customerOrdersJsonl(50, 3)).toBe(customerOrdersJsonl(50, 3));
  expect(customerOrdersJsonl(50, 3)).not.toBe(customerOrdersJsonl(50, 4));
  const ids = customerOrders(1000, 3).map((r) => r.order_id);
  expect(new Set(ids).size).toBe(1000);
});
