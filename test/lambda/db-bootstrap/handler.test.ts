/**
 * The custom resource handler end to end: Secrets Manager is faked at the SDK boundary (aws-sdk-client-mock,
 * no local equivalent exists); the database is a real TLS-only PostgreSQL.
 */
import * as path from 'path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Client } from 'pg';
import { createHandler, handler, HandlerDependencies } from '../../../lambda/db-bootstrap';
import { LOGIN_RETRY_POLICY } from '../../../lambda/db-bootstrap/connect';
import { loadDatasetsConfig } from '../../../lib/config/datasets';
import { columnNames } from './support/catalog';
import { startTlsPostgres, TlsPostgres } from '../../helpers/postgres/tls-postgres';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds-master-AbCdEf';
const EXAMPLE = loadDatasetsConfig(path.join(__dirname, '../../../examples/datasets.json'));
const secretsManager = mockClient(SecretsManagerClient);

let pg: TlsPostgres;
let admin: Client;
const logged: unknown[] = [];
const logger = { info: (...args: unknown[]) => void logged.push(args) };

/** The master secret as RDS manages it (ManageMasterUserPassword): the login only, no host, port or database. */
function masterSecret(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ username: pg.user, password: pg.password, ...overrides });
}

/** Waits recorded instead of slept, so the bounded retries run in milliseconds. */
const waits: number[] = [];

function onEvent(overrides: Partial<HandlerDependencies> = {}) {
  return createHandler({
    ca: pg.ca, logger, env: { DB_SECRET_ARN: SECRET_ARN }, retryDeps: { sleep: async (ms) => void waits.push(ms) }, ...overrides,
  });
}

const common = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.example.com/',
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/pipeline/1',
  RequestId: 'request-1',
  LogicalResourceId: 'DatabaseBootstrap',
  ResourceType: 'Custom::DatabaseBootstrap',
};

/** Where the construct tells the bootstrap to connect (Database, Host, Port properties). */
function target(database = 'appdb'): Record<string, string> {
  return { Database: database, Host: 'localhost', Port: String(pg.port) };
}

function createEvent(properties: Record<string, string>): CloudFormationCustomResourceCreateEvent {
  return { ...common, RequestType: 'Create', ResourceProperties: { ServiceToken: common.ServiceToken, ...target(), ...properties } };
}

function updateEvent(physicalId: string, properties: Record<string, string>, old: Record<string, string>): CloudFormationCustomResourceUpdateEvent {
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: physicalId,
    ResourceProperties: { ServiceToken: common.ServiceToken, ...target(), ...properties },
    OldResourceProperties: { ServiceToken: common.ServiceToken, ...target(), ...old },
  };
}

function deleteEvent(physicalId: string, properties: Record<string, string>): CloudFormationCustomResourceDeleteEvent {
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: { ServiceToken: common.ServiceToken, ...properties } };
}

beforeAll(async () => {
  pg = await startTlsPostgres();
  await pg.createDatabase('appdb');
  admin = await pg.connect('appdb');
  // The default handler builds its Powertools logger on first use; keep test output clean.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await pg?.stop();
  secretsManager.restore();
});

beforeEach(() => {
  waits.length = 0;
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: masterSecret() });
});

describe('onEvent', () => {
  const properties = { Datasets: JSON.stringify(EXAMPLE) };

  test('Create (Secrets Manager faked): bootstraps the default schema and returns a stable id', async () => {
    const response = await onEvent()(createEvent(properties));

    expect(response).toEqual({
      PhysicalResourceId: 'db-bootstrap:pipeline',
      Data: { Schema: 'pipeline', LoaderUser: 'pipeline_loader' },
    });
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
    const tables = (await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'pipeline' ORDER BY 1`)).rows;
    expect(tables.map((r) => r.table_name)).toEqual(['customer_orders', 'patient_visits', 'patient_visits_masked', 'weather_observations']);
    const loaderRole = (await admin.query(`SELECT rolcanlogin FROM pg_roles WHERE rolname = 'pipeline_loader'`)).rows;
    expect(loaderRole).toEqual([{ rolcanlogin: true }]);
  });

  test('Update (Secrets Manager faked): applies an added field, keeps the physical id and the rows', async () => {
    await admin.query(`INSERT INTO pipeline.weather_observations (observation_id, station, observed_at, temperature_c)
                       VALUES ('o-1', 's-1', now(), 20)`);
    const changed = JSON.parse(JSON.stringify(EXAMPLE)) as { datasets: Array<{ fields: unknown[] }> };
    changed.datasets[0].fields.push({ name: 'humidity', type: 'number', required: false });

    const response = await onEvent()(updateEvent('db-bootstrap:pipeline', { Datasets: JSON.stringify(changed) }, properties));

    expect(response.PhysicalResourceId).toBe('db-bootstrap:pipeline');
    expect(await columnNames(admin, 'pipeline', 'weather_observations')).toContain('humidity');
    expect((await admin.query('SELECT observation_id, humidity FROM pipeline.weather_observations')).rows)
      .toEqual([{ observation_id: 'o-1', humidity: null }]);
  });

  test('Delete (Secrets Manager faked): a no-op that reads no secret and keeps every table and row', async () => {
    const response = await onEvent()(deleteEvent('db-bootstrap:pipeline', properties));

    expect(response).toEqual({ PhysicalResourceId: 'db-bootstrap:pipeline' });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect((await admin.query('SELECT count(*)::int AS n FROM pipeline.weather_observations')).rows[0].n).toBe(1);
    expect((await admin.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'persona\\_%'`)).rows[0].n).toBe(4);
  });

  test('Create in another schema with another loader (Secrets Manager faked)', async () => {
    const response = await onEvent()(createEvent({ ...properties, Schema: 'sales', LoaderUser: 'sales_loader' }));
    expect(response).toEqual({ PhysicalResourceId: 'db-bootstrap:sales', Data: { Schema: 'sales', LoaderUser: 'sales_loader' } });
    expect(await columnNames(admin, 'sales', 'patient_visits_masked')).toEqual(['visit_id', 'visit_date', 'card_number', '_loaded_at']);
  });

  test('the exported handler trusts only the Amazon RDS CAs: the self-signed test server is refused (Secrets Manager faked)', async () => {
    process.env.DB_SECRET_ARN = SECRET_ARN;
    try {
      await expect(handler(createEvent(properties))).rejects.toMatchObject({
        code: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/),
      });
    } finally {
      delete process.env.DB_SECRET_ARN;
    }
  });

  test('invalid properties fail before the secret is read (Secrets Manager faked)', async () => {
    const restrictedKept = JSON.parse(JSON.stringify(EXAMPLE)) as { datasets: Array<{ fields: Array<{ handling: string }> }> };
    restrictedKept.datasets[2].fields[3].handling = 'keep';
    await expect(onEvent()(createEvent({ Datasets: JSON.stringify(restrictedKept) }))).rejects.toThrow(/not allowed for Restricted/);
    await expect(onEvent()(createEvent({ ...properties, LoaderUser: 'persona_admin' }))).rejects.toThrow(/is a persona role/);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test('a missing DB_SECRET_ARN is named', async () => {
    const noEnv = createHandler({ ca: pg.ca, logger, env: {} });
    await expect(noEnv(createEvent(properties))).rejects.toThrow(/DB_SECRET_ARN is not set/);
  });

  test('a wrong password fails without echoing it, and nothing logged holds a secret value (Secrets Manager faked)', async () => {
    const wrong = 'wrong-Password-7d1e';
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: masterSecret({ password: wrong }) });
    let error: Error | undefined;
    try {
      await onEvent()(createEvent(properties));
    } catch (e) {
      error = e as Error;
    }
    expect((error as { code?: string } | undefined)?.code).toBe('28P01');
    expect(error?.message).not.toContain(wrong);
    expect(error?.message).not.toContain(pg.password);

    const everything = JSON.stringify(logged);
    expect(logged.length).toBeGreaterThan(0);
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(pg.password);
  });

  test('tables land in the database the template names, not in the one a secret without dbname used to default to (Secrets Manager faked)', async () => {
    await pg.createDatabase('named_db');
    const named = await pg.connect('named_db');
    const fallback = await pg.connect('postgres');
    try {
      await onEvent()(createEvent({ ...properties, ...target('named_db'), Schema: 'named' }));
      expect(await columnNames(named, 'named', 'weather_observations')).toContain('station');
      const elsewhere = await fallback.query(`SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'named'`);
      expect(elsewhere.rows[0].n).toBe(0);
    } finally {
      await named.end();
      await fallback.end();
    }
  });

  test('without a Database property the managed secret names none, and the bootstrap refuses rather than guess (Secrets Manager faked)', async () => {
    const event = createEvent(properties);
    delete event.ResourceProperties.Database;
    await expect(onEvent()(event)).rejects.toThrow(/does not know the database \(property Database\)/);
  });
});

describe('login while the master secret rotates (Secrets Manager faked, real PostgreSQL)', () => {
  const properties = { Datasets: JSON.stringify(EXAMPLE), Schema: 'rotating' };

  test('a password refused once is retried with the secret read afresh, and the bootstrap succeeds', async () => {
    // The first read returns the password from before a rotation; the next returns the current one.
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolvesOnce({ SecretString: masterSecret({ password: 'before-the-rotation-1f2e' }) })
      .resolves({ SecretString: masterSecret() });

    const response = await onEvent()(createEvent(properties));

    expect(response.PhysicalResourceId).toBe('db-bootstrap:rotating');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(waits).toHaveLength(1);
    expect(await columnNames(admin, 'rotating', 'weather_observations')).toContain('station');
  });

  test('a password refused on every attempt fails after the bound with a clear error, one fresh read per attempt', async () => {
    const wrong = 'never-right-9c8b';
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: masterSecret({ password: wrong }) });
    const policy = { ...LOGIN_RETRY_POLICY, maxAttempts: 3 };
    let error: Error & { code?: string; attempts?: number } | undefined;
    try {
      await onEvent({ loginRetryPolicy: policy })(createEvent({ ...properties, Schema: 'never' }));
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.message).toMatch(/could not log in as "bootstrap_admin": the password was refused on 3 attempts, each with the master secret read afresh/);
    expect(error?.message).toMatch(/DB_SECRET_ARN/);
    expect(error).toMatchObject({ code: '28P01', attempts: 3 });
    expect(error?.message).not.toContain(wrong);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(policy.maxTotalWaitMs);
  });

  test('the default bound: 6 attempts within a minute of waiting, inside the function\'s 5-minute timeout', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: masterSecret({ password: 'wrong-again-77aa' }) });
    await expect(onEvent()(createEvent({ ...properties, Schema: 'never' }))).rejects.toThrow(/refused on 6 attempts/);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(LOGIN_RETRY_POLICY.maxAttempts);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
  });

  test('an error other than a refused password is final at once: one secret read, no wait', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: masterSecret() });
    await expect(onEvent()(createEvent({ ...properties, ...target('no_such_db') }))).rejects.toMatchObject({ code: '3D000' });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(waits).toEqual([]);
  });
});
