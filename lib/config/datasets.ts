/** The datasets configuration: schema, cross-field rules and loading. Pure (no aws-cdk-lib). */
import * as fs from 'fs';
import { z } from 'zod';
import {
  Classification,
  CLASSIFICATIONS,
  classificationRank,
  FIELD_HANDLINGS,
  FieldHandling,
  policyFor,
} from '../classification';
import { ConfigurationError, ConfigurationProblem } from '../errors';
import { httpsUrlProblems } from './credentials';
import { scheduleProblem } from './schedule';
import { zodProblems } from './zod-problems';

export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'timestamp', 'date'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
const DATASET_NAME = /^[a-z][a-z0-9_]{1,39}$/;
/** A dataset group: becomes the nested stack `Datasets<Group>` (PascalCase). */
export const GROUP_NAME = /^[a-z][a-z0-9_]{1,29}$/;

const FieldSchema = z
  .object({
    // The descriptions (.describe) end up in schema/datasets.schema.json, where editors show them on hover.
    name: z.string().regex(IDENTIFIER, 'must be lower_snake_case, start with a letter, at most 63 characters')
      .describe('Field name (lower_snake_case), the column and record property name'),
    type: z.enum(FIELD_TYPES),
    handling: z.enum(FIELD_HANDLINGS as [FieldHandling, ...FieldHandling[]])
      .describe("What happens to the value before storage; defaults to the classification's default handling, and " +
        'must be one the classification allows')
      .optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]])
      .describe("Defaults to the dataset's classification; may be lower, never higher")
      .optional(),
    required: z.boolean().default(true),
    maxLength: z.number().int().min(1).max(65535).describe('String fields only: the longest value accepted').optional(),
    maskKeepSuffix: z.number().int().min(0).max(8)
      .describe('handling "mask" only: how many trailing characters stay visible (default 4)')
      .optional(),
    description: z.string().max(500).optional(),
  })
  .strict();

const SourceSchema = z
  .object({
    url: z.string().url('must be an absolute URL')
      .describe('The source API, https:// only, without credentials in the URL (use auth)'),
    // EventBridge's rules are checked in resolveDataset.
    schedule: z.string().max(256)
      .describe('EventBridge schedule expression, e.g. rate(15 minutes) or cron(0 6 * * ? *)')
      .default('rate(1 hour)'),
    maxResponseBytes: z.number().int().min(1024).max(50 * 1024 * 1024)
      .describe('Largest response body accepted from the source, in bytes')
      .default(5 * 1024 * 1024),
    recordsPath: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .describe('Where the records are in the response body (a top-level property); omit when the body is an array')
      .optional(),
    auth: z
      .object({
        tokenUrl: z.string().url('must be an absolute URL').describe('OAuth2 token endpoint, https:// only'),
        scope: z.string().max(1000).optional(),
      })
      .strict()
      .describe('OAuth2 client-credentials authentication (the client secret lives in the ApiCredential secret); ' +
        'omit for an open source')
      .optional(),
  })
  .strict();

const DatasetSchema = z
  .object({
    name: z.string().regex(DATASET_NAME, 'must be lower_snake_case, start with a letter, 2–40 characters'),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]])
      .describe('Decides keys, retention, who may read, and which field handlings are allowed'),
    description: z.string().max(500).optional(),
    idField: z.string().regex(IDENTIFIER)
      .describe('The primary key: a required field whose handling is keep or tokenize'),
    source: SourceSchema,
    fields: z.array(FieldSchema).min(2, 'needs the id field and at least one other field'),
    group: z.string().regex(GROUP_NAME, 'must be lower_snake_case, start with a letter, 2–30 characters')
      .describe('Deploys the dataset\'s own resources (credential, topics, stages, alarms) in the nested stack of this ' +
        'group instead of the main stack: needed beyond about a dozen datasets (CloudFormation allows 500 resources ' +
        'per stack). Changing it replaces the dataset\'s topics and log groups.')
      .optional(),
  })
  .strict();

const DatasetsFileSchema = z
  .object({
    // Read by editors only; validateDatasetsConfig drops it.
    $schema: z.string().describe('The JSON Schema editors validate this file against').optional(),
    datasets: z.array(DatasetSchema).min(1, 'declare at least one dataset'),
  })
  .strict();

/** A field after validation, with its effective classification and handling resolved. */
export interface FieldConfig {
  readonly name: string;
  readonly type: FieldType;
  readonly handling: FieldHandling;
  readonly classification: Classification;
  readonly required: boolean;
  readonly maxLength?: number;
  readonly maskKeepSuffix?: number;
  readonly description?: string;
}

export interface SourceAuthConfig {
  readonly tokenUrl: string;
  readonly scope?: string;
}

export interface SourceConfig {
  readonly url: string;
  readonly schedule: string;
  readonly maxResponseBytes: number;
  readonly recordsPath?: string;
  readonly auth?: SourceAuthConfig;
}

export interface DatasetConfig {
  readonly name: string;
  /** The nested stack the dataset's own resources deploy in; none: the main stack. */
  readonly group?: string;
  readonly classification: Classification;
  readonly description?: string;
  readonly idField: string;
  readonly source: SourceConfig;
  readonly fields: readonly FieldConfig[];
}

export interface DatasetsConfig {
  readonly datasets: readonly DatasetConfig[];
}

/**
 * Validates a datasets document, parsed from a file or built in code: every problem (shape and cross-field rules)
 * is collected and thrown once as a ConfigurationError naming the dataset, the field and the fix. Returns the
 * config with every default resolved; validating a resolved config returns an equal one.
 */
export function validateDatasetsConfig(raw: unknown, source = 'datasets config'): DatasetsConfig {
  const parsed = DatasetsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid ${source}`, zodProblems(parsed.error, 'datasets').map(withDatasetName(raw)));
  }
  const problems: ConfigurationProblem[] = [];
  const datasets = parsed.data.datasets.map((d, i) => resolveDataset(d, `datasets[${i}] "${d.name}"`, problems));
  // Construct ids, topics and tables derive from the name with "_" dropped (PascalCase ids): names equal without
  // "_" would collide there, long after this check could name both.
  const seen = new Map<string, { index: number; name: string }>();
  parsed.data.datasets.forEach((d, i) => {
    const key = d.name.replace(/_/g, '');
    const first = seen.get(key);
    if (first?.name === d.name) {
      problems.push({ path: `datasets[${i}] "${d.name}"`, problem: 'dataset name is used twice', fix: 'give every dataset a unique name' });
    } else if (first) {
      problems.push({
        path: `datasets[${i}] "${d.name}"`,
        problem: `differs from datasets[${first.index}] "${first.name}" only by "_", so their construct ids collide`,
        fix: 'rename one so the names differ in more than underscores',
      });
    } else {
      seen.set(key, { index: i, name: d.name });
    }
  });
  // Groups become nested stack ids in PascalCase: groups equal without "_" would be one stack.
  const groups = new Map<string, string>();
  parsed.data.datasets.forEach((d, i) => {
    if (d.group === undefined) return;
    const key = d.group.replace(/_/g, '');
    const first = groups.get(key);
    if (first !== undefined && first !== d.group) {
      problems.push({
        path: `datasets[${i}] "${d.name}".group`,
        problem: `"${d.group}" differs from group "${first}" only by "_", so their nested stacks collide`,
        fix: `use "${first}", or a name that differs in more than underscores`,
      });
    } else {
      groups.set(key, d.group);
    }
  });
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid ${source}`, problems);
  }
  // `$schema` is only the editor's pointer to schema/datasets.schema.json: it is not configuration, so it is dropped
  // here rather than carried into stacks and handlers.
  return { datasets };
}

/**
 * The datasets file's JSON Schema (draft-07, which editors and validators support most widely), generated from the
 * same zod schema the loader uses, so editors refuse what the loader's shape check refuses. It describes the input
 * (defaulted properties are optional); the cross-field rules (the id field, classification ceilings, allowed
 * handlings, HTTPS-only URLs, schedule syntax, unique names) are only checked by validateDatasetsConfig.
 * `npm run schema` writes it to schema/datasets.schema.json.
 */
export function datasetsJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(DatasetsFileSchema, { target: 'draft-07', io: 'input', unrepresentable: 'throw' });
  const { $schema: draft, ...rest } = generated as Record<string, unknown>;
  return {
    $schema: draft,
    title: 'secure-data-pipeline datasets',
    description: 'The datasets config (-c datasets=<file>). Generated from lib/config/datasets.ts by `npm run schema`; ' +
      'do not edit. Cross-field rules (id field, classification ceilings, allowed handlings, HTTPS-only URLs, ' +
      'schedule syntax, unique names) are checked at synth.',
    ...rest,
  };
}

/**
 * Validates one dataset a construct was given on its own (a stage). Problems are named `dataset "<name>"…`.
 * Returns the dataset with every default resolved.
 */
export function validateDatasetConfig(raw: unknown, source = 'dataset config'): DatasetConfig {
  try {
    return validateDatasetsConfig({ datasets: [raw] }, source).datasets[0]!;
  } catch (e) {
    if (!(e instanceof ConfigurationError)) throw e;
    throw new ConfigurationError(`Invalid ${source}`, e.problems.map((p) => ({ ...p, path: p.path.replace(/^datasets\[0\]/, 'dataset') })));
  }
}

/** Reads and validates a datasets JSON file. */
export function loadDatasetsConfig(file: string): DatasetsConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigurationError('Datasets config', [
      { path: file, problem: `cannot be read (${(e as Error).message})`, fix: 'pass an existing file with -c datasets=<path>' },
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigurationError('Datasets config', [
      { path: file, problem: `is not valid JSON (${(e as Error).message})`, fix: 'correct the JSON syntax' },
    ]);
  }
  return validateDatasetsConfig(raw, file);
}

type ParsedDataset = z.infer<typeof DatasetSchema>;

function resolveDataset(d: ParsedDataset, where: string, problems: ConfigurationProblem[]): DatasetConfig {
  const add = (path: string, problem: string, fix: string) => problems.push({ path: `${where}${path}`, problem, fix });

  checkUrl(d.source.url, '.source.url', add);
  if (d.source.auth) checkUrl(d.source.auth.tokenUrl, '.source.auth.tokenUrl', add);
  const schedule = scheduleProblem(d.source.schedule);
  if (schedule) {
    add('.source.schedule', schedule, 'use rate(1 hour), rate(15 minutes), rate(1 day) or cron(0 6 * * ? *) (EventBridge syntax)');
  }

  const names = new Set<string>();
  const fields: FieldConfig[] = d.fields.map((f) => {
    const at = `.fields.${f.name}`;
    if (names.has(f.name)) add(at, 'field name is used twice', 'give every field of a dataset a unique name');
    names.add(f.name);

    const classification = f.classification ?? d.classification;
    if (classificationRank(classification) > classificationRank(d.classification)) {
      add(`${at}.classification`, `${classification} is higher than the dataset's ${d.classification}`,
        `raise the dataset classification to ${classification} or lower the field's`);
    }
    const policy = policyFor(classification);
    const handling = f.handling ?? policy.defaultFieldHandling;
    if (!policy.allowedFieldHandlings.includes(handling)) {
      add(`${at}.handling`, `"${handling}" is not allowed for ${classification} fields`,
        `use one of ${policy.allowedFieldHandlings.join(', ')}`);
    }
    if (handling === 'mask' && f.type !== 'string') {
      add(`${at}.handling`, `"mask" needs a string field, this one is ${f.type}`, 'use tokenize, encrypt or drop for non-string fields');
    }
    if (f.maskKeepSuffix !== undefined && handling !== 'mask') {
      add(`${at}.maskKeepSuffix`, `only applies to "mask", the handling is "${handling}"`, 'remove maskKeepSuffix or set handling to mask');
    }
    if (f.maxLength !== undefined && f.type !== 'string') {
      add(`${at}.maxLength`, `only applies to string fields, this one is ${f.type}`, 'remove maxLength');
    }
    return {
      name: f.name,
      type: f.type,
      handling,
      classification,
      required: f.required,
      ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
      ...(handling === 'mask' ? { maskKeepSuffix: f.maskKeepSuffix ?? 4 } : {}),
      ...(f.description !== undefined ? { description: f.description } : {}),
    };
  });

  const id = fields.find((f) => f.name === d.idField);
  if (!id) {
    add('.idField', `names "${d.idField}", which is not a field`, `add a field "${d.idField}" or name an existing field`);
  } else {
    if (!id.required) add(`.fields.${id.name}.required`, 'the id field is optional', 'make the id field required (it is the primary key)');
    if (id.handling !== 'keep' && id.handling !== 'tokenize') {
      add(`.fields.${id.name}.handling`, `the id field uses "${id.handling}", which is not stable`,
        'use keep, or tokenize when the id itself is sensitive (tokens are deterministic, so upserts still work)');
    }
  }
  if (fields.length > 0 && fields.every((f) => f.handling === 'drop' || f.name === d.idField)) {
    add('.fields', 'every field but the id is dropped', 'keep, mask, tokenize or encrypt at least one field');
  }

  return {
    name: d.name,
    ...(d.group !== undefined ? { group: d.group } : {}),
    classification: d.classification,
    ...(d.description !== undefined ? { description: d.description } : {}),
    idField: d.idField,
    source: {
      url: d.source.url,
      schedule: d.source.schedule,
      maxResponseBytes: d.source.maxResponseBytes,
      ...(d.source.recordsPath !== undefined ? { recordsPath: d.source.recordsPath } : {}),
      ...(d.source.auth !== undefined ? { auth: { tokenUrl: d.source.auth.tokenUrl, ...(d.source.auth.scope !== undefined ? { scope: d.source.auth.scope } : {}) } } : {}),
    },
    fields,
  };
}

/** HTTPS only, no credentials in the URL (user info, query or fragment), through the shared detector. */
function checkUrl(value: string, path: string, add: (path: string, problem: string, fix: string) => void): void {
  for (const problem of httpsUrlProblems(value)) {
    const fix = problem.includes('HTTPS')
      ? 'serve it over https:// (TLS 1.2 or later)'
      : 'remove it from the URL and store the credential in the ApiCredential secret (source.auth)';
    add(path, problem, fix);
  }
}

/** Adds the dataset's name to zod paths such as `datasets.datasets[2].fields[1].handling` for readability. */
function withDatasetName(raw: unknown) {
  return (p: ConfigurationProblem): ConfigurationProblem => {
    const m = /^datasets\.datasets\[(\d+)\](.*)$/.exec(p.path);
    if (!m) return p;
    const list = (raw as { datasets?: Array<{ name?: unknown }> } | undefined)?.datasets;
    const name = Array.isArray(list) ? list[Number(m[1])]?.name : undefined;
    return { ...p, path: `datasets[${m[1]}]${typeof name === 'string' ? ` "${name}"` : ''}${m[2]}` };
  };
}
