/**
 * Valid-looking `customer_orders` records for the local run at volume, as JSON lines, deterministic for a seed:
 *
 *   npx tsx scripts/local-run/generate.ts --records 100000 --out /tmp/orders-100k.jsonl [--seed 1]
 *
 * Every record passes the example config's schema (examples/datasets.json): a unique `order_id`, an email, an
 * amount with two decimals, a three-letter currency, a status, an ISO timestamp and, for about two records in
 * three, a postcode. The same seed and count always give the same file, so a figure measured on it can be
 * measured again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'SEK'] as const;
const STATUSES = ['paid', 'shipped', 'delivered', 'refunded', 'cancelled'] as const;
const NAMES = ['ada', 'bruno', 'chen', 'dara', 'emil', 'fatima', 'gus', 'hana', 'ivo', 'jun'] as const;

/** mulberry32: a small seeded PRNG, enough for test data (not for anything secret). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CustomerOrder {
  readonly order_id: string;
  readonly customer_email: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: string;
  readonly ordered_at: string;
  readonly shipping_postcode?: string;
}

/** `count` records with ids `ord-<seed>-<n>` (unique within a file), in a fixed order for a given seed. */
export function customerOrders(count: number, seed = 1): CustomerOrder[] {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const start = Date.UTC(2024, 0, 1);
  const records: CustomerOrder[] = [];
  for (let i = 0; i < count; i++) {
    const name = pick(NAMES);
    const postcode = random() < 0.66 ? String(10000 + Math.floor(random() * 89999)) : undefined;
    records.push({
      order_id: `ord-${seed}-${String(i + 1).padStart(7, '0')}`,
      customer_email: `${name}.${Math.floor(random() * 100000)}@example.com`,
      amount: Math.round(random() * 50000) / 100,
      currency: pick(CURRENCIES),
      status: pick(STATUSES),
      ordered_at: new Date(start + Math.floor(random() * 365 * 86_400_000)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(postcode !== undefined ? { shipping_postcode: postcode } : {}),
    });
  }
  return records;
}

/** The records as JSON lines (one record a line, a trailing newline). */
export function customerOrdersJsonl(count: number, seed = 1): string {
  return customerOrders(count, seed).map((r) => JSON.stringify(r)).join('\n') + '\n';
}

function main(): void {
  const { values } = parseArgs({
    options: { records: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } },
    strict: true,
  });
  const count = Number(values.records);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error('--records must be a positive integer (how many records to write)');
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error('--seed must be a non-negative integer');
  if (!values.out) throw new Error('--out is required (the JSONL file to write)');
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
  fs.writeFileSync(out, customerOrdersJsonl(count, seed));
  process.stderr.write(`${count} customer_orders records (seed ${seed}) written to ${out}\n`);
}

if (require.main === module) main();
