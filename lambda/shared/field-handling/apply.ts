/** Applies a dataset's per-field handling to a record before it leaves the ingest stage. */
import { FIELD_HANDLINGS } from '../../../lib/classification';
import type { DatasetConfig, FieldConfig } from '../../../lib/config/datasets';
import { canonicalString } from './canonical';
import type { FieldEncryptor } from './envelope';
import { FieldHandlingError, FieldHandlingSetupError, FieldValueError } from './errors';
import { mask } from './mask';
import { tokenize, TokenizationKey } from './tokenize';

/** A value in a protected record: kept scalars, masks, tokens, envelopes, or null. */
export type ProtectedValue = string | number | boolean | null;
export type ProtectedRecord = Readonly<Record<string, ProtectedValue>>;

/** The clients and keys field handling needs; only those the dataset's handlings use must be given. */
export interface FieldHandlingDeps {
  /** The current tokenization key (`parseTokenizationKeys(...).current`); needed for `tokenize` fields. */
  readonly tokenizationKey?: TokenizationKey;
  /** Usually an EnvelopeEncryptor; needed for `encrypt` fields. */
  readonly encryptor?: FieldEncryptor;
}

const KNOWN_HANDLINGS: ReadonlySet<string> = new Set(FIELD_HANDLINGS);

/** Default number of visible trailing characters for `mask` (the config resolves it; this covers hand-made configs). */
const DEFAULT_MASK_KEEP_SUFFIX = 4;

/**
 * Returns a new record holding exactly the dataset's fields that are not dropped, each kept, masked, tokenized or
 * encrypted as its FieldConfig says. Fields the config does not declare are left out, never passed through.
 * A null or absent value stays null (it is neither tokenized nor encrypted). Only `keep` fields carry their input
 * value; `mask` and `encrypt` work on the canonical string form (see canonicalString), `tokenize` on its NFC form.
 *
 * Throws FieldHandlingError (naming dataset and field, never the value) when the record is at fault — a
 * non-scalar, non-finite or not well-formed value — so the caller quarantines it. Throws FieldHandlingSetupError,
 * before touching any value, when the config and deps do not fit (unknown handling, no key or encryptor). KMS and
 * key failures (EnvelopeEncryptionError, TokenizationKeyError) propagate unchanged: they are not the record's
 * fault, so the caller should retry rather than quarantine.
 */
export async function applyFieldHandlings(
  record: Readonly<Record<string, unknown>>,
  dataset: DatasetConfig,
  deps: FieldHandlingDeps,
): Promise<ProtectedRecord> {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new FieldHandlingError(dataset.name, '(record)', 'the record is not a JSON object');
  }
  const fields = checkedFields(dataset, deps);
  const out: Record<string, ProtectedValue> = {};
  // Field by field: only `encrypt` awaits (and only when a data key must be fetched does it really wait), so a
  // sequential loop costs no latency and spares a promise per field (measured: bench/ingest.ts).
  for (const field of fields) {
    // Own properties only: a field called e.g. "constructor" must not pick up Object.prototype members.
    const value = hasOwn(record, field.name) ? record[field.name] : undefined;
    let handled: ProtectedValue;
    try {
      handled = value === null || value === undefined ? null : field.handling === 'encrypt'
        ? await (deps.encryptor as FieldEncryptor).encrypt(canonicalString(value), { dataset: dataset.name, field: field.name }) // present: checkedFields
        : handleNow(value, field, dataset, deps);
    } catch (e) {
      // A bad value is the record's fault (quarantine it); KMS or key failures are not, so they propagate as is.
      if (e instanceof FieldValueError) throw new FieldHandlingError(dataset.name, field.name, e.message);
      throw e;
    }
    if (field.name === '__proto__') {
      // Defined, not assigned: assigning "__proto__" would set the prototype instead of adding a field.
      Object.defineProperty(out, field.name, { value: handled, enumerable: true, writable: true, configurable: true });
    } else {
      out[field.name] = handled;
    }
  }
  return out;
}

const hasOwn = (record: object, name: string): boolean => Object.prototype.hasOwnProperty.call(record, name);

/**
 * The fields that are not dropped, after checking that config and deps fit. The whole check runs on the first call
 * for a dataset object (configs are immutable once validated) and the plan is kept only when it passed; later calls
 * check only that the deps hold the key and encryptor the dataset needs, since callers may pass other deps.
 */
function checkedFields(dataset: DatasetConfig, deps: FieldHandlingDeps): readonly FieldConfig[] {
  let plan = PLANS.get(dataset);
  if (plan === undefined || plan.fieldsRef !== dataset.fields) {
    checkSetup(dataset, deps);
    plan = {
      fieldsRef: dataset.fields,
      kept: dataset.fields.filter((field) => field.handling !== 'drop'),
      tokenizes: dataset.fields.some((field) => field.handling === 'tokenize'),
      encrypts: dataset.fields.some((field) => field.handling === 'encrypt'),
    };
    PLANS.set(dataset, plan);
  }
  if ((plan.tokenizes && !deps.tokenizationKey) || (plan.encrypts && !deps.encryptor)) checkSetup(dataset, deps);
  return plan.kept;
}

interface Plan {
  /** The fields array the plan was made from: a dataset object given new fields gets a new plan. */
  readonly fieldsRef: readonly FieldConfig[];
  readonly kept: readonly FieldConfig[];
  readonly tokenizes: boolean;
  readonly encrypts: boolean;
}

const PLANS = new WeakMap<DatasetConfig, Plan>();

/** Every handling but `encrypt` (the only one that may wait for KMS); the value is neither null nor undefined. */
function handleNow(value: unknown, field: FieldConfig, dataset: DatasetConfig, deps: FieldHandlingDeps): ProtectedValue {
  switch (field.handling) {
    case 'keep':
      return keepValue(value);
    case 'mask':
      return mask(canonicalString(value), field.maskKeepSuffix ?? DEFAULT_MASK_KEEP_SUFFIX);
    case 'tokenize':
      return tokenize(value, deps.tokenizationKey as TokenizationKey); // present: checkedFields
    default:
      throw new FieldHandlingSetupError(dataset.name, [`field "${field.name}" has unknown handling "${String(field.handling)}"`]);
  }
}

/** Fails before any value is touched when the config and deps do not fit, whatever the record holds. */
function checkSetup(dataset: DatasetConfig, deps: FieldHandlingDeps): void {
  const problems: string[] = [];
  for (const field of dataset.fields) {
    if (!KNOWN_HANDLINGS.has(field.handling)) {
      // Fail closed on a handling this code does not know (e.g. an unvalidated config).
      problems.push(`field "${field.name}" has unknown handling "${String(field.handling)}"; use keep, mask, tokenize, encrypt or drop`);
    } else if (field.handling === 'tokenize' && !deps.tokenizationKey) {
      problems.push(`field "${field.name}" is tokenized but no tokenizationKey was given; pass parseTokenizationKeys(secret).current`);
    } else if (field.handling === 'encrypt' && !deps.encryptor) {
      problems.push(`field "${field.name}" is encrypted but no encryptor was given; pass an EnvelopeEncryptor`);
    } else if (field.handling === 'mask' && field.maskKeepSuffix !== undefined
      && (!Number.isSafeInteger(field.maskKeepSuffix) || field.maskKeepSuffix < 0)) {
      problems.push(`field "${field.name}" has maskKeepSuffix ${String(field.maskKeepSuffix)}; use a non-negative integer`);
    }
  }
  if (problems.length > 0) throw new FieldHandlingSetupError(dataset.name, problems);
}

/**
 * Kept values are scalars only: an object or array in a kept field could smuggle undeclared data through. Numbers
 * and booleans keep their type; canonicalString rejects what other handlings reject too (NaN, infinities, lone
 * surrogates), so every handling quarantines the same bad values.
 */
function keepValue(value: unknown): ProtectedValue {
  const canonical = canonicalString(value);
  return typeof value === 'number' || typeof value === 'boolean' ? value : canonical;
}
