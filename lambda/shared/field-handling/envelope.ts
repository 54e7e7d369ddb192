/**
 * Envelope encryption of field values: AES-256-GCM under a KMS data key bound to (dataset, field).
 *
 * Envelope: `enc:v1:<b64 encrypted data key>:<b64 iv>:<b64 ciphertext>:<b64 tag>`.
 * - KMS EncryptionContext `{ dataset, field }`: the data key decrypts only for that field (and key policies can
 *   condition on it); the GCM AAD carries the same pair, so a value moved to another field fails authentication.
 * - Data keys are cached per (dataset, field) and used for at most `maxRecordsPerDataKey` values and
 *   `maxDataKeyAgeMs`, then replaced; each value gets a fresh random 12-byte IV.
 * - Plaintext data keys are zeroed when they are dropped (retired, evicted or on `dispose()`).
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { canonicalString } from './canonical';
import { EnvelopeEncryptionError } from './errors';

/** The part of a KMS client the encryptor uses (a `KMSClient`, or a test double of its `send`). */
export type KmsClientLike = Pick<KMSClient, 'send'>;

/** Which field a value belongs to; bound into both the KMS encryption context and the GCM AAD. */
export interface EncryptionScope {
  readonly dataset: string;
  readonly field: string;
}

/** What applyFieldHandlings needs from an encryptor. */
export interface FieldEncryptor {
  encrypt(plaintext: string, scope: EncryptionScope): Promise<string>;
}

export interface EnvelopeEncryptorProps {
  /** KMS client (or anything with the same `send`), passed in so tests and handlers choose it. */
  readonly kms: KmsClientLike;
  /** The KMS key that generates and decrypts data keys (key id, key ARN, alias name or alias ARN). */
  readonly keyId: string;
  /**
   * How many values one data key encrypts before a new one is generated.
   * @default 1000
   */
  readonly maxRecordsPerDataKey?: number;
  /**
   * How long a data key is used for encryption after KMS generated it, in milliseconds.
   * @default 300_000 (5 minutes)
   */
  readonly maxDataKeyAgeMs?: number;
  /**
   * How many decrypted data keys are cached for `decrypt` (least recently used are zeroed and evicted).
   * @default 100
   */
  readonly maxCachedDecryptionKeys?: number;
  /**
   * How long a decrypted data key stays cached, in milliseconds.
   * @default 300_000 (5 minutes)
   */
  readonly maxDecryptionKeyAgeMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

export const ENVELOPE_PREFIX = 'enc:v1:';
export const DEFAULT_MAX_RECORDS_PER_DATA_KEY = 1000;
export const DEFAULT_MAX_DATA_KEY_AGE_MS = 5 * 60 * 1000;
/** With random 96-bit IVs, NIST SP 800-38D bounds one key to 2^32 encryptions. */
const GCM_RANDOM_IV_LIMIT = 2 ** 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
const B64 = '(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?';
const ENVELOPE = new RegExp(`^enc:v1:(${B64}):(${B64}):(${B64}):(${B64})$`);

interface DataKey {
  readonly plaintext: Buffer;
  destroyed: boolean;
}

interface EncryptionDataKey extends DataKey {
  readonly encrypted: string;
  readonly createdAt: number;
  uses: number;
}

interface BoundScope {
  readonly id: string;
  readonly aad: Buffer;
}

interface DecryptionDataKey extends DataKey {
  readonly cachedAt: number;
}

export class EnvelopeEncryptor implements FieldEncryptor {
  private readonly kms: KmsClientLike;
  private readonly keyId: string;
  private readonly maxRecordsPerDataKey: number;
  private readonly maxDataKeyAgeMs: number;
  private readonly maxCachedDecryptionKeys: number;
  private readonly maxDecryptionKeyAgeMs: number;
  private readonly now: () => number;
  /** Per (dataset, field): the data key in use, or the GenerateDataKey call that will provide it. */
  private readonly encryptionKeys = new Map<string, Promise<EncryptionDataKey>>();
  /** The same keys once resolved, so encrypt need not await a settled promise for every value. */
  private readonly readyKeys = new Map<string, EncryptionDataKey>();
  /** Cache id and AAD per dataset, then field. */
  private readonly scopes = new Map<string, Map<string, BoundScope>>();
  /** Per (encrypted data key, dataset, field), in least-recently-used order. */
  private readonly decryptionKeys = new Map<string, Promise<DecryptionDataKey>>();

  constructor(props: EnvelopeEncryptorProps) {
    const problems: string[] = [];
    if (typeof props.keyId !== 'string' || props.keyId.trim() === '') {
      problems.push('keyId must name the KMS key (id, ARN or alias)');
    }
    const maxRecords = props.maxRecordsPerDataKey ?? DEFAULT_MAX_RECORDS_PER_DATA_KEY;
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1 || maxRecords > GCM_RANDOM_IV_LIMIT) {
      problems.push(`maxRecordsPerDataKey is ${String(maxRecords)}; use an integer from 1 to 2^32 (random-IV GCM limit)`);
    }
    const checkDuration = (name: string, v: number) => {
      if (!Number.isFinite(v) || v <= 0) problems.push(`${name} is ${String(v)}; use a positive number of milliseconds`);
    };
    const maxAge = props.maxDataKeyAgeMs ?? DEFAULT_MAX_DATA_KEY_AGE_MS;
    checkDuration('maxDataKeyAgeMs', maxAge);
    const maxDecryptAge = props.maxDecryptionKeyAgeMs ?? DEFAULT_MAX_DATA_KEY_AGE_MS;
    checkDuration('maxDecryptionKeyAgeMs', maxDecryptAge);
    const maxCached = props.maxCachedDecryptionKeys ?? 100;
    if (!Number.isSafeInteger(maxCached) || maxCached < 1) {
      problems.push(`maxCachedDecryptionKeys is ${String(maxCached)}; use a positive integer`);
    }
    if (problems.length > 0) {
      throw new EnvelopeEncryptionError(`Invalid EnvelopeEncryptor props: ${problems.join('; ')}`);
    }
    this.kms = props.kms;
    this.keyId = props.keyId;
    this.maxRecordsPerDataKey = maxRecords;
    this.maxDataKeyAgeMs = maxAge;
    this.maxCachedDecryptionKeys = maxCached;
    this.maxDecryptionKeyAgeMs = maxDecryptAge;
    this.now = props.now ?? Date.now;
  }

  /** Encrypts `plaintext` for `scope` and returns the envelope string. */
  public async encrypt(plaintext: string, scope: EncryptionScope): Promise<string> {
    checkScope(scope);
    if (typeof plaintext !== 'string') {
      throw new EnvelopeEncryptionError(`encrypt needs a string, got ${typeof plaintext}; pass canonicalString(value)`);
    }
    // Throws on lone surrogates, which UTF-8 encoding would silently replace (the value would not round-trip).
    const text = canonicalString(plaintext);
    const bound = this.bound(scope);
    // Fast path: the data key of this scope is here and still usable, so no promise is awaited (the common case:
    // one GenerateDataKey serves up to maxRecordsPerDataKey values).
    const ready = this.readyKeys.get(bound.id);
    if (ready !== undefined && this.usable(ready)) return this.sealWith(ready, bound, text);
    for (;;) {
      let pending = this.encryptionKeys.get(bound.id);
      if (!pending) {
        pending = this.generateDataKey(scope);
        this.encryptionKeys.set(bound.id, pending);
        const mine = pending;
        pending.then((key) => {
          if (this.encryptionKeys.get(bound.id) === mine && !key.destroyed) this.readyKeys.set(bound.id, key);
        }, () => {
          if (this.encryptionKeys.get(bound.id) === mine) this.encryptionKeys.delete(bound.id);
        });
      }
      const key = await pending;
      // From here to the return nothing awaits, so no other call can retire (and zero) the key while it is used.
      if (!this.usable(key)) {
        this.retireEncryptionKey(bound.id, pending, key);
        continue;
      }
      return this.sealWith(key, bound, text);
    }
  }

  /** Not destroyed, below its use limit and younger than its maximum age. */
  private usable(key: EncryptionDataKey): boolean {
    return !key.destroyed && key.uses < this.maxRecordsPerDataKey && this.now() - key.createdAt < this.maxDataKeyAgeMs;
  }

  /** Counts the use, seals, and retires the key when that was its last use. Synchronous: see encrypt. */
  private sealWith(key: EncryptionDataKey, bound: BoundScope, text: string): string {
    key.uses += 1;
    const envelope = seal(key, Buffer.from(text, 'utf8'), bound.aad);
    if (key.uses >= this.maxRecordsPerDataKey) {
      const pending = this.encryptionKeys.get(bound.id);
      if (pending !== undefined && this.readyKeys.get(bound.id) === key) this.retireEncryptionKey(bound.id, pending, key);
      else destroy(key);
    }
    return envelope;
  }

  /** The scope's cache id and GCM AAD, computed once per (dataset, field) rather than per value. */
  private bound(scope: EncryptionScope): BoundScope {
    let fields = this.scopes.get(scope.dataset);
    if (fields === undefined) {
      fields = new Map();
      this.scopes.set(scope.dataset, fields);
    }
    let bound = fields.get(scope.field);
    if (bound === undefined) {
      bound = { id: scopeId(scope), aad: aad(scope) };
      fields.set(scope.field, bound);
    }
    return bound;
  }

  /** Decrypts an envelope made by `encrypt` for the same scope; any other scope, or any tampering, throws. */
  public async decrypt(envelope: string, scope: EncryptionScope): Promise<string> {
    checkScope(scope);
    const m = typeof envelope === 'string' ? ENVELOPE.exec(envelope) : null;
    if (!m) {
      throw new EnvelopeEncryptionError(`not an ${ENVELOPE_PREFIX} envelope (expected enc:v1:<key>:<iv>:<ciphertext>:<tag>, base64)`);
    }
    const [, encryptedKey, ivB64, ciphertextB64, tagB64] = m;
    const iv = Buffer.from(ivB64, 'base64');
    const tag = Buffer.from(tagB64, 'base64');
    if (encryptedKey.length === 0 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new EnvelopeEncryptionError(`malformed envelope: needs a data key, a ${IV_BYTES}-byte IV and a ${TAG_BYTES}-byte tag`);
    }
    const ciphertext = Buffer.from(ciphertextB64, 'base64');
    for (;;) {
      const key = await this.decryptionKey(encryptedKey, scope);
      // No await between the check and the use: see encrypt.
      if (key.destroyed) continue;
      const decipher = createDecipheriv('aes-256-gcm', key.plaintext, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(scope));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch (e) {
        throw new EnvelopeEncryptionError(`the envelope does not authenticate for dataset "${scope.dataset}", field "${scope.field}" (tampered or moved)`, { cause: e });
      }
    }
  }

  /** Zeroes and forgets every cached data key. The encryptor stays usable (it fetches new keys). */
  public dispose(): void {
    // Synchronously: an encrypt right after dispose() must not find a key on the fast path.
    for (const key of this.readyKeys.values()) destroy(key);
    this.readyKeys.clear();
    for (const [id, pending] of [...this.encryptionKeys]) {
      this.encryptionKeys.delete(id);
      pending.then(destroy, () => undefined);
    }
    for (const [id, pending] of [...this.decryptionKeys]) {
      this.decryptionKeys.delete(id);
      pending.then(destroy, () => undefined);
    }
  }

  private async generateDataKey(scope: EncryptionScope): Promise<EncryptionDataKey> {
    let out;
    try {
      out = await this.kms.send(new GenerateDataKeyCommand({
        KeyId: this.keyId,
        KeySpec: 'AES_256',
        EncryptionContext: { dataset: scope.dataset, field: scope.field },
      }));
    } catch (e) {
      throw new EnvelopeEncryptionError(`KMS GenerateDataKey failed for dataset "${scope.dataset}", field "${scope.field}": ${errorName(e)}`, { cause: e });
    }
    if (!(out.Plaintext instanceof Uint8Array) || out.Plaintext.length !== DATA_KEY_BYTES
      || !(out.CiphertextBlob instanceof Uint8Array) || out.CiphertextBlob.length === 0) {
      out.Plaintext?.fill(0);
      throw new EnvelopeEncryptionError(`KMS GenerateDataKey returned no ${DATA_KEY_BYTES}-byte data key for dataset "${scope.dataset}", field "${scope.field}"`);
    }
    return {
      // A view, not a copy: zeroing it also zeroes the SDK's response buffer, leaving no stray plaintext copy.
      plaintext: Buffer.from(out.Plaintext.buffer, out.Plaintext.byteOffset, out.Plaintext.byteLength),
      encrypted: Buffer.from(out.CiphertextBlob).toString('base64'),
      createdAt: this.now(),
      uses: 0,
      destroyed: false,
    };
  }

  private retireEncryptionKey(id: string, pending: Promise<EncryptionDataKey>, key: EncryptionDataKey): void {
    if (this.encryptionKeys.get(id) === pending) this.encryptionKeys.delete(id);
    if (this.readyKeys.get(id) === key) this.readyKeys.delete(id);
    destroy(key);
  }

  private async decryptionKey(encryptedKey: string, scope: EncryptionScope): Promise<DecryptionDataKey> {
    const id = `${encryptedKey} ${scopeId(scope)}`;
    const cached = this.decryptionKeys.get(id);
    if (cached) {
      const key = await cached;
      if (!key.destroyed && this.now() - key.cachedAt < this.maxDecryptionKeyAgeMs) {
        // Refresh the LRU position.
        if (this.decryptionKeys.get(id) === cached) {
          this.decryptionKeys.delete(id);
          this.decryptionKeys.set(id, cached);
        }
        return key;
      }
      if (this.decryptionKeys.get(id) === cached) this.decryptionKeys.delete(id);
      destroy(key);
    }
    const pending = this.kmsDecrypt(encryptedKey, scope);
    this.decryptionKeys.set(id, pending);
    pending.catch(() => {
      if (this.decryptionKeys.get(id) === pending) this.decryptionKeys.delete(id);
    });
    while (this.decryptionKeys.size > this.maxCachedDecryptionKeys) {
      const [oldestId, oldest] = this.decryptionKeys.entries().next().value as [string, Promise<DecryptionDataKey>];
      this.decryptionKeys.delete(oldestId);
      oldest.then(destroy, () => undefined);
    }
    return pending;
  }

  private async kmsDecrypt(encryptedKey: string, scope: EncryptionScope): Promise<DecryptionDataKey> {
    let out;
    try {
      out = await this.kms.send(new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(encryptedKey, 'base64'),
        EncryptionContext: { dataset: scope.dataset, field: scope.field },
      }));
    } catch (e) {
      throw new EnvelopeEncryptionError(
        `KMS refused to decrypt the data key for dataset "${scope.dataset}", field "${scope.field}" (wrong dataset/field, key or a corrupted envelope): ${errorName(e)}`,
        { cause: e },
      );
    }
    if (!(out.Plaintext instanceof Uint8Array) || out.Plaintext.length !== DATA_KEY_BYTES) {
      out.Plaintext?.fill(0);
      throw new EnvelopeEncryptionError(`KMS Decrypt returned no ${DATA_KEY_BYTES}-byte data key for dataset "${scope.dataset}", field "${scope.field}"`);
    }
    return {
      plaintext: Buffer.from(out.Plaintext.buffer, out.Plaintext.byteOffset, out.Plaintext.byteLength),
      cachedAt: this.now(),
      destroyed: false,
    };
  }
}

/**
 * IVs come from a pool of CSPRNG bytes filled 512 IVs at a time: one randomFillSync per value was the largest
 * single cost of encrypting a field (bench/ingest.ts profile: 16% of the time). Each IV is still 12 fresh random
 * bytes, used once; IVs are not secret. A returned IV is a view valid until the next call, so callers use it at once.
 */
const IV_POOL = Buffer.alloc(IV_BYTES * 512);
let ivOffset = IV_POOL.length;

function nextIv(): Buffer {
  if (ivOffset >= IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivOffset = 0;
  }
  const iv = IV_POOL.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

function seal(key: EncryptionDataKey, plaintext: Buffer, additionalData: Buffer): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData);
  const update = cipher.update(plaintext);
  const final = cipher.final(); // empty for GCM, a stream mode; kept for any other outcome
  const ciphertext = final.length === 0 ? update : Buffer.concat([update, final]);
  const tag = cipher.getAuthTag();
  return `${ENVELOPE_PREFIX}${key.encrypted}:${iv.toString('base64')}:${ciphertext.toString('base64')}:${tag.toString('base64')}`;
}

/** The AAD: format version, dataset and field, JSON-encoded so no pair of names can run together. */
function aad(scope: EncryptionScope): Buffer {
  return Buffer.from(JSON.stringify([ENVELOPE_PREFIX, scope.dataset, scope.field]), 'utf8');
}

function scopeId(scope: EncryptionScope): string {
  return JSON.stringify([scope.dataset, scope.field]);
}

function checkScope(scope: EncryptionScope): void {
  if (typeof scope?.dataset !== 'string' || scope.dataset === '' || typeof scope.field !== 'string' || scope.field === '') {
    throw new EnvelopeEncryptionError('the scope needs a non-empty dataset and field name');
  }
}

function destroy(key: DataKey): void {
  key.destroyed = true;
  key.plaintext.fill(0);
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : 'unknown error';
}
