/** Reads what the bootstrap manages from the catalog, to compare runs and to assert privileges. */
import type { Client } from 'pg';

export type Snapshot = Record<string, unknown[]>;

/**
 * Everything in `schema` a bootstrap could change (columns, constraints, privileges, view definitions,
 * comments, object identities) plus the attributes and memberships of `roles`.
 */
export async function catalogSnapshot(client: Client, schema: string, roles: readonly string[]): Promise<Snapshot> {
  const q = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows;
  return {
    schema: await q(`SELECT nspname, pg_get_userbyid(nspowner) AS owner, nspacl::text AS acl,
                            obj_description(oid, 'pg_namespace') AS comment
                     FROM pg_namespace WHERE nspname = $1`, [schema]),
    relations: await q(`SELECT c.oid::int AS oid, c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner,
                               c.relacl::text AS acl, c.reloptions::text AS options, obj_description(c.oid, 'pg_class') AS comment
                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = $1 ORDER BY c.relname`, [schema]),
    columns: await q(`SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length,
                             is_nullable, column_default
                      FROM information_schema.columns WHERE table_schema = $1
                      ORDER BY table_name, ordinal_position`, [schema]),
    columnAcls: await q(`SELECT c.relname, a.attname, a.attacl::text AS acl,
                                col_description(c.oid, a.attnum) AS comment
                         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped
                         ORDER BY c.relname, a.attnum`, [schema]),
    constraints: await q(`SELECT conrelid::regclass::text AS rel, conname, contype, pg_get_constraintdef(c.oid) AS def
                          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                          WHERE n.nspname = $1 ORDER BY rel, conname`, [schema]),
    tablePrivileges: await q(`SELECT grantor, grantee, table_name, privilege_type, is_grantable
                              FROM information_schema.table_privileges WHERE table_schema = $1
                              ORDER BY table_name, grantee, privilege_type`, [schema]),
    columnPrivileges: await q(`SELECT grantor, grantee, table_name, column_name, privilege_type
                               FROM information_schema.column_privileges WHERE table_schema = $1
                               ORDER BY table_name, column_name, grantee, privilege_type`, [schema]),
    views: await q(`SELECT viewname, pg_get_viewdef(format('%I.%I', schemaname, viewname)::regclass) AS definition
                    FROM pg_views WHERE schemaname = $1 ORDER BY viewname`, [schema]),
    roles: await q(`SELECT rolname, rolcanlogin, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolreplication,
                           rolbypassrls, rolconnlimit, rolvaliduntil
                    FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`, [roles]),
    memberships: await q(`SELECT r.rolname AS role, u.rolname AS member, g.rolname AS grantor, m.admin_option
                          FROM pg_auth_members m
                          JOIN pg_roles r ON r.oid = m.roleid
                          JOIN pg_roles u ON u.oid = m.member
                          JOIN pg_roles g ON g.oid = m.grantor
                          WHERE r.rolname = ANY($1) OR u.rolname = ANY($1)
                          ORDER BY role, member, grantor`, [roles]),
  };
}

/** Runs `sql` and returns the SQLSTATE it failed with, or 'ok'. */
export async function sqlState(client: Client, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await client.query(sql, params);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** Runs `fn` with the session switched to `role` (SET ROLE), as a member of it would. */
export async function asRole<T>(client: Client, role: string, fn: () => Promise<T>): Promise<T> {
  await client.query(`SET ROLE ${client.escapeIdentifier(role)}`);
  try {
    return await fn();
  } finally {
    await client.query('RESET ROLE');
  }
}

/** Column names of a relation, in order. */
export async function columnNames(client: Client, schema: string, relation: string): Promise<string[]> {
  const result = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
     ORDER BY ordinal_position`, [schema, relation]);
  return result.rows.map((r) => r.column_name);
}
