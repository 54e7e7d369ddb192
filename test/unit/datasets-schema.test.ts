/**
 * The JSON Schema editors validate datasets.json with (schema/datasets.schema.json): it is a fresh generation from
 * the zod schema, the example validates against it and points at it, and it refuses the bad shapes the loader
 * refuses. Validated with ajv 6 (draft-07), which is already installed (through eslint); nothing was added.
 */
import Ajv from 'ajv';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { datasetsJsonSchema, loadDatasetsConfig, validateDatasetsConfig } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { datasetsSchemaText, main, SCHEMA_FILE } from '../../scripts/datasets-schema';
import { EXAMPLE_DATASETS } from '../helpers/app';

const ajv = new Ajv({ allErrors: true });
const validateJson = ajv.compile(datasetsJsonSchema());

function example(): { datasets: Array<Record<string, unknown>> } {
  return JSON.parse(fs.readFileSync(EXAMPLE_DATASETS, 'utf8'));
}

function zodRefuses(raw: unknown): ConfigurationError {
  try {
    validateDatasetsConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return e as ConfigurationError;
  }
  throw new Error('validateDatasetsConfig accepted the config');
}

function aDataset(overrides: Record<string, unknown> = {}, fieldOverrides: Record<string, unknown> = {}) {
  return {
    name: 'orders',
    classification: 'Internal',
    idField: 'id',
    source: { url: 'https://api.example.com/orders' },
    fields: [
      { name: 'id', type: 'string' },
      { name: 'email', type: 'string', handling: 'tokenize', ...fieldOverrides },
    ],
    ...overrides,
  };
}

describe('schema/datasets.schema.json', () => {
  test('the committed file equals a fresh generation from the zod schema (run `npm run schema` when this fails)', () => {
    expect(fs.existsSync(SCHEMA_FILE)).toBe(true);
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(datasetsSchemaText());
  });

  test('`npm run schema -- --check` exits 1 on a stale or missing file and 0 on a fresh one; it writes nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-schema-'));
    const file = path.join(dir, 'datasets.schema.json');
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(main(['--check'], file)).toBe(1);
      expect(fs.existsSync(file)).toBe(false);
      const stale = JSON.stringify({ ...datasetsJsonSchema(), title: 'older' }, null, 2) + '\n';
      fs.writeFileSync(file, stale);
      expect(main(['--check'], file)).toBe(1);
      expect(fs.readFileSync(file, 'utf8')).toBe(stale);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/stale.*npm run schema/);
      expect(main([], file)).toBe(0);
      expect(main(['--check'], file)).toBe(0);
      expect(main(['--fix'], file)).toBe(2);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('is draft-07 and closed like the strict zod objects: every object refuses unknown properties', () => {
    const schema = datasetsJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const objects: Array<Record<string, unknown>> = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        if ((node as Record<string, unknown>).type === 'object') objects.push(node as Record<string, unknown>);
        Object.values(node).forEach(walk);
      }
    };
    walk(schema);
    expect(objects).toHaveLength(5); // the file, a dataset, its source, the source's auth, a field
    expect(objects.every((o) => o.additionalProperties === false)).toBe(true);
    // Defaulted properties are optional in the file (the schema describes zod's input, not its output).
    const text = datasetsSchemaText();
    expect(text).toContain('"default": "rate(1 hour)"');
    expect(schema.required).toEqual(['datasets']);
  });

  test('carries the zod descriptions, which editors show on hover', () => {
    const text = datasetsSchemaText();
    expect(text).toContain('"description": "EventBridge schedule expression, e.g. rate(15 minutes) or cron(0 6 * * ? *)"');
    expect(text).toContain('"description": "The primary key: a required field whose handling is keep or tokenize"');
  });
});

describe('examples/datasets.json and $schema', () => {
  test('the example points editors at the schema, and the path resolves to the committed file', () => {
    const ref = (example() as Record<string, unknown>).$schema;
    expect(ref).toBe('../schema/datasets.schema.json');
    expect(path.resolve(path.dirname(EXAMPLE_DATASETS), ref as string)).toBe(SCHEMA_FILE);
  });

  test('the example validates against the JSON Schema', () => {
    const valid = validateJson(example());
    expect(validateJson.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('the loader accepts the example with $schema and drops it: the resolved config carries no $schema', () => {
    const config = loadDatasetsConfig(EXAMPLE_DATASETS);
    expect(Object.keys(config)).toEqual(['datasets']);
    expect(config.datasets.map((d) => d.name)).toEqual(['weather_observations', 'customer_orders', 'patient_visits']);
    expect(validateDatasetsConfig(config)).toEqual(config);
  });

  test('a $schema that is not a string is refused by both, naming the field', () => {
    const raw = { ...example(), $schema: 42 };
    const error = zodRefuses(raw);
    expect(error.problems).toEqual([expect.objectContaining({ path: 'datasets.$schema', fix: 'give a value of type string' })]);
    expect(validateJson(raw)).toBe(false);
  });
});

describe('bad configs the zod schema refuses are refused by the JSON Schema too', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no datasets property', {}, 'datasets.datasets'],
    ['an empty datasets list', { datasets: [] }, 'datasets.datasets'],
    ['an unknown top-level property', { datasets: [aDataset()], dataset: [] }, 'datasets'],
    ['a misspelt dataset property', { datasets: [{ ...aDataset(), clasification: 'Public' }] }, 'datasets[0] "orders"'],
    ['a dataset name that is not lower_snake_case', { datasets: [aDataset({ name: 'Orders' })] }, 'datasets[0] "Orders".name'],
    ['an unknown classification', { datasets: [aDataset({ classification: 'Secret' })] }, 'datasets[0] "orders".classification'],
    ['a single field', { datasets: [aDataset({ fields: [{ name: 'id', type: 'string' }] })] }, 'datasets[0] "orders".fields'],
    ['an unknown field type', { datasets: [aDataset({}, { type: 'text' })] }, 'datasets[0] "orders".fields[1].type'],
    ['an unknown handling', { datasets: [aDataset({}, { handling: 'hash' })] }, 'datasets[0] "orders".fields[1].handling'],
    ['maskKeepSuffix above 8', { datasets: [aDataset({}, { handling: 'mask', maskKeepSuffix: 9 })] }, 'datasets[0] "orders".fields[1].maskKeepSuffix'],
    ['a fractional maxLength', { datasets: [aDataset({}, { maxLength: 10.5 })] }, 'datasets[0] "orders".fields[1].maxLength'],
    ['required as a string', { datasets: [aDataset({}, { required: 'yes' })] }, 'datasets[0] "orders".fields[1].required'],
    ['a source URL that is not a URL', { datasets: [aDataset({ source: { url: 'api/orders' } })] }, 'datasets[0] "orders".source.url'],
    ['maxResponseBytes below 1 KiB', { datasets: [aDataset({ source: { url: 'https://a.example.com/o', maxResponseBytes: 100 } })] },
      'datasets[0] "orders".source.maxResponseBytes'],
    ['auth without a tokenUrl', { datasets: [aDataset({ source: { url: 'https://a.example.com/o', auth: { scope: 'read' } } })] },
      'datasets[0] "orders".source.auth.tokenUrl'],
  ];

  test.each(cases)('%s', (_name, raw, problemPath) => {
    expect(zodRefuses(raw).problems.map((p) => p.path)).toContain(problemPath);
    expect(validateJson(raw)).toBe(false);
  });

  test('the control: the same dataset without the defect passes both', () => {
    const raw = { datasets: [aDataset()] };
    expect(() => validateDatasetsConfig(raw)).not.toThrow();
    expect(validateJson(raw)).toBe(true);
  });

  test('cross-field rules are beyond JSON Schema: an http:// source passes the editor and is refused at synth', () => {
    const raw = { datasets: [aDataset({ source: { url: 'http://api.example.com/orders' } })] };
    expect(validateJson(raw)).toBe(true);
    expect(zodRefuses(raw).problems.map((p) => p.path)).toContain('datasets[0] "orders".source.url');
  });
});
