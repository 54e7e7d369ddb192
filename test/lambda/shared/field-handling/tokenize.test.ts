import { createHmac, randomBytes } from 'crypto';
import fc from 'fast-check';
import {
  parseTokenizationKeys,
  tokenize,
  TokenizationKey,
  TokenizationKeyError,
  FieldValueError,
  verifyToken,
} from '../../../../lambda/shared/field-handling';

const TOKEN = /^v\d+:[0-9a-f]{64}$/;

const keyArb = (version: number) =>
  fc.uint8Array({ minLength: 32, maxLength: 64 }).map((bytes): TokenizationKey => ({ version, secret: Buffer.from(bytes) }));

/** Scalars as a validated record may hold them, including astral and combining characters. */
const scalarArb = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.date({ noInvalidDate: true }),
);

const secretJson = (current: number, keys: Record<string, Buffer | string>) =>
  JSON.stringify({
    currentVersion: current,
    keys: Object.fromEntries(Object.entries(keys).map(([v, k]) => [v, typeof k === 'string' ? k : k.toString('base64')])),
  });

describe('tokenize', () => {
  test('produces v<version>:<64 hex> for any scalar', () => {
    fc.assert(
      fc.property(scalarArb, fc.integer({ min: 1, max: 1_000_000 }).chain((v) => keyArb(v)), (value, key) => {
        const token = tokenize(value, key);
        expect(token).toMatch(TOKEN);
        expect(token.startsWith(`v${key.version}:`)).toBe(true);
      }),
    );
  });

  test('is deterministic for a key version, also with a separately loaded copy of the key', () => {
    fc.assert(
      fc.property(scalarArb, keyArb(3), (value, key) => {
        const copy = { version: key.version, secret: Buffer.from(key.secret) };
        expect(tokenize(value, key)).toBe(tokenize(value, key));
        expect(tokenize(value, copy)).toBe(tokenize(value, key));
      }),
    );
  });

  test('differs across key versions for every value', () => {
    fc.assert(
      fc.property(scalarArb, keyArb(1), keyArb(2), (value, v1, v2) => {
        fc.pre(!v1.secret.equals(v2.secret));
        const t1 = tokenize(value, v1);
        const t2 = tokenize(value, v2);
        expect(t1).not.toBe(t2);
        expect(t1.slice(3)).not.toBe(t2.slice(3)); // the MAC differs, not only the prefix
      }),
    );
  });

  test('gives distinct values distinct tokens', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), keyArb(1), (a, b, key) => {
        fc.pre(a.normalize('NFC') !== b.normalize('NFC'));
        expect(tokenize(a, key)).not.toBe(tokenize(b, key));
      }),
    );
  });

  test('is HMAC-SHA-256 over the UTF-8 value (known answer, so other systems can compute the same tokens)', () => {
    const key = { version: 7, secret: Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex') };
    // printf %s alice@example.com | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f
    expect(tokenize('alice@example.com', key)).toBe('v7:a59fc578d4cb46faab1d6eb348e7c74b33b85122d6459fdb7bf5654b333acab4');
    expect(tokenize('alice@example.com', key)).toBe(`v7:${createHmac('sha256', key.secret).update('alice@example.com').digest('hex')}`);
  });

  test('canonicalizes: number and its string form, -0 and 0, a Date and its ISO string, NFC and NFD text', () => {
    const key = { version: 1, secret: randomBytes(32) };
    expect(tokenize(42, key)).toBe(tokenize('42', key));
    expect(tokenize(42.0, key)).toBe(tokenize('42', key));
    expect(tokenize(-0, key)).toBe(tokenize(0, key));
    expect(tokenize(12345678901234567890n, key)).toBe(tokenize('12345678901234567890', key));
    expect(tokenize(true, key)).toBe(tokenize('true', key));
    const when = new Date('2024-02-29T12:34:56.789Z');
    expect(tokenize(when, key)).toBe(tokenize('2024-02-29T12:34:56.789Z', key));
    expect(tokenize('Ame\u0301lie', key)).toBe(tokenize('Am\u00e9lie', key));
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(tokenize(n, key)).toBe(tokenize(String(Object.is(n, -0) ? 0 : n), key));
      }),
    );
  });

  test.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['null', null],
    ['undefined', undefined],
    ['an object', { a: 1 }],
    ['an array', ['x']],
    ['an invalid date', new Date('nope')],
    ['a lone surrogate', 'ab\ud800cd'],
  ])('refuses %s with a FieldValueError', (_name, value) => {
    expect(() => tokenize(value, { version: 1, secret: randomBytes(32) })).toThrow(FieldValueError);
  });

  test('refuses a key shorter than 32 bytes or with a bad version', () => {
    expect(() => tokenize('x', { version: 1, secret: randomBytes(31) })).toThrow(TokenizationKeyError);
    expect(() => tokenize('x', { version: 0, secret: randomBytes(32) })).toThrow(TokenizationKeyError);
    expect(() => tokenize('x', { version: 1.5, secret: randomBytes(32) })).toThrow(TokenizationKeyError);
  });
});

describe('parseTokenizationKeys', () => {
  test('returns the current key and every version', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(48);
    const keys = parseTokenizationKeys(secretJson(2, { '1': k1, '2': k2 }));
    expect(keys.current.version).toBe(2);
    expect(keys.current.secret.equals(k2)).toBe(true);
    expect([...keys.versions.keys()].sort()).toEqual([1, 2]);
    expect(keys.versions.get(1)?.secret.equals(k1)).toBe(true);
    expect(keys.versions.get(2)).toBe(keys.current);
  });

  test('accepts the shape CloudFormation generates: a top-level "key<n>" of 64 alphanumerics, and later versions in "keys"', () => {
    const generated = 'Ab3dEfGh1jKlMn0pQrStUvWxYz0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ12';
    expect(generated).toHaveLength(64);
    const initial = parseTokenizationKeys(JSON.stringify({ currentVersion: 1, key1: generated }));
    expect(initial.current.version).toBe(1);
    expect(initial.current.secret.equals(Buffer.from(generated, 'base64'))).toBe(true);
    const k2 = randomBytes(32);
    const rotated = parseTokenizationKeys({ currentVersion: 2, key1: generated, keys: { '2': k2.toString('base64') } });
    expect([...rotated.versions.keys()].sort()).toEqual([1, 2]);
    expect(rotated.current.secret.equals(k2)).toBe(true);
    expect(() => parseTokenizationKeys({ currentVersion: 1, key1: generated, keys: { '1': k2.toString('base64') } }))
      .toThrow(/version 1 is given both as "key1" and in "keys"/);
  });

  test('accepts the object already parsed from the secret', () => {
    const k1 = randomBytes(32);
    const keys = parseTokenizationKeys({ currentVersion: 1, keys: { '1': k1.toString('base64') } });
    expect(keys.current.secret.equals(k1)).toBe(true);
  });

  test('parses any well-formed secret, and its tokens verify under the version they name', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.string({ unit: 'binary' }),
        (versions, pick, value) => {
          const current = versions[pick % versions.length];
          const raw = Object.fromEntries(versions.map((v) => [String(v), randomBytes(32 + (v % 17))]));
          const keys = parseTokenizationKeys(secretJson(current, raw));
          expect(keys.current.version).toBe(current);
          expect(keys.versions.size).toBe(versions.length);
          for (const key of keys.versions.values()) {
            const token = tokenize(value, key);
            expect(verifyToken(value, token, keys)).toBe(true);
          }
        },
      ),
    );
  });

  test.each([
    ['not JSON', '{"currentVersion": 1, "keys": {"1": "c2VjcmV0c2VjcmV0"', /not valid JSON/],
    ['not an object', '[1, 2]', /not a JSON object/],
    ['no currentVersion', JSON.stringify({ keys: { '1': randomBytes(32).toString('base64') } }), /"currentVersion" must be a positive integer/],
    ['a currentVersion that is not a key', secretJson(3, { '1': randomBytes(32) }), /has no "3"/],
    ['a key shorter than 32 bytes', secretJson(1, { '1': randomBytes(31) }), /keys."1": decodes to 31 bytes; use at least 32/],
    ['a key that is not base64', secretJson(1, { '1': `${randomBytes(32).toString('base64url')}$` }), /keys."1": must be a standard base64 string/],
    ['a version that is not a positive integer', secretJson(1, { '1': randomBytes(32), '01': randomBytes(32) }), /keys."01": the version must be a positive integer/],
    ['version 0', secretJson(1, { '1': randomBytes(32), '0': randomBytes(32) }), /keys."0"/],
    ['two versions with the same key', (() => { const k = randomBytes(32); return secretJson(2, { '1': k, '2': k }); })(), /repeats the key of version 1/],
    ['no keys', JSON.stringify({ currentVersion: 1, keys: {} }), /"keys" must be an object with at least one version/],
    ['an unknown property', JSON.stringify({ currentVersion: 1, keys: { '1': randomBytes(32).toString('base64') }, extra: 1 }), /unknown property "extra"/],
  ])('refuses %s, naming the problem', (_name, json, message) => {
    expect(() => parseTokenizationKeys(json)).toThrow(TokenizationKeyError);
    expect(() => parseTokenizationKeys(json)).toThrow(message);
  });

  test('reports every problem at once and never echoes key material', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 31 }), fc.uint8Array({ minLength: 6, maxLength: 31 }), (a, b) => {
        const k1 = Buffer.from(a).toString('base64');
        const k2 = Buffer.from(b).toString('base64');
        let message = '';
        try {
          parseTokenizationKeys(JSON.stringify({ currentVersion: 1, keys: { '1': k1, '2': k2 } }));
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).toMatch(/keys."1": decodes to \d+ bytes.*keys."2": decodes to \d+ bytes/);
        expect(message).not.toContain(k1);
        expect(message).not.toContain(k2);
      }),
    );
    const broken = '{"currentVersion": 1, "keys": {"1": "c2VjcmV0LWtleS1tYXRlcmlhbA=="';
    expect(() => parseTokenizationKeys(broken)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('c2VjcmV0') }));
  });
});

describe('verifyToken', () => {
  const keys = parseTokenizationKeys(secretJson(2, { '1': randomBytes(32), '2': randomBytes(32) }));

  test('accepts tokens of the value under any known version, rejects other values, versions and shapes', () => {
    const old = tokenize('alice', keys.versions.get(1) as TokenizationKey);
    const current = tokenize('alice', keys.current);
    expect(verifyToken('alice', old, keys)).toBe(true);
    expect(verifyToken('alice', current, keys)).toBe(true);
    expect(verifyToken('bob', current, keys)).toBe(false);
    expect(verifyToken('alice', `v3:${current.slice(3)}`, keys)).toBe(false);
    expect(verifyToken('alice', current.toUpperCase(), keys)).toBe(false);
    expect(verifyToken('alice', 'alice', keys)).toBe(false);
  });
});
