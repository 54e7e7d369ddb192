/**
 * A dataset table's layout, read from the PostgreSQL catalog at run time and cached per execution environment:
 * the bootstrapped table is the single source of truth for columns, types, NOT NULL and the primary key, so the
 * function needs no copy of the datasets config (Lambda environment variables are limited to 4 KB in all).
 *
 * The catalog (pg_catalog.pg_attribute, pg_index) is readable by every role, so this works with the loader's
 * narrow privileges. A cached layout lives for `ttlMs`; a column added by a later bootstrap is written from then
 * on (until then it keeps its default, NULL, in the rows loaded).
 */
import type { ClientBase } from 'pg';
import { quoteIdent, LOADED_AT_COLUMN, SOURCE_OBJECT_COLUMN } from '../db-bootstrap/sql';

export type Queryable = Pick<ClientBase, 'query'>;

/** How a JSON value must look for a column, from the column's base type. */
export type ColumnKind = 'text' | 'integer' | 'number' | 'boolean' | 'timestamp' | 'date' | 'other';

export interface ColumnInfo {
  readonly name: string;
  /** format_type() of the column's type without modifier, e.g. `character varying`, `bigint`. */
  readonly type: string;
  readonly kind: ColumnKind;
  readonly notNull: boolean;
}

export interface TableLayout {
  readonly schema: string;
  readonly table: string;
  /** The single-column primary key: the dataset's idField, the ON CONFLICT target. */
  readonly idColumn: string;
  /** The data columns (every column but `_loaded_at` and `_source_object`), in table order. */
  readonly columns: readonly ColumnInfo[];
}

/** The dataset's table is missing or not shaped as the bootstrap makes it. Retrying helps only after a bootstrap. */
export class TableLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableLayoutError';
  }
}

const KINDS: Readonly<Record<string, ColumnKind>> = {
  text: 'text',
  'character varying': 'text',
  character: 'text',
  bigint: 'integer',
  integer: 'integer',
  smallint: 'integer',
  'double precision': 'number',
  real: 'number',
  numeric: 'number',
  boolean: 'boolean',
  'timestamp with time zone': 'timestamp',
  'timestamp without time zone': 'timestamp',
  date: 'date',
};

export function qualifiedTable(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

export async function readTableLayout(client: Queryable, schema: string, table: string): Promise<TableLayout> {
  const relation = qualifiedTable(schema, table);
  const columns = await client.query<{ name: string; type: string; not_null: boolean }>(
    `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, NULL) AS type, a.attnotnull AS not_null
     FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`, [relation]);
  if (columns.rows.length === 0) {
    throw new TableLayoutError(`Table ${schema}.${table} does not exist (or is not visible to the loader); run the schema bootstrap for dataset "${table}"`);
  }
  const keys = await client.query<{ name: string }>(
    `SELECT a.attname AS name
     FROM pg_catalog.pg_index i
     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = pg_catalog.to_regclass($1) AND i.indisprimary`, [relation]);
  if (keys.rows.length !== 1) {
    throw new TableLayoutError(`Table ${schema}.${table} needs a single-column primary key (the dataset's idField) for the upsert; found ${keys.rows.length} key columns`);
  }
  const names = columns.rows.map((c) => c.name);
  for (const required of [LOADED_AT_COLUMN, SOURCE_OBJECT_COLUMN]) {
    if (!names.includes(required)) throw new TableLayoutError(`Table ${schema}.${table} has no ${required} column; run the schema bootstrap`);
  }
  return {
    schema,
    table,
    idColumn: keys.rows[0].name,
    columns: columns.rows
      .filter((c) => c.name !== LOADED_AT_COLUMN && c.name !== SOURCE_OBJECT_COLUMN)
      .map((c) => ({ name: c.name, type: c.type, kind: KINDS[c.type] ?? 'other', notNull: c.not_null })),
  };
}

/** Layouts per table for `ttlMs`, shared by the invocations of one execution environment. */
export class TableLayoutCache {
  private readonly entries = new Map<string, { layout: TableLayout; at: number }>();

  constructor(
    private readonly ttlMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(client: Queryable, schema: string, table: string): Promise<TableLayout> {
    const id = `${schema}.${table}`;
    const cached = this.entries.get(id);
    if (cached !== undefined && this.now() - cached.at < this.ttlMs) return cached.layout;
    const layout = await readTableLayout(client, schema, table);
    this.entries.set(id, { layout, at: this.now() });
    return layout;
  }
}
