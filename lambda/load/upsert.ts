/**
 * The upsert of prepared rows inside the object's transaction:
 *
 *   INSERT INTO "schema"."table" (<columns>, "_source_object") VALUES (...), (...)
 *   ON CONFLICT ("<id>") DO UPDATE SET <column> = EXCLUDED.<column>, …, "_source_object" = EXCLUDED."_source_object",
 *                                      "_loaded_at" = pg_catalog.now()
 *
 * It reads only what the loader may SELECT (the conflict target and the EXCLUDED columns; `_loaded_at` is set,
 * never read). Parameters are untyped text, coerced by PostgreSQL to each target column on assignment, so a value
 * too long for varchar(n) is refused rather than truncated as an explicit cast would.
 *
 * Rows go in chunks, each under a savepoint. A chunk that fails on a data error (SQLSTATE class 22, 23, or 54000)
 * is rolled back to its savepoint and retried row by row, each row under its own savepoint: the rows the database
 * refuses are returned (they go to quarantine) and the others are still loaded, in the same transaction. Any other
 * error (connection lost, permission, timeout) is thrown and the caller rolls the whole object back.
 *
 * Within a chunk, rows with the same id are reduced to the last one (one INSERT … ON CONFLICT cannot touch a row
 * twice); since every column is replaced, the result equals applying them one after the other, and each of them
 * counts as loaded. The row-by-row path applies duplicates one after the other.
 */
import { SOURCE_OBJECT_COLUMN, LOADED_AT_COLUMN, quoteIdent } from '../db-bootstrap/sql';
import type { PreparedRow, RefusedRow } from './rows';
import { qualifiedTable, Queryable, TableLayout } from './table';

/** PostgreSQL's limit on bind parameters in one statement. */
const MAX_PARAMETERS = 65535;
export const DEFAULT_CHUNK_ROWS = 500;

export function upsertSql(layout: TableLayout, rowCount: number): string {
  const columns = [...layout.columns.map((c) => c.name), SOURCE_OBJECT_COLUMN];
  const width = columns.length;
  const values: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    values.push(`(${columns.map((_, c) => `$${r * width + c + 1}`).join(', ')})`);
  }
  const updates = [
    ...layout.columns.filter((c) => c.name !== layout.idColumn).map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`),
    `${quoteIdent(SOURCE_OBJECT_COLUMN)} = EXCLUDED.${quoteIdent(SOURCE_OBJECT_COLUMN)}`,
    `${quoteIdent(LOADED_AT_COLUMN)} = pg_catalog.now()`,
  ];
  return [
    `INSERT INTO ${qualifiedTable(layout.schema, layout.table)} (${columns.map(quoteIdent).join(', ')})`,
    `VALUES ${values.join(', ')}`,
    `ON CONFLICT (${quoteIdent(layout.idColumn)}) DO UPDATE SET ${updates.join(', ')}`,
  ].join('\n');
}

/** Rows per statement: at most `preferred`, and within PostgreSQL's bind-parameter limit. */
export function chunkRows(layout: TableLayout, preferred = DEFAULT_CHUNK_ROWS): number {
  return Math.max(1, Math.min(preferred, Math.floor(MAX_PARAMETERS / (layout.columns.length + 1))));
}

/** Errors that are the row's fault: data exceptions, integrity constraint violations, program limits (e.g. index row size). */
export function isRowDataError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && (code.startsWith('22') || code.startsWith('23') || code === '54000');
}

const CONDITIONS: Readonly<Record<string, string>> = {
  '22001': 'a value is longer than its column allows',
  '22003': 'a number is out of range for its column',
  '22007': 'a date or timestamp is not in a valid format',
  '22008': 'a date or timestamp is out of range',
  '22021': 'a string holds a character the database encoding cannot store',
  '22P02': 'a value is not valid for its column type',
  '22P05': 'a string holds a character the database encoding cannot store',
  '23502': 'a required column is null',
  '23503': 'a referenced row does not exist',
  '23505': 'a unique constraint is violated',
  '23514': 'a check constraint is violated',
  '54000': 'a value is too large for the database (e.g. for its index)',
};

/**
 * Why the database refused a row, from the SQLSTATE and the column or constraint the server names — never the
 * server's message or detail, which quote the values (e.g. "invalid input syntax for type bigint: …").
 */
export function refusalReason(error: unknown): { reason: string; sqlState: string } {
  const e = error as { code?: string; column?: string; constraint?: string };
  const code = e.code ?? 'unknown';
  const what = CONDITIONS[code] ?? (code.startsWith('23') ? 'an integrity constraint is violated' : 'a value is not valid for its column');
  const where = [
    typeof e.column === 'string' ? `column "${e.column}"` : undefined,
    typeof e.constraint === 'string' ? `constraint "${e.constraint}"` : undefined,
  ].filter((x) => x !== undefined);
  return { reason: `the database refused the row: ${what} (SQLSTATE ${code}${where.length > 0 ? `, ${where.join(', ')}` : ''})`, sqlState: code };
}

export interface UpsertOutcome {
  /** Rows upserted (duplicates within the object each count). */
  readonly loaded: number;
  /** Rows the database refused (a row's `record` is filled in by the caller). */
  readonly refused: readonly RefusedRow[];
}

/** Upserts `rows` within the caller's open transaction; see the file comment. */
export async function upsertRows(
  client: Queryable,
  layout: TableLayout,
  rows: readonly PreparedRow[],
  sourceObject: string,
  chunkSize = chunkRows(layout),
): Promise<UpsertOutcome> {
  let loaded = 0;
  const refused: RefusedRow[] = [];
  const insert = async (batch: readonly PreparedRow[]) => {
    await client.query(upsertSql(layout, batch.length), batch.flatMap((row) => [...row.params, sourceObject]));
  };
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize);
    await client.query('SAVEPOINT load_chunk');
    try {
      await insert(lastPerId(chunk));
      await client.query('RELEASE SAVEPOINT load_chunk');
      loaded += chunk.length;
      continue;
    } catch (e) {
      if (!isRowDataError(e)) throw e;
      await client.query('ROLLBACK TO SAVEPOINT load_chunk');
      await client.query('RELEASE SAVEPOINT load_chunk');
    }
    for (const row of chunk) {
      await client.query('SAVEPOINT load_row');
      try {
        await insert([row]);
        await client.query('RELEASE SAVEPOINT load_row');
        loaded += 1;
      } catch (e) {
        if (!isRowDataError(e)) throw e;
        await client.query('ROLLBACK TO SAVEPOINT load_row');
        await client.query('RELEASE SAVEPOINT load_row');
        const { reason, sqlState } = refusalReason(e);
        refused.push({ line: row.line, reasons: [reason], sqlState });
      }
    }
  }
  return { loaded, refused };
}

/** The last row of each id, in the order of those last rows. */
function lastPerId(rows: readonly PreparedRow[]): PreparedRow[] {
  const last = new Map<string, PreparedRow>();
  for (const row of rows) {
    last.delete(row.id);
    last.set(row.id, row);
  }
  return [...last.values()];
}
