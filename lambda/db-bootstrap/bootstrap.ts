/** Runs the bootstrap statements on a connected pg client, all in one transaction. */
import type { ClientBase } from 'pg';
import { DatasetsConfig } from '../../lib/config/datasets';
import { BootstrapOptions, bootstrapStatements, maskedViewName, PERSONA_ROLES, personaAccess } from './sql';
import { Persona } from '../../lib/classification';

/** The part of a pg client the bootstrap uses. */
export type Queryable = Pick<ClientBase, 'query'>;

export interface BootstrapResult {
  readonly schema: string;
  readonly loaderUser: string;
  readonly tables: readonly string[];
  readonly maskedViews: readonly string[];
  readonly personaRoles: readonly string[];
  readonly statements: number;
}

/** Serializes concurrent bootstraps of the same database (e.g. two stacks sharing it). */
const ADVISORY_LOCK_KEY = 'secure-data-pipeline:db-bootstrap';

/** Set for this transaction only. A held lock fails the deploy within seconds instead of hanging it. */
const TRANSACTION_SETTINGS = [
  "SET LOCAL lock_timeout = '30s'",
  "SET LOCAL statement_timeout = '120s'",
  'SET LOCAL standard_conforming_strings = on',
  // Everything is schema-qualified; this keeps objects in writable schemas from shadowing built-ins like now().
  'SET LOCAL search_path = pg_catalog',
];

/**
 * Creates or updates the schema, tables, masked views, roles and grants for `config`. Either everything is
 * applied or nothing is (ROLLBACK on any error). Running it again with the same input changes nothing.
 */
export async function runBootstrap(
  client: Queryable,
  config: DatasetsConfig,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const statements = bootstrapStatements(config, options);
  await client.query('BEGIN');
  try {
    for (const setting of TRANSACTION_SETTINGS) {
      await client.query(setting);
    }
    await client.query('SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext($1))', [ADVISORY_LOCK_KEY]);
    await refuseOwnRole(client, options);
    for (const [i, statement] of statements.entries()) {
      try {
        await client.query(statement);
      } catch (e) {
        // The statements hold no secret, so naming the failing one is safe and saves a debugging round.
        throw new Error(`db-bootstrap statement ${i + 1} of ${statements.length} failed: ${(e as Error).message}\n${statement}`,
          { cause: e });
      }
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return {
    schema: options.schema,
    loaderUser: options.loaderUser,
    tables: config.datasets.map((d) => d.name),
    maskedViews: config.datasets
      .filter((d) => Object.values(Persona).some((p) => personaAccess(p, d).kind === 'maskedView'))
      .map(maskedViewName),
    personaRoles: Object.values(PERSONA_ROLES),
    statements: statements.length,
  };
}

/** The bootstrap re-applies attributes to the roles it manages; doing that to the connected user would lock it out. */
async function refuseOwnRole(client: Queryable, options: BootstrapOptions): Promise<void> {
  const result = await client.query<{ user: string }>('SELECT current_user AS "user"');
  const current = result.rows[0]?.user;
  const managed = [options.loaderUser, ...Object.values(PERSONA_ROLES)];
  if (current !== undefined && managed.includes(current)) {
    throw new Error(`db-bootstrap connects as "${current}", a role it manages: connect as the RDS master user instead`);
  }
}
