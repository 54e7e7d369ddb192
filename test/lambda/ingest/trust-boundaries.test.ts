/**
 * The ingest handler's trust boundaries, end to end: real local HTTPS servers (the source API, a second server on
 * another origin, and the OAuth token endpoint), faked Kafka, S3, DynamoDB, Secrets Manager and KMS at the SDK
 * boundary, real Powertools Logger and Metrics.
 *
 * - The function runs the dataset config it was deployed with: an event that carries another config is refused and
 *   logged as a security event, never used.
 * - The bearer token goes to the configured origin only: not across next links or redirects to another origin.
 * - A token that expired between rotations is replaced by a fresh one from the token endpoint (once per run),
 *   with the secret's client credentials and the owned config's token URL; the secret is not written.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createHandler, HandlerDeps, IngestEvent } from '../../../lambda/ingest/index';
import { requestClientCredentialsToken, tokenHttpOver } from '../../../lambda/shared/oauth-client-credentials';
import { createHttpsClient } from '../../../lambda/shared/https-client';
import { ownedConfigEnvironment } from '../../../lib/constructs/pipeline/ingest-stage';
import { LocalOAuthProvider, selfSignedCertificate } from '../rotate-api-credential/local-oauth-provider';
import { createFakeKms, FakeKms } from '../shared/field-handling/fake-kms';
import {
  API_SECRET_ARN,
  apiCredential,
  captureOutput,
  createFakeS3,
  createFakeSecrets,
  createFakeWatermarkTable,
  datasetFrom,
  exampleDatasetJson,
  FakeProducer,
  FakeS3,
  FakeSecrets,
  FakeWatermarkTable,
  INGEST_ENV,
  lambdaContext,
  TOKENIZATION_SECRET_ARN,
  tokenizationSecret,
} from './support/fakes';
import { json, LocalSourceApi, pagedResponder, Responder } from './support/source-api';

const ENV = INGEST_ENV;

const visit = (n: number): Record<string, unknown> => ({
  visit_id: `v-${n}`, visit_date: '2024-05-01', patient_id: `p-${n}`, patient_name: `Name ${n}`, diagnosis_code: 'J45',
});

const context = lambdaContext;

let api: LocalSourceApi;
let other: LocalSourceApi;
let provider: LocalOAuthProvider;
let ca: string;
let secrets: FakeSecrets;
let s3: FakeS3;
let table: FakeWatermarkTable;
let kms: FakeKms;
let producers: FakeProducer[];
let output: ReturnType<typeof captureOutput>;

/** patient_visits as deployed: its source on `api`, its token endpoint on `provider`. */
function deployed(): Record<string, unknown> {
  const raw = exampleDatasetJson('patient_visits', api.url('/api/visits')) as Record<string, unknown> & { source: Record<string, unknown> };
  raw.source.auth = { tokenUrl: provider.url('/oauth2/token'), scope: 'visits.read' };
  return raw;
}

function handler(overrides: Partial<HandlerDeps> = {}) {
  return createHandler({
    secrets: secrets.cache,
    s3: s3.client,
    ddb: table.client,
    kms: kms.client,
    producer: () => {
      const p = new FakeProducer();
      producers.push(p);
      return p;
    },
    logger: new Logger({ serviceName: 'ingest-test', logLevel: 'INFO' }),
    metrics: new Metrics({ serviceName: 'ingest-test', namespace: 'PipelineTest' }),
    http: { ca, timeoutMs: 2_000 },
    retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxTotalWaitMs: 10 },
    env: { ...ENV, ...ownedConfigEnvironment(datasetFrom(deployed())) },
    ...overrides,
  });
}

/** A source that serves `pages` to the tokens the token endpoint issued and has not expired. */
function acceptingIssuedTokens(pages: Readonly<Record<string, unknown>>): Responder {
  return (request, res) => {
    if (!provider.accepts(request.authorization)) return json(res, 401, { message: 'invalid or expired token' });
    const page = pages[request.cursor ?? ''];
    return page === undefined ? json(res, 404, {}) : json(res, 200, page);
  };
}

/** The security events the handler logged. */
function securityEvents(): Array<Record<string, unknown>> {
  return output.text().split('\n').filter((l) => l.includes('"securityEvent"')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  const certificate = await selfSignedCertificate();
  ca = certificate.cert;
  api = await LocalSourceApi.start(certificate);
  other = await LocalSourceApi.start(certificate);
  provider = await LocalOAuthProvider.start({ ...certificate, clientId: 'ingest-client', clientSecret: 'ingest-client-secret' });
});

afterAll(async () => {
  await Promise.all([api.close(), other.close(), provider.close()]);
});

beforeEach(() => {
  provider.reset();
  secrets = createFakeSecrets({ [API_SECRET_ARN]: apiCredential('token-1'), [TOKENIZATION_SECRET_ARN]: tokenizationSecret() });
  s3 = createFakeS3();
  table = createFakeWatermarkTable();
  kms = createFakeKms();
  producers = [];
  output = captureOutput();
  api.respond(pagedResponder({ '': { visits: [visit(1)] } }, 'token-1'));
  other.respond((_req, res) => json(res, 200, { visits: [visit(666)] }));
});

afterEach(() => {
  output.stop();
  [secrets, s3, table, kms].forEach((f) => f.restore());
});

describe('the function runs only the dataset config it was deployed with', () => {
  test('the schedule\'s marker event runs the owned config', async () => {
    const result = await handler()({ dataset: 'patient_visits' }, context('r-1'));
    expect(result).toMatchObject({ dataset: 'patient_visits', produced: 1 });
    expect(api.requests).toHaveLength(1);
  });

  test('an event pointing source.url at another host is refused with a security event: nothing is fetched, no token leaves', async () => {
    const attack = { ...deployed(), source: { ...(deployed().source as object), url: other.url('/steal') } };
    const error = (await handler()({ dataset: attack }, context('r-2')).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ name: 'EventRefusedError', differences: ['source.url'] });
    expect(error.message).toMatch(/carries a dataset config that differs from the deployed one/);
    expect(other.requests).toHaveLength(0);
    expect(api.requests).toHaveLength(0);
    expect(producers).toEqual([]);
    const [event] = securityEvents();
    expect(event).toMatchObject({ level: 'ERROR', securityEvent: 'IngestEventRefused', dataset: 'patient_visits', differences: ['source.url'] });
    expect(event!.datasetConfigSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(output.text()).not.toContain(other.url('/steal'));
    // Counted, so an alarm can watch for it.
    const emf = output.text().split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf.some((m) => m.SecurityEvents === 1 && m.dataset === 'patient_visits')).toBe(true);
  });

  test('an event weakening a Restricted field is refused: invalid (keep) or valid but different (drop)', async () => {
    for (const [handling, reason] of [['keep', /not valid/], ['drop', /differs from the deployed one/]] as const) {
      const weakened = deployed() as { fields: Array<Record<string, unknown>> };
      weakened.fields.find((f) => f.name === 'patient_name')!.handling = handling;
      await expect(handler()({ dataset: weakened }, context('r-3'))).rejects.toThrow(reason);
    }
    expect(api.requests).toHaveLength(0);
    expect(securityEvents().map((e) => e.differences)).toEqual([['dataset'], ['fields.patient_name.handling']]);
  });

  test('an event naming another dataset or carrying other fields is refused; one carrying the same config runs', async () => {
    await expect(handler()({ dataset: 'customer_orders' }, context('r-4'))).rejects.toThrow(/names dataset "customer_orders", not "patient_visits"/);
    await expect(handler()({ dataset: 'patient_visits', url: other.url('/') } as IngestEvent, context('r-5'))).rejects.toThrow(/field\(s\) other than "dataset"/);
    await expect(handler()([1, 2] as IngestEvent, context('r-6'))).rejects.toThrow(/not a JSON object/);
    expect(api.requests).toHaveLength(0);
    await expect(handler()({ dataset: deployed() }, context('r-7'))).resolves.toMatchObject({ produced: 1 });
  });

  test('a deployed config changed outside the deployment (its hash no longer matches) is not run', async () => {
    const env: Record<string, string> = { ...ENV, ...ownedConfigEnvironment(datasetFrom(deployed())) };
    env.DATASET_CONFIG = env.DATASET_CONFIG!.replace(api.url('/api/visits'), other.url('/api/visits'));
    await expect(handler({ env })({ dataset: 'patient_visits' }, context('r-8'))).rejects.toThrow(/DATASET_CONFIG: does not match DATASET_CONFIG_SHA256/);
    expect(other.requests).toHaveLength(0);
    expect(api.requests).toHaveLength(0);
  });
});

describe('the bearer token goes to the configured origin only', () => {
  test('a next link to another origin stops the run before anything is sent there, with a security event', async () => {
    api.respond(pagedResponder({ '': { visits: [visit(1)], next: other.url('/api/visits?page=2') } }, 'token-1'));
    const error = await handler()({ dataset: 'patient_visits' }, context('r-9')).catch((e: unknown) => e as Error & { code?: string });
    expect(error).toMatchObject({ name: 'SourceError', code: 'ECROSSORIGIN' });
    expect(other.requests).toHaveLength(0);
    expect(api.requests.map((r) => r.authorization)).toEqual(['Bearer token-1']);
    expect(table.writes).toEqual([]);
    expect(securityEvents()).toEqual([expect.objectContaining({ securityEvent: 'SourceLinkToOtherOrigin', dataset: 'patient_visits' })]);
    expect(output.text()).toMatch(/"SecurityEvents":1/);
  });

  test('a next link on the configured origin is followed with the token and stored as the watermark', async () => {
    api.respond((request, res) => {
      if (request.authorization !== 'Bearer token-1') return json(res, 401, {});
      if (request.query.get('page') === '2') return json(res, 200, { visits: [visit(2)] });
      return json(res, 200, { visits: [visit(1)], next: '/api/visits?page=2' });
    });
    const result = await handler()({ dataset: 'patient_visits' }, context('r-10'));
    expect(result).toMatchObject({ pages: 2, produced: 2, stopReason: 'end-of-source' });
    expect(api.requests.map((r) => [r.path, r.query.get('page'), r.authorization])).toEqual([
      ['/api/visits', null, 'Bearer token-1'],
      ['/api/visits', '2', 'Bearer token-1'],
    ]);
    expect(table.items.get('patient_visits')).toMatchObject({ link: '/api/visits?page=2' });
  });

  test('a redirect to another origin is not followed: the other server never sees the token', async () => {
    api.respond((_req, res) => json(res, 302, {}, { location: other.url('/api/visits') }));
    await expect(handler()({ dataset: 'patient_visits' }, context('r-11'))).rejects.toMatchObject({ code: 'HTTP_302' });
    expect(other.requests).toHaveLength(0);
  });
});

describe('a token that expired between rotations is replaced by a fresh one (real local token endpoint)', () => {
  /** The rotation stored a token from the endpoint; it has since expired (a one-hour token, a four-hour rotation). */
  async function rotatedThenExpired(expiresAt: string): Promise<string> {
    const client = createHttpsClient({ ca });
    const issued = await requestClientCredentialsToken(tokenHttpOver(client), {
      clientId: 'ingest-client', clientSecret: 'ingest-client-secret', tokenUrl: provider.url('/oauth2/token'),
    }, new Date());
    client.close();
    provider.expire(issued.accessToken);
    provider.tokenRequests.length = 0;
    secrets.set(API_SECRET_ARN, apiCredential(issued.accessToken, { expiresAt }));
    return issued.accessToken;
  }

  test('on 401 one fresh token is requested with the secret\'s client credentials at the deployed token URL, used for the rest of the run, not written back', async () => {
    // The secret claims the token is good for another hour; the source says it is not.
    const stale = await rotatedThenExpired(new Date(Date.now() + 3_600_000).toISOString());
    api.respond(acceptingIssuedTokens({ '': { visits: [visit(1)], nextCursor: 'p2' }, p2: { visits: [visit(2)] } }));

    const result = await handler()({ dataset: 'patient_visits' }, context('r-12'));

    expect(result).toMatchObject({ pages: 2, produced: 2 });
    expect(provider.tokenRequests).toHaveLength(1);
    const fresh = provider.issued.at(-1)!;
    expect(api.requests.map((r) => r.authorization)).toEqual([`Bearer ${stale}`, `Bearer ${fresh}`, `Bearer ${fresh}`]);
    // HTTP Basic with the secret's client credentials; the scope of the deployed config.
    expect(provider.tokenRequests[0]!.authorization).toBe(`Basic ${Buffer.from('ingest-client:ingest-client-secret').toString('base64')}`);
    expect(new URLSearchParams(provider.tokenRequests[0]!.body).get('scope')).toBe('visits.read');
    // Kept in memory only: the secret still holds the rotation's token.
    expect(JSON.parse(await secrets.cache.getString(API_SECRET_ARN, { forceRefresh: true })).accessToken).toBe(stale);
    expect(output.text()).not.toContain(fresh);
    expect(output.text()).not.toContain('ingest-client-secret');
  });

  test('a token past its expiresAt is replaced before the first request, and the next run of the environment reuses the fresh one', async () => {
    const stale = await rotatedThenExpired(new Date(Date.now() - 60_000).toISOString());
    api.respond(acceptingIssuedTokens({ '': { visits: [visit(1)] } }));
    const ingest = handler();

    await ingest({ dataset: 'patient_visits' }, context('r-13'));
    await ingest({ dataset: 'patient_visits' }, context('r-14'));

    expect(provider.tokenRequests).toHaveLength(1);
    expect(api.requests.map((r) => r.authorization)).not.toContain(`Bearer ${stale}`);
    expect(api.requests).toHaveLength(2);
  });

  test('at most one refresh per run: a source that refuses the fresh token too fails the run after one token request', async () => {
    await rotatedThenExpired(new Date(Date.now() + 3_600_000).toISOString());
    api.respond((_req, res) => json(res, 401, { message: 'nope' }));
    await expect(handler()({ dataset: 'patient_visits' }, context('r-15'))).rejects.toThrow(/refused the bearer token \(HTTP 401\) again with a token fresh from the token endpoint/);
    expect(provider.tokenRequests).toHaveLength(1);
    expect(api.requests).toHaveLength(2);
  });

  test('a 401 on a later page, after the run already refreshed, ends the run instead of asking again', async () => {
    await rotatedThenExpired(new Date(Date.now() - 1_000).toISOString());
    api.respond((request, res) => (request.cursor === 'p2'
      ? json(res, 401, {})
      : acceptingIssuedTokens({ '': { visits: [visit(1)], nextCursor: 'p2' } })(request, res, 0)));
    await expect(handler()({ dataset: 'patient_visits' }, context('r-16'))).rejects.toMatchObject({ name: 'CredentialError' });
    expect(provider.tokenRequests).toHaveLength(1);
    // Page 1 was stored: the next run starts at page 2.
    expect(table.items.get('patient_visits')).toMatchObject({ cursor: 'p2' });
  });
});
