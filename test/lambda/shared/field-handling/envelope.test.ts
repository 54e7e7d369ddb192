import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import fc from 'fast-check';
import {
  ENVELOPE_PREFIX,
  EncryptionScope,
  EnvelopeEncryptionError,
  EnvelopeEncryptor,
  EnvelopeEncryptorProps,
  FieldValueError,
} from '../../../../lambda/shared/field-handling';
import { createFakeKms, FAKE_KEY_ARN, FakeKms } from './fake-kms';

const B64 = '[A-Za-z0-9+/]*={0,2}';
const ENVELOPE = new RegExp(`^enc:v1:(${B64}):(${B64}):(${B64}):(${B64})$`);
const parts = (envelope: string) => {
  const m = ENVELOPE.exec(envelope);
  if (!m) throw new Error(`not an envelope: ${envelope}`);
  return { dataKey: m[1], iv: Buffer.from(m[2], 'base64'), ciphertext: m[3], tag: Buffer.from(m[4], 'base64') };
};
const NAME = /^[a-z][a-z0-9_]{0,20}$/;
const scopeArb = fc.record({ dataset: fc.stringMatching(NAME), field: fc.stringMatching(NAME) });
const textArb = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string());
const SCOPE: EncryptionScope = { dataset: 'patient_visits', field: 'patient_name' };

describe('EnvelopeEncryptor (faked KMS)', () => {
  let kms: FakeKms;
  const encryptor = (props: Partial<EnvelopeEncryptorProps> = {}) => new EnvelopeEncryptor({ kms: kms.client, keyId: FAKE_KEY_ARN, ...props });

  beforeEach(() => {
    kms = createFakeKms();
  });
  afterEach(() => kms.restore());

  test('round-trips arbitrary text, through the same encryptor and through a cold one (faked KMS)', async () => {
    const writer = encryptor();
    await fc.assert(
      fc.asyncProperty(textArb, scopeArb, async (text, scope) => {
        const envelope = await writer.encrypt(text, scope);
        expect(envelope).toMatch(ENVELOPE);
        expect(await writer.decrypt(envelope, scope)).toBe(text);
        expect(await encryptor().decrypt(envelope, scope)).toBe(text);
      }),
    );
  });

  test('asks KMS for an AES-256 data key under the configured key with context {dataset, field} (faked KMS)', async () => {
    const enc = encryptor();
    const envelope = await enc.encrypt('Ada Lovelace', SCOPE);
    await encryptor().decrypt(envelope, SCOPE);
    expect(kms.generateDataKeyCalls()).toEqual([
      { KeyId: FAKE_KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { dataset: 'patient_visits', field: 'patient_name' } },
    ]);
    expect(kms.decryptCalls()).toEqual([
      expect.objectContaining({ KeyId: FAKE_KEY_ARN, EncryptionContext: { dataset: 'patient_visits', field: 'patient_name' } }),
    ]);
    const p = parts(envelope);
    expect(p.iv).toHaveLength(12);
    expect(p.tag).toHaveLength(16);
    expect(envelope.startsWith(ENVELOPE_PREFIX)).toBe(true);
    expect(envelope).not.toContain('Ada');
  });

  test('uses a fresh IV for every value, so equal plaintexts give different envelopes (faked KMS)', async () => {
    const enc = encryptor();
    await fc.assert(
      fc.asyncProperty(textArb, fc.integer({ min: 2, max: 20 }), async (text, n) => {
        const envelopes = await Promise.all(Array.from({ length: n }, () => enc.encrypt(text, SCOPE)));
        const ivs = envelopes.map((e) => parts(e).iv.toString('hex'));
        expect(new Set(ivs).size).toBe(n);
        expect(new Set(envelopes).size).toBe(n);
      }),
    );
  });

  test('fails for any other dataset or field, whether the data key is cached or not (faked KMS)', async () => {
    const writer = encryptor();
    await fc.assert(
      fc.asyncProperty(textArb, scopeArb, scopeArb, async (text, scope, other) => {
        fc.pre(other.dataset !== scope.dataset || other.field !== scope.field);
        const envelope = await writer.encrypt(text, scope);
        // Same instance: it has a data key for `other`'s envelope neither cached nor obtainable.
        await expect(writer.decrypt(envelope, other)).rejects.toThrow(EnvelopeEncryptionError);
        await expect(encryptor().decrypt(envelope, other)).rejects.toThrow(/KMS refused to decrypt the data key/);
      }),
      { numRuns: 50 },
    );
  });

  test('fails when a value is moved to another field that holds a valid data key of its own (AAD binds the field)', async () => {
    const enc = encryptor();
    const original = parts(await enc.encrypt('4111111111111111', SCOPE));
    const otherScope = { dataset: SCOPE.dataset, field: 'diagnosis_code' };
    const other = parts(await enc.encrypt('x', otherScope));
    // Keep the other field's (valid) data key but splice in our IV, ciphertext and tag.
    const spliced = `enc:v1:${other.dataKey}:${original.iv.toString('base64')}:${original.ciphertext}:${original.tag.toString('base64')}`;
    await expect(enc.decrypt(spliced, otherScope)).rejects.toThrow(/does not authenticate/);
  });

  test('fails on any tampering with the ciphertext or tag', async () => {
    const enc = encryptor();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.nat(), fc.boolean(), async (text, at, inTag) => {
        const envelope = await enc.encrypt(text, SCOPE);
        const p = parts(envelope);
        const target = inTag ? p.tag : Buffer.from(p.ciphertext, 'base64');
        target[at % target.length] ^= 1;
        const tampered = inTag
          ? `enc:v1:${p.dataKey}:${p.iv.toString('base64')}:${p.ciphertext}:${target.toString('base64')}`
          : `enc:v1:${p.dataKey}:${p.iv.toString('base64')}:${target.toString('base64')}:${p.tag.toString('base64')}`;
        await expect(enc.decrypt(tampered, SCOPE)).rejects.toThrow(EnvelopeEncryptionError);
      }),
      { numRuns: 50 },
    );
  });

  test.each([
    ['not an envelope', 'Ada Lovelace'],
    ['another version', 'enc:v2:AAAA:AAAAAAAAAAAAAAAA::AAAAAAAAAAAAAAAAAAAAAA=='],
    ['a short IV', 'enc:v1:AAAA:AAAA::AAAAAAAAAAAAAAAAAAAAAA=='],
    ['a truncated tag', 'enc:v1:AAAA:AAAAAAAAAAAAAAAA::AAAAAAAA'],
    ['no data key', 'enc:v1::AAAAAAAAAAAAAAAA::AAAAAAAAAAAAAAAAAAAAAA=='],
  ])('refuses %s without calling KMS', async (_name, envelope) => {
    await expect(encryptor().decrypt(envelope, SCOPE)).rejects.toThrow(EnvelopeEncryptionError);
    expect(kms.decryptCalls()).toHaveLength(0);
  });

  test('uses one data key for at most maxRecordsPerDataKey values, then generates a new one (faked KMS)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 60 }), async (max, n) => {
        kms.mock.resetHistory();
        const enc = encryptor({ maxRecordsPerDataKey: max });
        const envelopes: string[] = [];
        for (let i = 0; i < n; i++) envelopes.push(await enc.encrypt(`value ${i}`, SCOPE));
        expect(kms.generateDataKeyCalls()).toHaveLength(Math.ceil(n / max));
        const uses = new Map<string, number>();
        for (const e of envelopes) uses.set(parts(e).dataKey, (uses.get(parts(e).dataKey) ?? 0) + 1);
        expect([...uses.values()].every((u) => u <= max)).toBe(true);
        expect(uses.size).toBe(Math.ceil(n / max));
      }),
      { numRuns: 40 },
    );
  });

  test('keeps the bound under concurrent encryption and every value still decrypts (faked KMS)', async () => {
    const enc = encryptor({ maxRecordsPerDataKey: 3 });
    const texts = Array.from({ length: 20 }, (_, i) => `concurrent ${i}`);
    const envelopes = await Promise.all(texts.map((t) => enc.encrypt(t, SCOPE)));
    expect(kms.generateDataKeyCalls()).toHaveLength(7);
    const uses = new Map<string, number>();
    for (const e of envelopes) uses.set(parts(e).dataKey, (uses.get(parts(e).dataKey) ?? 0) + 1);
    expect(Math.max(...uses.values())).toBeLessThanOrEqual(3);
    const reader = encryptor();
    expect(await Promise.all(envelopes.map((e) => reader.decrypt(e, SCOPE)))).toEqual(texts);
  });

  test('uses separate data keys per (dataset, field) (faked KMS)', async () => {
    const enc = encryptor();
    const a = parts(await enc.encrypt('same', { dataset: 'd', field: 'a' }));
    const b = parts(await enc.encrypt('same', { dataset: 'd', field: 'b' }));
    const c = parts(await enc.encrypt('same', { dataset: 'e', field: 'a' }));
    const a2 = parts(await enc.encrypt('again', { dataset: 'd', field: 'a' }));
    expect(new Set([a.dataKey, b.dataKey, c.dataKey]).size).toBe(3);
    expect(a2.dataKey).toBe(a.dataKey);
    expect(kms.generateDataKeyCalls().map((i) => i.EncryptionContext)).toEqual([
      { dataset: 'd', field: 'a' },
      { dataset: 'd', field: 'b' },
      { dataset: 'e', field: 'a' },
    ]);
  });

  test('replaces a data key older than maxDataKeyAgeMs (faked KMS)', async () => {
    let now = 1_000_000;
    const enc = encryptor({ maxDataKeyAgeMs: 60_000, now: () => now });
    await enc.encrypt('a', SCOPE);
    now += 59_999;
    await enc.encrypt('b', SCOPE);
    expect(kms.generateDataKeyCalls()).toHaveLength(1);
    now += 1;
    await enc.encrypt('c', SCOPE);
    expect(kms.generateDataKeyCalls()).toHaveLength(2);
  });

  test('zeroes a plaintext data key once it has been used up, and all of them on dispose (faked KMS)', async () => {
    const enc = encryptor({ maxRecordsPerDataKey: 2 });
    await enc.encrypt('a', SCOPE);
    const [first] = kms.issuedPlaintexts;
    expect(first.some((b) => b !== 0)).toBe(true); // still in use
    await enc.encrypt('b', SCOPE);
    expect(first.every((b) => b === 0)).toBe(true); // used up: dropped and zeroed
    await enc.encrypt('c', SCOPE);
    const second = kms.issuedPlaintexts[1];
    expect(second.some((b) => b !== 0)).toBe(true);
    enc.dispose();
    await new Promise((resolve) => setImmediate(resolve));
    expect(second.every((b) => b === 0)).toBe(true);
    // Still usable after dispose, with a new data key.
    expect(await enc.decrypt(await enc.encrypt('d', SCOPE), SCOPE)).toBe('d');
  });

  test('an encrypt right after dispose() never uses a disposed key: it is zeroed at once and a new one is fetched (faked KMS)', async () => {
    const enc = encryptor();
    const before = await enc.encrypt('a', SCOPE);
    const [first] = kms.issuedPlaintexts;
    enc.dispose();
    // Synchronously after dispose: the key that was ready for the fast path is already zeroed.
    expect(first.every((b) => b === 0)).toBe(true);
    const envelope = await enc.encrypt('b', SCOPE);
    expect(kms.generateDataKeyCalls()).toHaveLength(2);
    expect(parts(envelope).dataKey).not.toBe(parts(before).dataKey);
    expect(await enc.decrypt(envelope, SCOPE)).toBe('b');
  });

  test('IVs stay unique across many values and data keys (the IV pool refills every 512 values) (faked KMS)', async () => {
    const enc = encryptor({ maxRecordsPerDataKey: 700 });
    const ivs = new Set<string>();
    for (let i = 0; i < 2000; i++) ivs.add(parts(await enc.encrypt('same text', SCOPE)).iv.toString('hex'));
    expect(ivs.size).toBe(2000);
    expect(kms.generateDataKeyCalls()).toHaveLength(3);
  });

  test('caches decrypted data keys: one KMS Decrypt for many values under one data key (faked KMS)', async () => {
    const writer = encryptor();
    const envelopes = await Promise.all(Array.from({ length: 50 }, (_, i) => writer.encrypt(`v${i}`, SCOPE)));
    const reader = encryptor();
    await Promise.all(envelopes.map((e) => reader.decrypt(e, SCOPE)));
    expect(kms.decryptCalls()).toHaveLength(1);
  });

  test('evicts the least recently used decrypted data key beyond maxCachedDecryptionKeys (faked KMS)', async () => {
    const writer = encryptor({ maxRecordsPerDataKey: 1 });
    const [e1, e2, e3] = await Promise.all(['1', '2', '3'].map((t) => writer.encrypt(t, SCOPE)));
    const reader = encryptor({ maxCachedDecryptionKeys: 2 });
    await reader.decrypt(e1, SCOPE);
    await reader.decrypt(e2, SCOPE);
    await reader.decrypt(e1, SCOPE); // e1 is now the most recent
    expect(kms.decryptCalls()).toHaveLength(2);
    await reader.decrypt(e3, SCOPE); // evicts e2
    await reader.decrypt(e1, SCOPE);
    expect(kms.decryptCalls()).toHaveLength(3);
    await reader.decrypt(e2, SCOPE);
    expect(kms.decryptCalls()).toHaveLength(4);
  });

  test('refuses text that UTF-8 cannot carry unchanged (lone surrogates)', async () => {
    await expect(encryptor().encrypt('ab\udc00', SCOPE)).rejects.toThrow(FieldValueError);
    expect(kms.generateDataKeyCalls()).toHaveLength(0);
  });

  test('refuses an empty dataset or field', async () => {
    await expect(encryptor().encrypt('x', { dataset: '', field: 'f' })).rejects.toThrow(/non-empty dataset and field/);
    await expect(encryptor().encrypt('x', { dataset: 'd', field: '' })).rejects.toThrow(/non-empty dataset and field/);
  });

  test.each<[string, Partial<EnvelopeEncryptorProps>, RegExp]>([
    ['maxRecordsPerDataKey 0', { maxRecordsPerDataKey: 0 }, /maxRecordsPerDataKey is 0/],
    ['maxRecordsPerDataKey 1.5', { maxRecordsPerDataKey: 1.5 }, /maxRecordsPerDataKey is 1.5/],
    ['maxRecordsPerDataKey above 2^32', { maxRecordsPerDataKey: 2 ** 32 + 1 }, /maxRecordsPerDataKey/],
    ['maxDataKeyAgeMs 0', { maxDataKeyAgeMs: 0 }, /maxDataKeyAgeMs is 0/],
    ['an empty keyId', { keyId: ' ' }, /keyId must name the KMS key/],
    ['maxCachedDecryptionKeys 0', { maxCachedDecryptionKeys: 0 }, /maxCachedDecryptionKeys is 0/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => encryptor(props)).toThrow(message);
  });

  test('reports KMS failures as EnvelopeEncryptionError naming the field, and retries on the next call (faked KMS)', async () => {
    const enc = new EnvelopeEncryptor({ kms: kms.client, keyId: 'arn:aws:kms:eu-west-1:111122223333:key/other' });
    await expect(enc.encrypt('x', SCOPE)).rejects.toThrow(/GenerateDataKey failed for dataset "patient_visits", field "patient_name": IncorrectKeyException/);
    await expect(enc.encrypt('x', SCOPE)).rejects.toThrow(EnvelopeEncryptionError);
    expect(kms.generateDataKeyCalls()).toHaveLength(2);
  });

  test('refuses a data key that is not 32 bytes (faked KMS)', async () => {
    const short = new Uint8Array(16).fill(7);
    kms.mock.on(GenerateDataKeyCommand).resolves({ Plaintext: short, CiphertextBlob: new Uint8Array([1, 2, 3]) });
    await expect(encryptor().encrypt('x', SCOPE)).rejects.toThrow(/no 32-byte data key/);
    expect(short.every((b) => b === 0)).toBe(true);
  });
});
