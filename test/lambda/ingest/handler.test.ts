/**
 * The ingest handler end to end: a real local HTTPS source API, faked Kafka (the kafkajs producer interface),
 * faked S3, DynamoDB, Secrets Manager and KMS at the SDK boundary, real Powertools Logger and Metrics.
 */
import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { createHandler, HandlerDeps, IngestEvent } from '../../../lambda/ingest/index';
import { ownedConfigEnvironment } from '../../../lib/constructs/pipeline/ingest-stage';
import { ProduceError } from '../../../lambda/ingest/errors';
import type { RetryPolicy } from '../../../lambda/shared/retry';
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
import { json, LocalSourceApi, pagedResponder } from './support/source-api';

const TOKEN = 'source-token-1';
const ENV = INGEST_ENV;
const fastRetries: RetryPolicy = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 1_000 };

/** A valid patient_visits record; its Restricted values are recognisable in any output. */
const visit = (n: number): Record<string, unknown> => ({
  visit_id: `v-${n}`,
  visit_date: '2024-05-01',
  patient_id: `patient-${n}-4f1c`,
  patient_name: `Ada ${n} Lovelace`,
  diagnosis_code: `J45.${n}`,
  card_number: `41111111111${String(n).padStart(5, '0')}`,
  clinician_notes: `confidential note ${n}`,
  not_in_config: 'ignored',
});
const RESTRICTED_FIELDS = ['patient_id', 'patient_name', 'diagnosis_code', 'card_number', 'clinician_notes'];

const context = lambdaContext;

let api: LocalSourceApi;
let secrets: FakeSecrets;
let s3: FakeS3;
let table: FakeWatermarkTable;
let kms: FakeKms;
let producers: FakeProducer[];
let nextProducer: () => FakeProducer;
let output: ReturnType<typeof captureOutput>;

const rawDataset = (name = 'patient_visits'): Record<string, unknown> => exampleDatasetJson(name, api.url('/api/visits'));

/** The handler as deployed for `raw` (its owned config in the environment, as IngestStage sets it). */
function handler(overrides: Partial<HandlerDeps> = {}, raw: Record<string, unknown> = rawDataset()) {
  const { env, ...rest } = overrides;
  return createHandler({
    secrets: secrets.cache,
    s3: s3.client,
    ddb: table.client,
    kms: kms.client,
    producer: () => {
      const p = nextProducer();
      producers.push(p);
      return p;
    },
    logger: new Logger({ serviceName: 'ingest-test', logLevel: 'DEBUG' }),
    metrics: new Metrics({ serviceName: 'ingest-test', namespace: 'PipelineTest' }),
    http: { ca: api.ca, timeoutMs: 1_000 },
    retryPolicy: fastRetries,
    retryDeps: { sleep: async () => undefined },
    ...rest,
    env: { ...ENV, ...ownedConfigEnvironment(datasetFrom(raw)), ...env },
  });
}

/** The schedule's marker event. */
const event = (name = 'patient_visits'): IngestEvent => ({ dataset: name });

const threePages = {
  '': { visits: [visit(1), visit(2)], nextCursor: 'page-2' },
  'page-2': { visits: [visit(3)], nextCursor: 'page-3' },
  'page-3': { visits: [visit(4)] },
};

beforeAll(async () => {
  api = await LocalSourceApi.start();
});

afterAll(async () => {
  await api.close();
});

beforeEach(() => {
  secrets = createFakeSecrets({ [API_SECRET_ARN]: apiCredential(TOKEN), [TOKENIZATION_SECRET_ARN]: tokenizationSecret() });
  s3 = createFakeS3();
  table = createFakeWatermarkTable();
  kms = createFakeKms();
  producers = [];
  nextProducer = () => new FakeProducer();
  output = captureOutput();
  api.respond(pagedResponder(threePages, TOKEN));
});

afterEach(() => {
  output.stop();
  [secrets, s3, table, kms].forEach((f) => f.restore());
});

describe('ingest handler (real HTTPS source; faked Kafka, S3, DynamoDB, Secrets Manager, KMS)', () => {
  test('reads every page, produces each record with acks=all keyed by id, and stores the cursor after each page', async () => {
    api.respond(pagedResponder(threePages, TOKEN));

    const result = await handler()(event(), context('req-1'));

    expect(result).toEqual({ dataset: 'patient_visits', pages: 3, fetched: 4, produced: 4, quarantined: 0, watermarkAdvances: 2, stopReason: 'end-of-source', backlog: false });
    expect(api.requests.map((r) => r.cursor)).toEqual([null, 'page-2', 'page-3']);
    const [producer] = producers;
    expect(producer.calls).toEqual(['connect', 'send', 'send', 'send', 'disconnect']);
    expect(producer.sent.every((b) => b.topic === 'patient_visits.clean' && b.acks === -1)).toBe(true);
    expect(producer.keys).toEqual(['v-1', 'v-2', 'v-3', 'v-4']);
    const value = producer.values[0];
    expect(Object.keys(value).sort()).toEqual(
      ['_dataset', '_ingestedAt', 'card_number', 'diagnosis_code', 'patient_id', 'patient_name', 'visit_date', 'visit_id'],
    );
    expect(value).toMatchObject({
      _dataset: 'patient_visits',
      _ingestedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      visit_id: 'v-1',
      visit_date: '2024-05-01',
      patient_id: expect.stringMatching(/^v2:[0-9a-f]{64}$/),
      patient_name: expect.stringMatching(/^enc:v1:/),
      card_number: '************0001',
    });
    // The cursor moved after page 1 and page 2; the last page has none, so the next run re-reads page 3.
    expect(table.writes.map((w) => w.cursor)).toEqual(['page-2', 'page-3']);
    expect(table.items.get('patient_visits')).toEqual({ dataset: 'patient_visits', cursor: 'page-3', updatedAt: expect.any(String) });
    expect(s3.puts()).toEqual([]);
  });

  test('the next run starts from the stored cursor', async () => {
    api.respond(pagedResponder(threePages, TOKEN));
    await handler()(event(), context('req-1'));
    api.respond(pagedResponder({ ...threePages, 'page-3': { visits: [visit(4), visit(5)], nextCursor: 'page-4' }, 'page-4': { visits: [] } }, TOKEN));

    const second = await handler()(event(), context('req-2'));

    expect(api.requests.map((r) => r.cursor)).toEqual(['page-3', 'page-4']);
    expect(second).toMatchObject({ pages: 2, fetched: 2, produced: 2 });
    expect(producers[1].keys).toEqual(['v-4', 'v-5']);
    expect(table.items.get('patient_visits')?.cursor).toBe('page-4');
  });

  test('a page mixing valid and invalid records: valid ones produced, invalid ones quarantined with reasons (faked S3)', async () => {
    const records = [
      visit(1),
      { ...visit(2), patient_name: 12345 }, // wrong type: still protectable
      { ...visit(3), diagnosis_code: undefined, visit_date: '2024-02-30' }, // missing required, impossible date
      'not-a-record',
      { ...visit(5), visit_date: { nested: 'Ada 5 Lovelace' }, patient_name: ['Ada 5 Lovelace'] }, // cannot be handled at all
      visit(6),
    ];
    api.respond(pagedResponder({ '': { visits: records } }, TOKEN));

    const result = await handler()(event(), context('run-7'));

    expect(result).toMatchObject({ fetched: 6, produced: 2, quarantined: 4 });
    expect(producers[0].keys).toEqual(['v-1', 'v-6']);
    const [put] = s3.puts();
    expect(put).toMatchObject({ Bucket: 'quarantine-bucket', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: INGEST_ENV.QUARANTINE_KEY_ARN, ContentEncoding: 'gzip' });
    expect(put.Key).toMatch(/^dataset=patient_visits\/dt=\d{4}-\d\d-\d\d\/run-7-1\.jsonl\.gz$/);
    const lines = s3.lines(String(put.Key));
    expect(lines.map((l) => [l.index, l.form, l.reasons])).toEqual([
      [1, 'handled', ['field "patient_name" expected a string, got a number']],
      [2, 'handled', ['field "visit_date" is not a calendar date in YYYY-MM-DD form', 'field "diagnosis_code" is required but missing']],
      [3, 'redacted', ['the record is not a JSON object (got string)']],
      [4, 'redacted', ['field "visit_date" expected a YYYY-MM-DD date string, got an object', 'field "patient_name" expected a string, got an array']],
    ]);
    expect(lines[0].record).toMatchObject({ visit_id: 'v-2', patient_id: expect.stringMatching(/^v2:/), patient_name: expect.stringMatching(/^enc:v1:/) });
    expect(lines[3].record).toEqual({
      visit_id: 'v-5', visit_date: '[REDACTED]', patient_id: '[REDACTED]', patient_name: '[REDACTED]', diagnosis_code: '[REDACTED]',
      card_number: '[REDACTED]', clinician_notes: '[REDACTED]',
    });
    expect(lines.every((l) => l.dataset === 'patient_visits' && l.runId === 'run-7' && l.page === 1)).toBe(true);
    // No Restricted value in the clear anywhere: quarantine object, messages, logs.
    const everything = [s3.allText(), JSON.stringify(producers[0].messages.map((m) => String(m.value))), output.text()].join('\n');
    for (const record of records.filter((r): r is Record<string, unknown> => typeof r === 'object')) {
      for (const name of RESTRICTED_FIELDS) {
        if (typeof record[name] === 'string') expect(everything).not.toContain(record[name]);
      }
    }
    expect(everything).not.toContain('Ada 5 Lovelace');
    expect(output.text()).toContain('Record quarantined');
  });

  test('faked Kafka: a produce failure fails the invocation and the watermark does not move', async () => {
    api.respond(pagedResponder(threePages, TOKEN));
    nextProducer = () => new FakeProducer().failOnSend(2); // page 2 is not acknowledged

    const error = await handler()(event(), context('req-1')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProduceError);
    expect((error as Error).message).toMatch(/Kafka did not acknowledge the records of page 2 of dataset "patient_visits" on topic patient_visits\.clean/);
    // Only page 1 was fully acknowledged: the stored cursor points at page 2, so the next run re-reads it.
    expect(table.writes.map((w) => w.cursor)).toEqual(['page-2']);
    expect(api.requests.map((r) => r.cursor)).toEqual([null, 'page-2']);
    expect(producers[0].calls.at(-1)).toBe('disconnect');
    expect(output.text()).toContain('"errorName":"ProduceError"');
  });

  test('faked Kafka: a failure on the first page leaves no watermark at all', async () => {
    api.respond(pagedResponder(threePages, TOKEN));
    nextProducer = () => new FakeProducer().failOnSend(1);
    await expect(handler()(event(), context('req-1'))).rejects.toBeInstanceOf(ProduceError);
    expect(table.items.size).toBe(0);
    expect(table.writes).toEqual([]);
  });

  test('faked Kafka: a retry after a failure produces the same keys (tokens when the id is tokenized)', async () => {
    const tokenizedId = {
      ...exampleDatasetJson('patient_visits', api.url('/api/visits')),
      fields: [
        { name: 'visit_id', type: 'string', handling: 'tokenize' },
        { name: 'patient_name', type: 'string', handling: 'encrypt' },
      ],
    };
    api.respond(pagedResponder({ '': { visits: [visit(1), visit(2)], nextCursor: 'page-2' }, 'page-2': { visits: [visit(3)] } }, TOKEN));
    nextProducer = () => new FakeProducer().failOnSend(1);
    await expect(handler({}, tokenizedId)(event(), context('req-1'))).rejects.toBeInstanceOf(ProduceError);
    const attemptedKeys = producers[0].attempted.flatMap((b) => b.messages.map((m) => String(m.key)));

    nextProducer = () => new FakeProducer();
    await handler({}, tokenizedId)(event(), context('req-2'));

    expect(attemptedKeys).toHaveLength(2);
    expect(attemptedKeys.every((k) => /^v2:[0-9a-f]{64}$/.test(k))).toBe(true);
    expect(producers[1].keys.slice(0, 2)).toEqual(attemptedKeys);
    expect(producers[1].keys).toHaveLength(3);
    expect(api.requests.map((r) => r.cursor)).toEqual([null, null, 'page-2']);
  });

  test('the watermark never moves backwards: a concurrent run\'s write wins and this run stops (faked DynamoDB)', async () => {
    api.respond(pagedResponder(threePages, TOKEN));
    table.beforePut = () => {
      // Another run stored a later cursor after this run read the (empty) watermark.
      table.items.set('patient_visits', { dataset: 'patient_visits', cursor: 'page-9', updatedAt: '2099-01-01T00:00:00.000Z' });
    };

    const result = await handler()(event(), context('req-1'));

    expect(result).toMatchObject({ pages: 1, watermarkAdvances: 0, stopReason: 'watermark-conflict' });
    expect(table.items.get('patient_visits')?.cursor).toBe('page-9');
    expect(output.text()).toContain('Another run moved the watermark');
  });

  test('stops cleanly when little Lambda time is left, after storing the cursor of the pages done', async () => {
    api.respond(pagedResponder(threePages, TOKEN));
    const result = await handler()(event(), context('req-1', 30_000));
    expect(result).toMatchObject({ pages: 1, produced: 2, stopReason: 'time-budget', backlog: true });
    expect(table.items.get('patient_visits')?.cursor).toBe('page-2');
  });

  test('a run stopped by maxPages or the time budget publishes Backlog 1; the next run continues and, at the end of the source, publishes 0', async () => {
    api.respond(pagedResponder(threePages, TOKEN));
    const emfOf = (from: number) => output.text().split('\n').slice(from).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const ingest = handler({ maxPages: 2 });

    const first = await ingest(event(), context('req-1'));
    expect(first).toMatchObject({ pages: 2, stopReason: 'max-pages', backlog: true });
    const firstEmf = emfOf(0);
    expect(firstEmf).toHaveLength(1);
    expect(firstEmf[0]).toMatchObject({ dataset: 'patient_visits', Backlog: 1 });
    const seen = output.text().split('\n').length;

    const second = await ingest(event(), context('req-2'));
    expect(second).toMatchObject({ pages: 1, stopReason: 'end-of-source', backlog: false });
    expect(emfOf(seen - 1)).toEqual([expect.objectContaining({ Backlog: 0 })]);

    const budget = await handler()(event(), context('req-3', 30_000));
    // The watermark is now the last page: it is read again, and there is no next page to leave behind.
    expect(budget).toMatchObject({ pages: 1, stopReason: 'end-of-source', backlog: false });
  });

  test('a source that repeats its cursor or a watermark conflict is not reported as backlog', async () => {
    api.respond(pagedResponder({ '': { visits: [visit(1)], nextCursor: 'same' }, same: { visits: [visit(1)], nextCursor: 'same' } }, TOKEN));
    expect(await handler()(event(), context('req-1'))).toMatchObject({ stopReason: 'cursor-repeated', backlog: false });
    expect(output.text()).toMatch(/"Backlog":0/);
  });

  test('a source that returns the cursor it was called with ends the run instead of looping', async () => {
    api.respond(pagedResponder({ '': { visits: [visit(1)], nextCursor: 'same' }, same: { visits: [visit(1)], nextCursor: 'same' } }, TOKEN));
    const result = await handler()(event(), context('req-1'));
    expect(result).toMatchObject({ pages: 2, stopReason: 'cursor-repeated' });
    expect(table.items.get('patient_visits')?.cursor).toBe('same');
  });

  test('a source failure fails the invocation before anything is produced or stored', async () => {
    api.respond((_req, res) => json(res, 500, { message: 'down' }));
    await expect(handler()(event(), context('req-1'))).rejects.toMatchObject({ name: 'SourceError', code: 'HTTP_500' });
    expect(api.requests).toHaveLength(2);
    expect(producers[0].calls).toEqual([]);
    expect(table.writes).toEqual([]);
  });

  test('a KMS failure fails the run instead of quarantining the records (faked KMS)', async () => {
    api.respond(pagedResponder(threePages, TOKEN));
    kms.mock.on(GenerateDataKeyCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(handler()(event(), context('req-1'))).rejects.toMatchObject({ name: 'EnvelopeEncryptionError' });
    expect(s3.puts()).toEqual([]);
    expect(producers[0].sent).toEqual([]);
    expect(table.writes).toEqual([]);
  });

  test('emits fetched, produced and quarantined counts as EMF with the dataset dimension', async () => {
    api.respond(pagedResponder({ '': { visits: [visit(1), 'bad'], nextCursor: 'page-2' }, 'page-2': { visits: [visit(2)] } }, TOKEN));
    await handler()(event(), context('req-1'));
    const emf = output.text().split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    const sum = (name: string): number => ([] as number[]).concat(emf[0][name] as number | number[]).reduce((a, b) => a + b, 0);
    expect(emf[0].dataset).toBe('patient_visits');
    expect([sum('RecordsFetched'), sum('RecordsProduced'), sum('RecordsQuarantined'), sum('PagesRead')]).toEqual([3, 2, 1, 2]);
  });

  test('a Public dataset with an open source needs no credential, tokenization secret or data key, and sends no token', async () => {
    const env: Record<string, string | undefined> = { ...ENV, API_CREDENTIAL_SECRET_ARN: undefined, TOKENIZATION_KEY_SECRET_ARN: undefined, DATA_KEY_ID: undefined };
    api.respond(pagedResponder({ '': { items: [{ observation_id: 'o-1', station: 'EGLL', observed_at: '2024-05-01T12:00:00Z', temperature_c: 14.5 }] } }, undefined));
    const result = await handler({ env }, rawDataset('weather_observations'))(event('weather_observations'), context('req-1'));
    expect(result).toMatchObject({ produced: 1 });
    expect(producers[0].sent[0].topic).toBe('weather_observations.clean');
    expect(secrets.reads(TOKENIZATION_SECRET_ARN)).toBe(0);
    expect(api.requests.map((r) => r.authorization)).toEqual([undefined]);
  });

  test('an open source that answers 401 fails with the fix: add source.auth', async () => {
    const env: Record<string, string | undefined> = { ...ENV, API_CREDENTIAL_SECRET_ARN: undefined };
    api.respond(pagedResponder({ '': { items: [] } }, TOKEN));
    await expect(handler({ env }, rawDataset('weather_observations'))(event('weather_observations'), context('req-1'))).rejects.toThrow(/requires authentication \(HTTP 401\): add source\.auth/);
  });

  test('refuses the deployed credential placeholder with a clear error: nothing fetched, produced or written', async () => {
    secrets.restore();
    secrets = createFakeSecrets({
      [API_SECRET_ARN]: { clientId: 'SET-ME-WITH-put-secret-value', clientSecret: 'GeneratedStandIn', tokenUrl: 'https://auth.example.com/oauth2/token', placeholder: true },
      [TOKENIZATION_SECRET_ARN]: tokenizationSecret(),
    });
    const error = await handler()(event(), context('req-1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('CredentialError');
    expect((error as Error).message).toMatch(/still holds the placeholder deployed with the stack.*nothing was fetched.*put-secret-value/);
    expect(api.requests).toHaveLength(0);
    expect(producers.flatMap((p) => p.sent)).toHaveLength(0);
    expect(s3.puts()).toHaveLength(0);
    expect(output.text()).toContain('still holds the placeholder');
  });

  test('refuses a deployed config that breaks the config rules, before reading anything', async () => {
    const bad = rawDataset() as { fields: Array<Record<string, unknown>> };
    bad.fields[2].handling = 'keep'; // patient_id is Restricted
    const json = JSON.stringify(bad);
    const env = { DATASET_CONFIG: json, DATASET_CONFIG_SHA256: createHash('sha256').update(json).digest('hex') };
    await expect(handler({ env })(event(), context('req-1'))).rejects.toThrow(/fields\.patient_id\.handling: "keep" is not allowed for Restricted fields/);
    expect(api.requests).toHaveLength(0);
  });

  test('lists every environment problem at once', async () => {
    const env = { ...ENV, TOPIC: 'bad topic!', BOOTSTRAP_BROKERS: 'b-1.example:9092', QUARANTINE_BUCKET: '' };
    const error = (await handler({ env })(event(), context('req-1')).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/QUARANTINE_BUCKET: is not set/);
    expect(error.message).toMatch(/TOPIC: "bad topic!" is not a valid Kafka topic name/);
    expect(error.message).toMatch(/BOOTSTRAP_BROKERS: "b-1.example:9092" uses port 9092/);
  });

  test('needs the quarantine bucket\'s key ARN (not an alias) before reading anything: every quarantine write names it', async () => {
    const missing = (await handler({ env: { ...ENV, QUARANTINE_KEY_ARN: '' } })(event(), context('req-1')).catch((e: unknown) => e)) as Error;
    expect(missing.message).toMatch(/QUARANTINE_KEY_ARN: is not set/);
    const alias = (await handler({ env: { ...ENV, QUARANTINE_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:alias/quarantine' } })(event(), context('req-2'))
      .catch((e: unknown) => e)) as Error;
    expect(alias.message).toMatch(/QUARANTINE_KEY_ARN: is not a KMS key ARN \(an alias is not accepted/);
    expect(api.requests).toHaveLength(0);
  });
});
