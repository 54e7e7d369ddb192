/** Reads the custom resource's ResourceProperties into a validated config and bootstrap options. Pure. */
import { DatasetsConfig, validateDatasetsConfig } from '../../lib/config/datasets';
import { ConfigurationError } from '../../lib/errors';
import type { ConnectionTarget } from './connect';
import { BootstrapOptions, DEFAULT_LOADER_USER, DEFAULT_SCHEMA, validateBootstrapOptions } from './sql';

export interface BootstrapRequest {
  readonly config: DatasetsConfig;
  readonly options: BootstrapOptions;
  /** Database, Host and Port: where the tables go. The RDS-managed secret carries none of them. */
  readonly target: ConnectionTarget;
}

/**
 * `Datasets` is the datasets config as a JSON string (CloudFormation passes property values as strings); it was
 * validated at synth and is validated again here, because the template is the input this function trusts.
 */
export function parseResourceProperties(properties: Readonly<Record<string, unknown>>): BootstrapRequest {
  const datasets = properties.Datasets;
  if (typeof datasets !== 'string' || datasets.length === 0) {
    throw new ConfigurationError('Invalid db-bootstrap properties', [
      { path: 'Datasets', problem: 'is missing or not a string', fix: 'pass the datasets config as a JSON string' },
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(datasets);
  } catch (e) {
    throw new ConfigurationError('Invalid db-bootstrap properties', [
      { path: 'Datasets', problem: `is not valid JSON (${(e as Error).message})`, fix: 'pass JSON.stringify(datasetsConfig)' },
    ]);
  }
  const config = validateDatasetsConfig(raw, 'ResourceProperties.Datasets');
  const options: BootstrapOptions = {
    schema: optionalString(properties.Schema) ?? DEFAULT_SCHEMA,
    loaderUser: optionalString(properties.LoaderUser) ?? DEFAULT_LOADER_USER,
  };
  validateBootstrapOptions(config, options);
  return { config, options, target: parseTarget(properties) };
}

/** The same rule the construct applies to databaseName (lib/constructs/database/secure-database.ts). */
const DATABASE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

function parseTarget(properties: Readonly<Record<string, unknown>>): ConnectionTarget {
  const problems: Array<{ path: string; problem: string; fix: string }> = [];
  const database = optionalString(properties.Database);
  if (database !== undefined && !DATABASE_NAME.test(database)) {
    problems.push({ path: 'Database', problem: `"${database}" is not a database name`, fix: 'pass the DBName of the instance, lower_snake_case' });
  }
  const host = optionalString(properties.Host);
  const portText = optionalString(properties.Port);
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(/^\d+$/.test(portText!) && port >= 1 && port <= 65535)) {
    problems.push({ path: 'Port', problem: `"${portText}" is not a TCP port`, fix: 'pass the port of the instance, e.g. "5433"' });
  }
  if (problems.length > 0) throw new ConfigurationError('Invalid db-bootstrap properties', problems);
  return {
    ...(database !== undefined ? { database } : {}), ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}),
  };
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}
