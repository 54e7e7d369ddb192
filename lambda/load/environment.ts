/** The load function's environment variables, checked together so one error lists every problem. */
import { DEFAULT_LOADER_USER, DEFAULT_SCHEMA } from '../db-bootstrap/sql';
import { BUCKET_NAME, Env, EnvReader, SQL_IDENTIFIER, SSE_KMS_KEY_ARN } from '../shared/environment';

export interface LoadSettings {
  /** The RDS endpoint host name (verify-full checks the certificate against it). */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The loader role, a member of rds_iam: it logs in with an IAM authentication token. */
  readonly user: string;
  /** The schema holding one table per dataset. */
  readonly schema: string;
  readonly quarantineBucket: string;
  /** The quarantine bucket's KMS key, sent as the SSE-KMS key of every quarantined object. */
  readonly quarantineKeyArn: string;
  readonly region: string;
}

const HOST = /^[A-Za-z0-9.-]{1,253}$/;
const DATABASE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function parseLoadSettings(env: Env): LoadSettings {
  const read = new EnvReader(env, 'Load function environment');
  const host = read.required('DB_HOST', HOST, 'the database endpoint host name (the RDS instance endpoint, not an IP address)');
  const port = read.integer('DB_PORT', 5432, 1, 65535);
  const database = read.required('DB_NAME', DATABASE, 'the database name');
  const user = read.optional('DB_USER', SQL_IDENTIFIER, 'the loader role (lower_snake_case)') ?? DEFAULT_LOADER_USER;
  const schema = read.optional('DB_SCHEMA', SQL_IDENTIFIER, 'the pipeline schema (lower_snake_case)') ?? DEFAULT_SCHEMA;
  const quarantineBucket = read.required('QUARANTINE_BUCKET', BUCKET_NAME, 'the name of the quarantine bucket');
  const quarantineKeyArn = read.required('QUARANTINE_KEY_ARN', SSE_KMS_KEY_ARN, 'the key ARN (not an alias) of the quarantine bucket\'s KMS key');
  const region = read.region();
  read.done();
  return { host, port, database, user, schema, quarantineBucket, quarantineKeyArn, region };
}
