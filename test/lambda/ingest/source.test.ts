/**
 * Reading pages from a real local HTTPS source API (self-signed certificate), with the bearer token from a faked
 * Secrets Manager through the Powertools secrets cache, and fresh tokens from a real local OAuth token endpoint.
 */
import type { DatasetConfig } from '../../../lib/config/datasets';
import { createBearerTokenProvider } from '../../../lambda/ingest/credential';
import { SourceError } from '../../../lambda/ingest/errors';
import { createHttpPageSource, PageSource, pageUrl, parsePage } from '../../../lambda/ingest/source';
import { createHttpsClient, HttpsClient } from '../../../lambda/shared/https-client';
import { tokenHttpOver } from '../../../lambda/shared/oauth-client-credentials';
import { LocalOAuthProvider, selfSignedCertificate } from '../rotate-api-credential/local-oauth-provider';
import type { RetryPolicy } from '../../../lambda/shared/retry';
import { API_SECRET_ARN, apiCredential, createFakeSecrets, datasetFrom, exampleDatasetJson, FakeSecrets } from './support/fakes';
import { json, LocalSourceApi, pagedResponder } from './support/source-api';

const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 4, maxDelayMs: 20, maxTotalWaitMs: 5_000 };

let api: LocalSourceApi;
let provider: LocalOAuthProvider;
let http: HttpsClient;
let secrets: FakeSecrets;
let waits: number[];
let dataset: DatasetConfig;
const logged: Array<[string, Record<string, unknown>]> = [];
const logger = {
  info: (m: string, a: Record<string, unknown>) => void logged.push([m, a]),
  warn: (m: string, a: Record<string, unknown>) => void logged.push([m, a]),
  error: (m: string, a: Record<string, unknown>) => void logged.push([m, a]),
};

function source(overrides: { dataset?: DatasetConfig; policy?: RetryPolicy; http?: HttpsClient } = {}): PageSource {
  return createHttpPageSource({
    dataset: overrides.dataset ?? dataset,
    http: overrides.http ?? http,
    credentials: createBearerTokenProvider({
      secrets: secrets.cache,
      secretId: API_SECRET_ARN,
      endpoint: { http: tokenHttpOver(overrides.http ?? http), tokenUrl: provider.url('/oauth2/token') },
    }),
    logger,
    retryPolicy: overrides.policy ?? policy,
    // Sleeps are recorded and shortened, so Retry-After values of seconds cost nothing.
    retryDeps: { sleep: async (ms) => { waits.push(ms); }, random: () => 0.5 },
  });
}

const failure = (promise: Promise<unknown>): Promise<SourceError> =>
  promise.then(() => { throw new Error('expected a failure'); }, (e: SourceError) => e);

beforeAll(async () => {
  // One certificate for both local servers (the client trusts it as its only CA).
  const certificate = await selfSignedCertificate();
  api = await LocalSourceApi.start(certificate);
  provider = await LocalOAuthProvider.start({ ...certificate, clientId: 'ingest-client', clientSecret: 'ingest-client-secret' });
  http = createHttpsClient({ ca: api.ca, timeoutMs: 2_000 });
  dataset = datasetFrom({ ...exampleDatasetJson('weather_observations', api.url('/v1/observations?region=eu')), source: {
    url: api.url('/v1/observations?region=eu'), recordsPath: 'items', maxResponseBytes: 2048,
  } });
});

beforeEach(() => {
  provider.reset();
  secrets = createFakeSecrets({ [API_SECRET_ARN]: apiCredential('token-1') });
  waits = [];
  logged.length = 0;
});

afterEach(() => secrets.restore());

afterAll(async () => {
  http.close();
  await api.close();
  await provider.close();
});

describe('page protocol', () => {
  test('the next page is the source URL with cursor=<value>, other query parameters kept, or a link\'s path on its origin', () => {
    expect(pageUrl('https://api.example.com/v1/x?region=eu', undefined).toString()).toBe('https://api.example.com/v1/x?region=eu');
    expect(pageUrl('https://api.example.com/v1/x?region=eu', { cursor: 'a b&c' }).toString()).toBe('https://api.example.com/v1/x?region=eu&cursor=a+b%26c');
    expect(pageUrl('https://api.example.com/v1/x?region=eu', { link: '/v2/y?page=3' }).toString()).toBe('https://api.example.com/v2/y?page=3');
    // A stored link can only ever be a path: anything that could name another host is refused.
    for (const link of ['//evil.example.com/x', 'https://evil.example.com/x', 'x']) {
      expect(() => pageUrl('https://api.example.com/v1/x', { link })).toThrow(/not a path on the source's origin/);
    }
  });

  test('refuses an http:// source URL', () => {
    expect(() => pageUrl('http://api.example.com/v1/x', undefined)).toThrow(/only https:\/\/ is allowed/);
  });

  test.each([
    ['records at recordsPath with nextCursor', { items: [{ a: 1 }], nextCursor: 'c2' }, { records: [{ a: 1 }], next: { cursor: 'c2' } }],
    ['records with next_cursor', { items: [], next_cursor: 'c3' }, { records: [], next: { cursor: 'c3' } }],
    ['a null cursor ends the source', { items: [{ a: 1 }], nextCursor: null }, { records: [{ a: 1 }] }],
    ['an empty cursor ends the source', { items: [], nextCursor: '' }, { records: [] }],
    ['a relative next link', { items: [], next: '?page=2' }, { records: [], next: { link: '/v1/x?page=2' } }],
    ['an absolute next link on the same origin', { items: [], next: 'https://api.example.com/v1/x?after=9' }, { records: [], next: { link: '/v1/x?after=9' } }],
    ['a cursor before a link', { items: [], nextCursor: 'c4', next: '/other' }, { records: [], next: { cursor: 'c4' } }],
  ])('parses %s', (_what, body, expected) => {
    expect(parsePage(Buffer.from(JSON.stringify(body)), dataset, new URL('https://api.example.com/v1/x?region=eu'))).toEqual(expected);
  });

  test.each([
    ['another host', 'https://evil.example.com/v1/x?page=2'],
    ['another port', 'https://api.example.com:8443/v1/x?page=2'],
    ['another scheme', 'http://api.example.com/v1/x?page=2'],
    ['a scheme-relative host', '//evil.example.com/v1/x'],
    ['embedded credentials', 'https://user:pw@api.example.com/v1/x'],
  ])('refuses a next link to %s: the token must not follow it', (_what, next) => {
    const error = (() => {
      try {
        parsePage(Buffer.from(JSON.stringify({ items: [], next })), dataset, new URL('https://api.example.com/v1/x'));
      } catch (e) {
        return e as SourceError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error).toBeInstanceOf(SourceError);
    expect(error.code).toBe('ECROSSORIGIN');
    expect(error.message).toMatch(/links its next page to another origin .*the bearer token goes to https:\/\/api\.example\.com only/);
    expect(error.message).not.toContain('pw@');
  });

  test('an array body is the records themselves (no recordsPath, no cursor)', () => {
    const arrayDataset = datasetFrom({ ...exampleDatasetJson('weather_observations', 'https://api.example.com/x'), source: { url: 'https://api.example.com/x' } });
    expect(parsePage(Buffer.from('[{"a":1}]'), arrayDataset, new URL('https://api.example.com/x'))).toEqual({ records: [{ a: 1 }] });
  });

  test.each([
    ['no array at recordsPath', { data: [] }, /has no array at "items"/],
    ['a non-string cursor', { items: [], nextCursor: 7 }, /nextCursor that is not a string/],
    ['an overlong cursor', { items: [], nextCursor: 'c'.repeat(2049) }, /longer than 2048/],
    ['an array although recordsPath is set', [], /is a JSON array, but source.recordsPath is "items"/],
  ])('refuses a body with %s', (_what, body, message) => {
    expect(() => parsePage(Buffer.from(JSON.stringify(body)), dataset, new URL('https://api.example.com/x'))).toThrow(message);
  });
});

describe('fetching pages (real local HTTPS server, faked Secrets Manager)', () => {
  test('follows the cursor with the bearer token from the secret', async () => {
    api.respond(pagedResponder({
      '': { items: [{ n: 1 }, { n: 2 }], nextCursor: 'page-2' },
      'page-2': { items: [{ n: 3 }], next_cursor: 'page-3' },
      'page-3': { items: [] },
    }, 'token-1'));
    const src = source();
    const pages = [await src.fetchPage(undefined), await src.fetchPage({ cursor: 'page-2' }), await src.fetchPage({ cursor: 'page-3' })];
    expect(pages).toEqual([
      { records: [{ n: 1 }, { n: 2 }], next: { cursor: 'page-2' } },
      { records: [{ n: 3 }], next: { cursor: 'page-3' } },
      { records: [] },
    ]);
    expect(api.requests.map((r) => [r.path, r.query.get('region'), r.cursor, r.authorization])).toEqual([
      ['/v1/observations', 'eu', null, 'Bearer token-1'],
      ['/v1/observations', 'eu', 'page-2', 'Bearer token-1'],
      ['/v1/observations', 'eu', 'page-3', 'Bearer token-1'],
    ]);
    expect(secrets.reads(API_SECRET_ARN)).toBe(1); // cached between pages
  });

  test('on HTTP 401 gets a fresh token from the token endpoint with the secret\'s client credentials, and retries once', async () => {
    const src = source();
    // The secret still holds token-1, which the source no longer accepts; it accepts what the endpoint issues.
    api.respond((req, res, n) => (provider.issued.length > 0 && req.authorization === `Bearer ${provider.issued[0]}`
      ? json(res, 200, { items: [{ n }] })
      : json(res, 401, { message: 'expired' })));

    const page = await src.fetchPage(undefined);

    expect(page.records).toEqual([{ n: 2 }]);
    expect(provider.tokenRequests).toHaveLength(1);
    expect(api.requests.map((r) => r.authorization)).toEqual(['Bearer token-1', `Bearer ${provider.issued[0]}`]);
    expect(waits).toEqual([]); // a 401 is not backed off
    // The fresh token serves the next pages of the run without another request to the endpoint.
    await src.fetchPage(undefined);
    expect(provider.tokenRequests).toHaveLength(1);
  });

  test('fails with HTTP_401 when the fresh token is refused too, after exactly one token request', async () => {
    api.respond((_req, res) => json(res, 401, { message: 'no' }));
    const error = await failure(source().fetchPage(undefined));
    expect(error).toBeInstanceOf(SourceError);
    expect(error.code).toBe('HTTP_401');
    expect(error.message).toMatch(/refused the bearer token \(HTTP 401\) again with a token fresh from the token endpoint/);
    expect(api.requests).toHaveLength(2);
    expect(provider.tokenRequests).toHaveLength(1);
    expect(error.message).not.toContain('token-1');
  });

  test('fails clearly when the secret holds no token yet', async () => {
    secrets.set(API_SECRET_ARN, { clientId: 'c', clientSecret: 's3cr3t-value', tokenUrl: 'https://auth.example.com/t' });
    api.respond((_req, res) => json(res, 200, { items: [] }));
    const error = await failure(source().fetchPage(undefined));
    expect(error.message).toMatch(/has no accessToken yet; rotate the secret once/);
    expect(error.message).not.toContain('s3cr3t-value');
    expect(api.requests).toHaveLength(0);
  });

  test('honours Retry-After (seconds) on HTTP 429', async () => {
    api.respond((req, res, n) => (n === 1 ? json(res, 429, { message: 'slow down' }, { 'retry-after': '2' }) : pagedResponder({ '': { items: [{ n: 1 }] } }, 'token-1')(req, res, n)));
    const page = await source().fetchPage(undefined);
    expect(page.records).toEqual([{ n: 1 }]);
    expect(waits).toEqual([2_000]);
    expect(api.requests).toHaveLength(2);
  });

  test('honours Retry-After (HTTP date) on HTTP 503', async () => {
    const at = new Date(Date.now() + 3_000).toUTCString();
    api.respond((req, res, n) => (n === 1 ? json(res, 503, {}, { 'retry-after': at }) : pagedResponder({ '': { items: [] } }, 'token-1')(req, res, n)));
    await source().fetchPage(undefined);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(1_000);
    expect(waits[0]).toBeLessThanOrEqual(3_000);
  });

  test('gives up at once when Retry-After exceeds the wait budget', async () => {
    api.respond((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const error = await failure(source().fetchPage(undefined));
    expect(error.code).toBe('HTTP_429');
    expect(error.message).toMatch(/server asked to wait 3600 s, which would exceed the 5000 ms retry budget/);
    expect(waits).toEqual([]);
    expect(api.requests).toHaveLength(1);
  });

  test('retries HTTP 500 with jittered exponential backoff, then succeeds', async () => {
    api.respond((req, res, n) => (n <= 2 ? json(res, 500, { message: 'oops' }) : pagedResponder({ '': { items: [{ n: 1 }] } }, 'token-1')(req, res, n)));
    const page = await source().fetchPage(undefined);
    expect(page.records).toEqual([{ n: 1 }]);
    expect(waits).toEqual([2, 4]); // random 0.5 × ceilings 4 and 8 ms
  });

  test('fails after the attempts allowed when the server keeps answering 5xx', async () => {
    api.respond((_req, res) => json(res, 502, {}));
    const error = await failure(source().fetchPage(undefined));
    expect(error.code).toBe('HTTP_502');
    expect(error.message).toMatch(/gave up after 3 attempts/);
    expect(api.requests).toHaveLength(3);
  });

  test('retries a timeout, then fails with ETIMEDOUT', async () => {
    api.respond(() => undefined); // never answers
    const quick = createHttpsClient({ ca: api.ca, timeoutMs: 60 });
    const error = await failure(source({ policy: { ...policy, maxAttempts: 2 }, http: quick }).fetchPage(undefined));
    quick.close();
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/timed out after 60 ms/);
    expect(api.requests).toHaveLength(2);
  });

  test('refuses a response over source.maxResponseBytes and does not retry it', async () => {
    api.respond((_req, res) => json(res, 200, { items: Array.from({ length: 400 }, (_, n) => ({ n })) }));
    const error = await failure(source().fetchPage(undefined));
    expect(error.code).toBe('ERESPONSETOOLARGE');
    expect(error.message).toMatch(/larger than the 2048-byte limit/);
    expect(api.requests).toHaveLength(1);
  });

  test('reports malformed JSON without quoting the body', async () => {
    api.respond((_req, res) => json(res, 200, '{"items": [{"patient_name": "Ada Lovelace"'));
    const error = await failure(source().fetchPage(undefined));
    expect(error.code).toBe('EMALFORMEDJSON');
    expect(error.message).toMatch(/is not valid JSON \(\d+ bytes\)/);
    expect(error.message).not.toContain('Lovelace');
    expect(api.requests).toHaveLength(1);
  });

  test('fails on other statuses without retrying and without following redirects', async () => {
    api.respond((_req, res) => json(res, 404, {}));
    expect((await failure(source().fetchPage(undefined))).code).toBe('HTTP_404');
    api.respond((_req, res) => json(res, 301, {}, { location: 'https://elsewhere.example.com/' }));
    const redirect = await failure(source().fetchPage(undefined));
    expect(redirect.message).toMatch(/redirects are not followed/);
    expect(api.requests).toHaveLength(1);
  });

  test('never logs the token or the cursor', async () => {
    api.respond((req, res, n) => (n === 1 ? json(res, 503, {}) : pagedResponder({ 'secret-cursor': { items: [] } }, 'token-1')(req, res, n)));
    await source().fetchPage({ cursor: 'secret-cursor' });
    const text = JSON.stringify(logged);
    expect(logged.length).toBeGreaterThan(0);
    expect(text).not.toContain('token-1');
    expect(text).not.toContain('secret-cursor');
  });
});
