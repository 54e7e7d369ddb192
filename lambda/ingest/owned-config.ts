/**
 * The dataset config the ingest function owns. It is deployed with the function — DATASET_CONFIG (the validated
 * config as JSON) and DATASET_CONFIG_SHA256 (the SHA-256 of that text), in the environment the classification's key
 * encrypts — and never taken from the invocation event. The schedule's event carries only a marker naming the
 * dataset; an event that carries a config is run only when that config equals the owned one, and is refused
 * otherwise (the handler logs it as a security event): whoever may invoke the function can neither point
 * `source.url` at a host of their own, where the bearer token would follow, nor declare a Restricted field `keep`.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { DatasetConfig, validateDatasetsConfig } from '../../lib/config/datasets';
import { ConfigurationError } from '../../lib/errors';
import { DATASET_NAME, Env } from '../shared/environment';
import { EventRefusedError } from './errors';

export const DATASET_CONFIG_ENV = 'DATASET_CONFIG';
export const DATASET_CONFIG_SHA256_ENV = 'DATASET_CONFIG_SHA256';

export interface OwnedDataset {
  readonly dataset: DatasetConfig;
  /** SHA-256 (hex) of DATASET_CONFIG: names the deployed config version in logs. */
  readonly sha256: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Reads, verifies and validates the owned config. Errors name the variable and the fix, never the value. */
export function readOwnedDataset(env: Env): OwnedDataset {
  const text = env[DATASET_CONFIG_ENV];
  const expected = env[DATASET_CONFIG_SHA256_ENV]?.trim().toLowerCase();
  const fail = (path: string, problem: string, fix: string): never => {
    throw new ConfigurationError('Ingest function environment', [{ path, problem, fix }]);
  };
  const redeploy = 'deploy the function with IngestStage, which sets DATASET_CONFIG to the dataset config and DATASET_CONFIG_SHA256 to its SHA-256';
  if (text === undefined || text.trim() === '') fail(DATASET_CONFIG_ENV, 'is not set', redeploy);
  if (expected === undefined || !/^[0-9a-f]{64}$/.test(expected)) fail(DATASET_CONFIG_SHA256_ENV, 'is not a SHA-256 in hex', redeploy);
  const sha256 = sha256Hex(text!);
  if (sha256 !== expected) {
    fail(DATASET_CONFIG_ENV, `does not match DATASET_CONFIG_SHA256 (the text hashes to ${sha256.slice(0, 12)}…)`, `it was changed outside the deployment: ${redeploy}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text!);
  } catch {
    fail(DATASET_CONFIG_ENV, 'is not valid JSON', redeploy);
  }
  return { dataset: validateDatasetsConfig({ datasets: [raw] }, DATASET_CONFIG_ENV).datasets[0], sha256 };
}

/** What an accepted event carried. */
export type EventContent = 'nothing' | 'marker' | 'same-config';

/**
 * Accepts `{}` / no event, the schedule's marker `{ "dataset": "<owned name>" }`, and `{ "dataset": <config> }` when
 * the config equals the owned one after validation; refuses everything else with EventRefusedError, whose
 * `differences` name where a carried config differs (paths only, no values).
 */
export function checkInvocationEvent(event: unknown, owned: DatasetConfig): EventContent {
  if (event === undefined || event === null) return 'nothing';
  if (typeof event !== 'object' || Array.isArray(event)) throw new EventRefusedError('the event is not a JSON object', []);
  const keys = Object.keys(event);
  const extra = keys.filter((k) => k !== 'dataset');
  if (extra.length > 0) {
    throw new EventRefusedError(`the event carries ${extra.length} field(s) other than "dataset"`, extra.map((k) => (/^[A-Za-z_]{1,40}$/.test(k) ? k : '(unnamed)')));
  }
  if (keys.length === 0) return 'nothing';
  const carried = (event as { dataset: unknown }).dataset;
  if (typeof carried === 'string') {
    if (carried === owned.name) return 'marker';
    throw new EventRefusedError(`the event names dataset ${DATASET_NAME.test(carried) ? `"${carried}"` : '(not a dataset name)'}, not "${owned.name}"`, ['dataset']);
  }
  let config: DatasetConfig;
  try {
    config = validateDatasetsConfig({ datasets: [carried] }, 'event').datasets[0];
  } catch {
    throw new EventRefusedError('the event carries a dataset config that is not valid', ['dataset']);
  }
  if (isDeepStrictEqual(config, owned)) return 'same-config';
  throw new EventRefusedError('the event carries a dataset config that differs from the deployed one', differingPaths(config, owned));
}

/** Where two validated configs differ, as paths (`source.url`, `fields.patient_id.handling`); values never appear. */
export function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObject(a) || !isObject(b) || Array.isArray(a) !== Array.isArray(b)) return [path || '(root)'];
  if (Array.isArray(a) && Array.isArray(b)) {
    // Fields are named: compare them by name, so an inserted field does not make every later one differ.
    const named = (list: unknown[]) => new Map(list.map((v, i) => [isObject(v) && typeof v.name === 'string' ? v.name : String(i), v]));
    const left = named(a);
    const right = named(b);
    return [...new Set([...left.keys(), ...right.keys()])].flatMap((k) => differingPaths(left.get(k), right.get(k), `${path}.${k}`));
  }
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => differingPaths(a[k], b[k], path ? `${path}.${k}` : k));
}
