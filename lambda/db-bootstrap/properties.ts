/** Reads the custom resource's ResourceProperties into a validated config and bootstrap options. Pure. */
import { DatasetsConfig, validateDatasetsConfig } from '../../lib/config/datasets';
import { ConfigurationError } from '../../lib/errors';
import { BootstrapOptions, DEFAULT_LOADER_USER, DEFAULT_SCHEMA, validateBootstrapOptions } from './sql';

export interface BootstrapRequest {
  readonly config: DatasetsConfig;
  readonly options: BootstrapOptions;
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
  return { config, options };
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}
