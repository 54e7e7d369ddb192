/**
 * Deterministic tokenization: `v<version>:<hex HMAC-SHA-256>` under a versioned key, so equal values give equal
 * tokens (joins and upserts work) while the value cannot be recovered without the key.
 */
import { createHmac, timingSafeEqual } from 'crypto';
import { canonicalString } from './canonical';
import { TokenizationKeyError } from './errors';

/** Shortest HMAC key accepted: the HMAC-SHA-256 output size, so the key is never the weak part. */
export const MIN_TOKENIZATION_KEY_BYTES = 32;

/** One version of the tokenization key. */
export interface TokenizationKey {
  readonly version: number;
  readonly secret: Buffer;
}

/** The parsed tokenization key secret: the key new tokens use, and every version still accepted for lookups. */
export interface TokenizationKeySet {
  readonly current: TokenizationKey;
  /** Every version in the secret, including the current one. */
  readonly versions: ReadonlyMap<number, TokenizationKey>;
}

export const TOKEN_PATTERN = /^v([1-9][0-9]*):([0-9a-f]{64})$/;

const VERSION_KEY = /^[1-9][0-9]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const SECRET_SHAPE = 'expected {"currentVersion": <n>, "keys": {"<n>": "<base64 of at least 32 random bytes>", …}}';
/**
 * Top-level `"key<n>"` properties are accepted as version n too: Secrets Manager can generate a secret only at a
 * top-level property, so the secret CloudFormation creates is `{"currentVersion": 1, "key1": "<generated>"}`.
 */
const FLAT_KEY = /^key([1-9][0-9]*)$/;

/**
 * Parses and validates the tokenization key secret (the SecretString JSON, or the object already parsed from it),
 * e.g. `{ "currentVersion": 2, "keys": { "1": "<base64>", "2": "<base64>" } }`. Every problem is reported at once;
 * messages name the version, never the key material.
 */
export function parseTokenizationKeys(json: unknown): TokenizationKeySet {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch {
      // The JSON.parse message quotes part of the text, i.e. key material: do not pass it on.
      throw new TokenizationKeyError([`the secret is not valid JSON; ${SECRET_SHAPE}`]);
    }
  }
  if (!isPlainObject(doc)) {
    throw new TokenizationKeyError([`the secret is not a JSON object; ${SECRET_SHAPE}`]);
  }
  const problems: string[] = [];
  const flat: Record<string, unknown> = {};
  for (const prop of Object.keys(doc)) {
    const m = FLAT_KEY.exec(prop);
    if (m) {
      if (isPlainObject(doc.keys) && Object.prototype.hasOwnProperty.call(doc.keys, m[1]!)) {
        problems.push(`version ${m[1]} is given both as "${prop}" and in "keys"; keep one`);
      }
      flat[m[1]!] = doc[prop];
    } else if (prop !== 'currentVersion' && prop !== 'keys') {
      problems.push(`unknown property "${prop}"; ${SECRET_SHAPE}`);
    }
  }
  const currentVersion = doc.currentVersion;
  if (!isVersion(currentVersion)) {
    problems.push('"currentVersion" must be a positive integer naming one of "keys"');
  }
  const versions = new Map<number, TokenizationKey>();
  const keys = Object.keys(flat).length > 0 ? { ...(isPlainObject(doc.keys) ? doc.keys : {}), ...flat } : doc.keys;
  if (!isPlainObject(keys) || Object.keys(keys).length === 0) {
    problems.push(`"keys" must be an object with at least one version; ${SECRET_SHAPE}`);
  } else {
    const seen = new Map<string, number>();
    for (const [name, encoded] of Object.entries(keys)) {
      const where = `keys."${name}"`;
      const version = Number(name);
      if (!VERSION_KEY.test(name) || !isVersion(version)) {
        problems.push(`${where}: the version must be a positive integer without leading zeros`);
        continue;
      }
      if (typeof encoded !== 'string' || !BASE64.test(encoded)) {
        problems.push(`${where}: must be a standard base64 string (A–Z a–z 0–9 + /, = padding)`);
        continue;
      }
      const secret = Buffer.from(encoded, 'base64');
      if (secret.length < MIN_TOKENIZATION_KEY_BYTES) {
        problems.push(`${where}: decodes to ${secret.length} bytes; use at least ${MIN_TOKENIZATION_KEY_BYTES} random bytes (e.g. openssl rand -base64 32)`);
        continue;
      }
      const fingerprint = secret.toString('hex');
      const earlier = seen.get(fingerprint);
      if (earlier !== undefined) {
        problems.push(`${where}: repeats the key of version ${earlier}; every version needs its own random key`);
        continue;
      }
      seen.set(fingerprint, version);
      versions.set(version, { version, secret });
    }
    if (isVersion(currentVersion) && !Object.prototype.hasOwnProperty.call(keys, String(currentVersion))) {
      problems.push(`"currentVersion" is ${currentVersion} but "keys" has no "${currentVersion}"; add that key or point currentVersion at an existing one`);
    }
  }
  if (problems.length > 0) {
    throw new TokenizationKeyError(problems);
  }
  const current = versions.get(currentVersion as number);
  if (!current) {
    throw new TokenizationKeyError([`the current version ${String(currentVersion)} is not usable`]);
  }
  return { current, versions };
}

/**
 * Tokenizes a scalar value: `v<key.version>:` + hex HMAC-SHA-256(key.secret, UTF-8 of the canonical form).
 * The canonical form is `canonicalString(value)` in Unicode NFC, so `42` and `"42"`, a Date and its ISO string,
 * and composed and decomposed spellings of the same text give one token. Deterministic for a key version;
 * different versions have different secrets, so their tokens differ.
 */
export function tokenize(value: unknown, key: TokenizationKey): string {
  assertUsableKey(key);
  const canonical = canonicalString(value).normalize('NFC');
  const mac = createHmac('sha256', key.secret).update(canonical, 'utf8').digest('hex');
  return `v${key.version}:${mac}`;
}

/**
 * True when `token` is the token of `value` under the key version the token names (any version in the set, so
 * lookups keep working while tokens are re-keyed). Compares in constant time.
 */
export function verifyToken(value: unknown, token: string, keys: TokenizationKeySet): boolean {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return false;
  const key = keys.versions.get(Number(m[1]));
  if (!key) return false;
  const expected = Buffer.from(tokenize(value, key), 'utf8');
  const actual = Buffer.from(token, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function assertUsableKey(key: TokenizationKey): void {
  if (!isVersion(key.version)) {
    throw new TokenizationKeyError(['the key version must be a positive integer']);
  }
  if (!Buffer.isBuffer(key.secret) || key.secret.length < MIN_TOKENIZATION_KEY_BYTES) {
    throw new TokenizationKeyError([`key version ${key.version} is shorter than ${MIN_TOKENIZATION_KEY_BYTES} bytes; load it with parseTokenizationKeys`]);
  }
}

function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
