/**
 * Turns a validated datasets config into the SQL that creates the pipeline schema, one table per dataset,
 * masked views, the loader and persona roles, and their grants. Pure: no database, no AWS.
 *
 * Every statement is safe to run again: objects are created only when missing, and each table's privileges for
 * our roles are first revoked and then granted from the config inside the same transaction, so a change in the
 * config (a dataset reclassified, a field switched to `encrypt`) converges instead of leaving stale grants.
 */
import { Classification, Persona, policyFor } from '../../lib/classification';
import { DatasetConfig, DatasetsConfig, FieldConfig } from '../../lib/config/datasets';
import { ConfigurationError, ConfigurationProblem } from '../../lib/errors';

export const DEFAULT_SCHEMA = 'pipeline';
export const DEFAULT_LOADER_USER = 'pipeline_loader';
/** Pipeline metadata columns on every dataset table. */
export const LOADED_AT_COLUMN = '_loaded_at';
export const SOURCE_OBJECT_COLUMN = '_source_object';
/** The RDS role whose members log in with an IAM authentication token instead of a password. */
export const RDS_IAM_ROLE = 'rds_iam';
export const MASKED_VIEW_SUFFIX = '_masked';

/** One NOLOGIN database role per persona; people (or their IAM-authenticated users) are granted these. */
export const PERSONA_ROLES: Readonly<Record<Persona, string>> = {
  [Persona.ADMIN]: 'persona_admin',
  [Persona.DATA_SCIENTIST]: 'persona_data_scientist',
  [Persona.ANALYST]: 'persona_analyst',
  [Persona.VIEWER]: 'persona_viewer',
};
const PERSONAS: readonly Persona[] = [Persona.ADMIN, Persona.DATA_SCIENTIST, Persona.ANALYST, Persona.VIEWER];

export interface BootstrapOptions {
  /** Schema that holds the dataset tables. */
  readonly schema: string;
  /** LOGIN role (no password, IAM authentication on RDS) the load stage connects as. */
  readonly loaderUser: string;
}

/** What one persona may read of one dataset. */
export type TableAccess =
  | { readonly kind: 'table' }
  | { readonly kind: 'columns'; readonly columns: readonly string[] }
  | { readonly kind: 'maskedView'; readonly view: string; readonly columns: readonly string[] }
  | { readonly kind: 'none' };

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** Quotes an identifier for PostgreSQL (names are validated too; quoting is the second line). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal (the transaction sets standard_conforming_strings, so only quotes need doubling). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The column type for a field, or undefined when the field is dropped and gets no column. */
export function columnType(field: FieldConfig): string | undefined {
  switch (field.handling) {
    case 'drop':
      return undefined;
    case 'tokenize':
    case 'encrypt':
    case 'mask':
      // The column holds a token, ciphertext or masked text, never the typed original value.
      return 'text';
    case 'keep':
      switch (field.type) {
        case 'string':
          return field.maxLength !== undefined ? `varchar(${field.maxLength})` : 'text';
        case 'integer':
          return 'bigint';
        case 'number':
          return 'double precision';
        case 'boolean':
          return 'boolean';
        case 'timestamp':
          return 'timestamptz';
        case 'date':
          return 'date';
      }
  }
}

/** The fields that have a column (everything but `drop`), in config order. */
export function storedFields(dataset: DatasetConfig): FieldConfig[] {
  return dataset.fields.filter((f) => f.handling !== 'drop');
}

export function maskedViewName(dataset: DatasetConfig): string {
  return `${dataset.name}${MASKED_VIEW_SUFFIX}`;
}

/**
 * Columns of a Restricted dataset's masked view: the id (when it is kept: a tokenized id is a token), the
 * fields whose own classification is below Restricted, and the `mask`ed fields; never a token or ciphertext.
 */
export function maskedViewColumns(dataset: DatasetConfig): string[] {
  const visible = (f: FieldConfig) =>
    f.handling === 'mask' || (f.handling === 'keep' && f.classification !== Classification.RESTRICTED);
  return [...storedFields(dataset).filter(visible).map((f) => f.name), LOADED_AT_COLUMN];
}

/**
 * The decision table for database reads, derived from policyFor(): readers get the table, except that on
 * Restricted data only Admin sees ciphertext (other readers get every column but the `encrypt`ed ones);
 * masked readers get the masked view only; everyone else gets nothing.
 */
export function personaAccess(persona: Persona, dataset: DatasetConfig): TableAccess {
  const policy = policyFor(dataset.classification);
  if (policy.readers.includes(persona)) {
    if (dataset.classification !== Classification.RESTRICTED || persona === Persona.ADMIN) {
      return { kind: 'table' };
    }
    const columns = storedFields(dataset).filter((f) => f.handling !== 'encrypt').map((f) => f.name);
    return { kind: 'columns', columns: [...columns, LOADED_AT_COLUMN, SOURCE_OBJECT_COLUMN] };
  }
  if (policy.maskedReaders.includes(persona)) {
    return { kind: 'maskedView', view: maskedViewName(dataset), columns: maskedViewColumns(dataset) };
  }
  return { kind: 'none' };
}

/**
 * Columns the loader may SELECT: what `INSERT … ON CONFLICT (id) DO UPDATE SET c = EXCLUDED.c` reads
 * (PostgreSQL checks SELECT on the conflict target and on every column referenced through EXCLUDED).
 * `_loaded_at` is set with now(), so the loader cannot read it.
 */
export function loaderSelectColumns(dataset: DatasetConfig): string[] {
  return [...storedFields(dataset).map((f) => f.name), SOURCE_OBJECT_COLUMN];
}

/** Checks the schema and loader names against the config; throws one ConfigurationError listing every problem. */
export function validateBootstrapOptions(config: DatasetsConfig, options: BootstrapOptions): void {
  const problems: ConfigurationProblem[] = [];
  const add = (path: string, problem: string, fix: string) => problems.push({ path, problem, fix });
  const personaRoles = Object.values(PERSONA_ROLES);

  if (!IDENTIFIER.test(options.schema)) {
    add('Schema', `"${options.schema}" is not a lower_snake_case identifier of at most 63 characters`, 'use a name such as "pipeline"');
  } else if (/^pg_/.test(options.schema) || ['public', 'information_schema'].includes(options.schema)) {
    add('Schema', `"${options.schema}" is a system or shared schema`, 'use a dedicated schema such as "pipeline"');
  }
  if (!IDENTIFIER.test(options.loaderUser)) {
    add('LoaderUser', `"${options.loaderUser}" is not a lower_snake_case identifier of at most 63 characters`, 'use a name such as "pipeline_loader"');
  } else if (/^(pg_|rds_)/.test(options.loaderUser) || options.loaderUser === 'public') {
    add('LoaderUser', `"${options.loaderUser}" is a reserved role name`, 'use a name such as "pipeline_loader"');
  } else if (personaRoles.includes(options.loaderUser)) {
    add('LoaderUser', `"${options.loaderUser}" is a persona role`, `use a name other than ${personaRoles.join(', ')}`);
  }
  const tables = new Set(config.datasets.map((d) => d.name));
  for (const dataset of config.datasets) {
    // Checked for every dataset: a non-Restricted one gets DROP VIEW IF EXISTS for its masked view name.
    if (tables.has(maskedViewName(dataset))) {
      add(`Datasets "${maskedViewName(dataset)}"`, `clashes with the masked view of dataset "${dataset.name}"`,
        `rename the dataset "${maskedViewName(dataset)}" (names ending in ${MASKED_VIEW_SUFFIX} are taken by masked views)`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigurationError('Invalid db-bootstrap properties', problems);
  }
}

/**
 * Every statement of the bootstrap, in order: roles, schema, tables, masked views, grants. Run them in one
 * transaction. Contains no secret: the loader has no password (IAM authentication) and personas cannot log in.
 */
export function bootstrapStatements(config: DatasetsConfig, options: BootstrapOptions): string[] {
  validateBootstrapOptions(config, options);
  const schema = quoteIdent(options.schema);
  const loader = quoteIdent(options.loaderUser);
  const personas = PERSONAS.map((p) => quoteIdent(PERSONA_ROLES[p]));
  const ourRoles = [loader, ...personas].join(', ');

  const statements: string[] = [
    ...PERSONAS.map((p) => ensureRole(PERSONA_ROLES[p], 'NOLOGIN', 'NOLOGIN')),
    // The loader logs in without a password: on RDS, membership in rds_iam makes it IAM-authentication only.
    ensureRole(options.loaderUser, 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', 'LOGIN PASSWORD NULL'),
    grantRdsIam(options.loaderUser),
    `CREATE SCHEMA IF NOT EXISTS ${schema}`,
    `COMMENT ON SCHEMA ${schema} IS ${quoteLiteral('secure-data-pipeline datasets (managed by db-bootstrap)')}`,
    `REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC, ${ourRoles}`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${ourRoles}`,
  ];
  for (const dataset of config.datasets) {
    statements.push(...tableStatements(dataset, options));
  }
  return statements;
}

function tableStatements(dataset: DatasetConfig, options: BootstrapOptions): string[] {
  const schema = quoteIdent(options.schema);
  const table = `${schema}.${quoteIdent(dataset.name)}`;
  const view = `${schema}.${quoteIdent(maskedViewName(dataset))}`;
  const loader = quoteIdent(options.loaderUser);
  const fields = storedFields(dataset);
  const column = (f: FieldConfig) => `${quoteIdent(f.name)} ${columnType(f)}`;
  const metadata = [
    `${quoteIdent(LOADED_AT_COLUMN)} timestamptz NOT NULL DEFAULT now()`,
    `${quoteIdent(SOURCE_OBJECT_COLUMN)} text`,
  ];
  const everyone = ['PUBLIC', loader, ...PERSONAS.map((p) => quoteIdent(PERSONA_ROLES[p]))].join(', ');

  const statements = [
    [
      `CREATE TABLE IF NOT EXISTS ${table} (`,
      [
        ...fields.map((f) => `  ${column(f)}${f.required ? ' NOT NULL' : ''}`),
        ...metadata.map((m) => `  ${m}`),
        `  CONSTRAINT ${quoteIdent(`${dataset.name}_pkey`)} PRIMARY KEY (${quoteIdent(dataset.idField)})`,
      ].join(',\n'),
      ')',
    ].join('\n'),
    // Fields added to the config later: nullable, because rows loaded before the change have no value.
    `ALTER TABLE ${table}\n${[...fields.map(column), ...metadata].map((c) => `  ADD COLUMN IF NOT EXISTS ${c}`).join(',\n')}`,
    `COMMENT ON TABLE ${table} IS ${quoteLiteral(describe(`classification=${dataset.classification}`, dataset.description))}`,
    ...fields.map((f) => `COMMENT ON COLUMN ${table}.${quoteIdent(f.name)} IS ${quoteLiteral(
      describe(`classification=${f.classification} handling=${f.handling}`, f.description))}`),
    `REVOKE ALL ON TABLE ${table} FROM ${everyone}`,
    // Write access plus exactly the reads an upsert by id needs (see loaderSelectColumns); no DELETE, TRUNCATE.
    `GRANT INSERT, UPDATE ON TABLE ${table} TO ${loader}`,
    `GRANT SELECT (${loaderSelectColumns(dataset).map(quoteIdent).join(', ')}) ON TABLE ${table} TO ${loader}`,
  ];

  const viewReaders: string[] = [];
  for (const persona of PERSONAS) {
    const role = quoteIdent(PERSONA_ROLES[persona]);
    const access = personaAccess(persona, dataset);
    if (access.kind === 'table') {
      statements.push(`GRANT SELECT ON TABLE ${table} TO ${role}`);
    } else if (access.kind === 'columns') {
      statements.push(`GRANT SELECT (${access.columns.map(quoteIdent).join(', ')}) ON TABLE ${table} TO ${role}`);
    } else if (access.kind === 'maskedView') {
      viewReaders.push(role);
    }
  }

  if (viewReaders.length === 0) {
    // Not (or no longer) Restricted: a masked view would only be a stale copy of the table's access rules.
    statements.push(`DROP VIEW IF EXISTS ${view}`);
    return statements;
  }
  const columns = maskedViewColumns(dataset);
  statements.push(
    replaceableView(options.schema, maskedViewName(dataset), columns),
    // security_barrier: a filter a reader adds cannot be pushed below the view to observe hidden rows/columns.
    // The view runs with its owner's rights (not security_invoker), so readers never need the base table.
    `CREATE OR REPLACE VIEW ${view} WITH (security_barrier = true) AS\nSELECT ${columns.map(quoteIdent).join(', ')}\nFROM ${table}`,
    `COMMENT ON VIEW ${view} IS ${quoteLiteral(`Masked view of ${dataset.name}: no tokens, no ciphertext`)}`,
    `REVOKE ALL ON TABLE ${view} FROM ${everyone}`,
    `GRANT SELECT ON TABLE ${view} TO ${viewReaders.join(', ')}`,
  );
  return statements;
}

function describe(facts: string, description: string | undefined): string {
  return description ? `${description} (${facts})` : facts;
}

/**
 * CREATE ROLE only when the role is missing (CREATE ROLE has no IF NOT EXISTS); an existing role gets the
 * attributes we rely on re-applied (e.g. a password someone set on the loader is removed).
 */
function ensureRole(name: string, createAttributes: string, enforcedAttributes: string): string {
  return [
    'DO $bootstrap$',
    'BEGIN',
    `  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(name)}) THEN`,
    `    CREATE ROLE ${quoteIdent(name)} WITH ${createAttributes};`,
    '  ELSE',
    `    ALTER ROLE ${quoteIdent(name)} WITH ${enforcedAttributes};`,
    '  END IF;',
    'END',
    '$bootstrap$',
  ].join('\n');
}

/** rds_iam exists only on RDS; elsewhere (plain PostgreSQL) the loader simply is not IAM-authenticated. */
function grantRdsIam(loaderUser: string): string {
  return [
    'DO $bootstrap$',
    'BEGIN',
    `  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(RDS_IAM_ROLE)})`,
    '     AND NOT EXISTS (',
    '       SELECT FROM pg_catalog.pg_auth_members m',
    '       JOIN pg_catalog.pg_roles r ON r.oid = m.roleid',
    '       JOIN pg_catalog.pg_roles u ON u.oid = m.member',
    `       WHERE r.rolname = ${quoteLiteral(RDS_IAM_ROLE)} AND u.rolname = ${quoteLiteral(loaderUser)}) THEN`,
    `    GRANT ${quoteIdent(RDS_IAM_ROLE)} TO ${quoteIdent(loaderUser)};`,
    '  END IF;',
    'END',
    '$bootstrap$',
  ].join('\n');
}

/**
 * CREATE OR REPLACE VIEW may only append columns. When the config removed or reordered a masked column, drop
 * the view first (it holds no data) so the replace below succeeds; otherwise leave it alone.
 */
function replaceableView(schema: string, view: string, columns: readonly string[]): string {
  const qualified = quoteLiteral(`${quoteIdent(schema)}.${quoteIdent(view)}`);
  return [
    'DO $bootstrap$',
    'DECLARE existing text[];',
    'BEGIN',
    '  SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO existing',
    '  FROM pg_catalog.pg_attribute a',
    `  WHERE a.attrelid = to_regclass(${qualified}) AND a.attnum > 0 AND NOT a.attisdropped;`,
    `  IF existing IS NOT NULL AND existing IS DISTINCT FROM (ARRAY[${columns.map(quoteLiteral).join(', ')}]::text[])[1:cardinality(existing)] THEN`,
    `    DROP VIEW ${quoteIdent(schema)}.${quoteIdent(view)};`,
    '  END IF;',
    'END',
    '$bootstrap$',
  ].join('\n');
}
