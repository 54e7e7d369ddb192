/**
 * Load vs a plain INSERT: rows/s the load stage upserts into an embedded PostgreSQL (TLS, bootstrapped from
 * examples/datasets.json by lambda/db-bootstrap, the loader role connecting as in the tests) against a plain
 * multi-row `INSERT` of the same rows over the same connection. Both sides start from an empty table and run in
 * one transaction; the subject is what loadObject does after reading the object: prepareRow per line, then
 * upsertRows (chunks, savepoints, ON CONFLICT … DO UPDATE) and COMMIT.
 */
import * as path from 'node:path';
import type { Client } from 'pg';
import { loadDatasetsConfig } from '../lib/config/datasets';
import { runBootstrap } from '../lambda/db-bootstrap/bootstrap';
import { DEFAULT_LOADER_USER, DEFAULT_SCHEMA, quoteIdent, SOURCE_OBJECT_COLUMN } from '../lambda/db-bootstrap/sql';
import { connectWith, loaderClientConfig } from '../lambda/load/database';
import { PreparedRow, prepareRow } from '../lambda/load/rows';
import { qualifiedTable, readTableLayout, TableLayout } from '../lambda/load/table';
import { upsertRows } from '../lambda/load/upsert';
import { startTlsPostgres } from '../test/helpers/postgres/tls-postgres';
import { alternate, compare, Measure, summarize, Target } from './stats';

export const LOAD_TARGET: Target = { op: '>=', value: 0.5, of: 'ratio' };
const DATABASE = 'pipeline';
const MAX_PARAMETERS = 65535;

/** Curated customer_orders lines as the store writes them (protected values, `_ingestedAt`, `_dataset`). */
export function curatedOrders(count: number): Record<string, unknown>[] {
  const statuses = ['paid', 'shipped', 'refunded', 'pending'];
  return Array.from({ length: count }, (_, i) => ({
    order_id: `order-${String(1_000_000 + i)}`,
    customer_email: `v1:${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0').repeat(8)}`,
    amount: Math.round((5 + (i % 500) * 1.37) * 100) / 100,
    currency: i % 3 === 0 ? 'USD' : 'EUR',
    status: statuses[i % statuses.length],
    ordered_at: new Date(Date.UTC(2024, 4, 1) + i * 61_000).toISOString(),
    shipping_postcode: i % 10 === 0 ? null : `****${String(10 + (i % 90))}`,
    _ingestedAt: '2024-05-01T12:00:00.000Z',
    _dataset: 'customer_orders',
  }));
}

/** The baseline: INSERT … VALUES with as many rows per statement as the bind-parameter limit allows. */
async function plainInsert(client: Pick<Client, 'query'>, layout: TableLayout, rows: readonly PreparedRow[], source: string): Promise<void> {
  const columns = [...layout.columns.map((c) => c.name), SOURCE_OBJECT_COLUMN];
  const perStatement = Math.floor(MAX_PARAMETERS / columns.length);
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values = chunk.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
    await client.query(
      `INSERT INTO ${qualifiedTable(layout.schema, layout.table)} (${columns.map(quoteIdent).join(', ')}) VALUES ${values.join(', ')}`,
      chunk.flatMap((row) => [...row.params, source]),
    );
  }
}

export async function benchLoad(root: string, runs: number, rowsPerRun = 10_000): Promise<Measure> {
  const config = loadDatasetsConfig(path.join(root, 'examples', 'datasets.json'));
  const pg = await startTlsPostgres({ trustedRoles: [DEFAULT_LOADER_USER] });
  let admin: Client | undefined;
  let loader: Client | undefined;
  try {
    await pg.createDatabase(DATABASE);
    admin = await pg.connect(DATABASE);
    await runBootstrap(admin, config, { schema: DEFAULT_SCHEMA, loaderUser: DEFAULT_LOADER_USER });
    const settings = { host: 'localhost', port: pg.port, user: DEFAULT_LOADER_USER, database: DATABASE };
    loader = await connectWith(loaderClientConfig(settings, { ca: pg.ca, password: async () => undefined }))();
    const layout = await readTableLayout(loader, DEFAULT_SCHEMA, 'customer_orders');
    const lines = curatedOrders(rowsPerRun);
    const source = 'dataset=customer_orders/dt=2024-05-01/0-0-10000.jsonl.gz';
    const table = qualifiedTable(DEFAULT_SCHEMA, 'customer_orders');
    const connection = loader;
    const timed = async (work: () => Promise<void>): Promise<number> => {
      await admin!.query(`TRUNCATE ${table}`);
      const started = performance.now();
      await connection.query('BEGIN');
      try {
        await work();
        await connection.query('COMMIT');
      } catch (e) {
        await connection.query('ROLLBACK');
        throw e;
      }
      const seconds = (performance.now() - started) / 1000;
      const { rows } = await admin!.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      if (Number(rows[0]!.n) !== rowsPerRun) throw new Error(`expected ${rowsPerRun} rows after a run, found ${rows[0]!.n}`);
      return rowsPerRun / seconds;
    };
    const prepare = (): PreparedRow[] => lines.map((line, i) => {
      const p = prepareRow(line, i + 1, layout, 'customer_orders');
      if (!p.ok) throw new Error(`bench row ${i + 1} does not fit the table: ${p.refused.reasons.join('; ')}`);
      return p.row;
    });
    const prepared = prepare();
    const samples = await alternate({
      load: () => timed(async () => {
        const outcome = await upsertRows(connection, layout, prepare(), source);
        if (outcome.loaded !== rowsPerRun || outcome.refused.length > 0) throw new Error('the load stage refused bench rows');
      }),
      insert: () => timed(() => plainInsert(connection, layout, prepared, source)),
    }, runs);
    return compare(
      'load-upsert',
      'load: upsert vs plain INSERT',
      summarize('load stage (prepareRow + upsertRows)', 'rows/s', samples.load),
      summarize('plain multi-row INSERT', 'rows/s', samples.insert),
      LOAD_TARGET,
      { notes: [`${rowsPerRun} customer_orders rows per run into an empty table, one transaction, TLS connection as ${DEFAULT_LOADER_USER}`] },
    );
  } finally {
    await loader?.end().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await pg.stop();
  }
}
