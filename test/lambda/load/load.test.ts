/**
 * The load stage against a real PostgreSQL (embedded, TLS only, bootstrapped with lambda/db-bootstrap from the
 * example datasets, the loader connecting as pipeline_loader with verify-full) and a real local S3 server
 * (s3rver). The loader logs in without a password here (trust over TLS for that role only), standing in for the
 * RDS IAM token; the token itself is checked in message.test.ts.
 */
import { gzipSync } from 'node:zlib';
import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse } from 'aws-lambda';
import type { Client } from 'pg';
import { loadDatasetsConfig } from '../../../lib/config/datasets';
import { runBootstrap } from '../../../lambda/db-bootstrap/bootstrap';
import { connectWith, loaderClientConfig } from '../../../lambda/load/database';
import { createHandler, HandlerDeps } from '../../../lambda/load/index';
import type { ObjectLoadResult } from '../../../lambda/load/load';
import { encodeNdjson, putNdjsonObject, sha256Hex } from '../../../lambda/shared/ndjson-object';
import { LocalS3, startLocalS3 } from '../../helpers/local-s3';
import { startTlsPostgres, TlsPostgres } from '../../helpers/postgres/tls-postgres';
import { objectCreatedBody as s3NotificationBody, sqsEvent, sqsRecord, TEST_EVENT_BODY } from '../../helpers/sqs';
import { objectCreatedBody } from './support/eventbridge';
import { RecordingLogger, RecordingMetrics } from '../../helpers/stage-recorders';
import { selfSignedCertificate } from '../../helpers/tls';

const CURATED = 'curated-internal';
const QUARANTINE = 'pipeline-quarantine';
const CURATED_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6';
const QUARANTINE_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const DATABASE = 'pipeline';
const config = loadDatasetsConfig(`${__dirname}/../../../examples/datasets.json`);

let pg: TlsPostgres;
let s3: LocalS3;
let admin: Client;
let logger: RecordingLogger;
let metrics: RecordingMetrics;
let loadedObjects: ObjectLoadResult[];

const env = (): Record<string, string> => ({
  DB_HOST: 'localhost',
  DB_PORT: String(pg.port),
  DB_NAME: DATABASE,
  QUARANTINE_BUCKET: QUARANTINE,
  QUARANTINE_KEY_ARN,
  AWS_REGION: 'eu-west-1',
});

function handler(overrides: Partial<HandlerDeps> = {}) {
  return createHandler({
    s3: s3.client({ maxAttempts: 1 }),
    logger,
    metrics,
    env: env(),
    connect: (settings) => connectWith(loaderClientConfig(settings, { ca: pg.ca, password: async () => undefined })),
    onObjectLoaded: (r) => {
      loadedObjects.push(r);
    },
    ...overrides,
  });
}

let sequence = 0;
/** Writes a curated object the way the store does (gzip NDJSON, record-count and sha256 metadata). */
async function putCurated(dataset: string, values: readonly unknown[], file = `0-${sequence}-${sequence + values.length}.jsonl.gz`): Promise<string> {
  sequence += 100;
  const key = `dataset=${dataset}/dt=2024-05-01/${file}`;
  const encoded = encodeNdjson(values);
  await putNdjsonObject(s3.client(), { bucket: CURATED, key, encoded, kmsKeyArn: CURATED_KEY_ARN, metadata: { 'record-count': String(encoded.lines), sha256: encoded.sha256 } });
  return key;
}

function order(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    order_id: id, customer_email: `tok:v1:${id}`, amount: 10.5, currency: 'EUR', status: 'paid',
    ordered_at: '2024-05-01T11:00:00Z', shipping_postcode: '****12', _ingestedAt: '2024-05-01T12:00:00.000Z', _dataset: 'customer_orders', ...extra,
  };
}

async function rows(table: string, ids: readonly string[]): Promise<Array<Record<string, unknown>>> {
  const result = await admin.query(`SELECT * FROM pipeline.${table} WHERE order_id = ANY($1) ORDER BY order_id`, [ids]);
  return result.rows as Array<Record<string, unknown>>;
}

/** The test's own superuser session; it survives (as a new session) the outage test's restart. */
async function connectAdmin(): Promise<Client> {
  const client = await pg.connect(DATABASE);
  client.on('error', () => undefined);
  return client;
}

const failedIds = (response: SQSBatchResponse): string[] => response.batchItemFailures.map((f) => f.itemIdentifier).sort();

beforeAll(async () => {
  [pg, s3] = await Promise.all([startTlsPostgres({ trustedRoles: ['pipeline_loader'] }), startLocalS3([CURATED, QUARANTINE])]);
  await pg.createDatabase(DATABASE);
  admin = await connectAdmin();
  await runBootstrap(admin, config, { schema: 'pipeline', loaderUser: 'pipeline_loader' });
});

afterAll(async () => {
  await admin?.end();
  await Promise.all([pg?.stop(), s3?.stop()]);
});

beforeEach(() => {
  logger = new RecordingLogger();
  metrics = new RecordingMetrics();
  loadedObjects = [];
});

describe('upserts', () => {
  test('an object is loaded into its dataset\'s table with _source_object and _loaded_at, as the loader role over TLS', async () => {
    const key = await putCurated('customer_orders', [order('a-1'), order('a-2', { shipping_postcode: null, amount: 3 })]);
    const response = await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, key), 'm-1')]));
    expect(response.batchItemFailures).toEqual([]);
    const loaded = await rows('customer_orders', ['a-1', 'a-2']);
    expect(loaded).toEqual([
      expect.objectContaining({ order_id: 'a-1', customer_email: 'tok:v1:a-1', amount: 10.5, currency: 'EUR', status: 'paid', shipping_postcode: '****12', _source_object: key }),
      expect.objectContaining({ order_id: 'a-2', amount: 3, shipping_postcode: null, _source_object: key }),
    ]);
    expect(loaded[0]._loaded_at).toBeInstanceOf(Date);
    expect((loaded[0].ordered_at as Date).toISOString()).toBe('2024-05-01T11:00:00.000Z');
    expect(loadedObjects).toEqual([expect.objectContaining({ key, dataset: 'customer_orders', records: 2, loaded: 2, quarantined: 0 })]);
    expect(metrics.value('RecordsLoaded')).toBe(2);
    const sessions = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'pipeline_loader'");
    expect(sessions.rows[0].n).toBe(0); // the invocation closed its connection
  });

  test('loading the same object twice gives the same rows (only _loaded_at moves); a later object updates them', async () => {
    const key = await putCurated('customer_orders', [order('b-1'), order('b-2')]);
    const message = objectCreatedBody(CURATED, key);
    await handler()(sqsEvent([sqsRecord(message)]));
    const first = await rows('customer_orders', ['b-1', 'b-2']);
    await handler()(sqsEvent([sqsRecord(message)]));
    const second = await rows('customer_orders', ['b-1', 'b-2']);
    const withoutLoadedAt = (r: Array<Record<string, unknown>>) => r.map(({ _loaded_at, ...rest }) => rest);
    expect(withoutLoadedAt(second)).toEqual(withoutLoadedAt(first));
    expect((second[0]._loaded_at as Date).getTime()).toBeGreaterThanOrEqual((first[0]._loaded_at as Date).getTime());

    const later = await putCurated('customer_orders', [order('b-1', { status: 'refunded', shipping_postcode: null })]);
    await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, later))]));
    const updated = await rows('customer_orders', ['b-1', 'b-2']);
    expect(updated[0]).toEqual(expect.objectContaining({ status: 'refunded', shipping_postcode: null, _source_object: later }));
    expect(updated[1]).toEqual(expect.objectContaining({ status: 'paid', _source_object: key }));
  });

  test('duplicate ids in one object: one row holding the last record, and every record counts as loaded', async () => {
    const key = await putCurated('customer_orders', [order('c-1', { status: 'new' }), order('c-2'), order('c-1', { status: 'shipped' })]);
    await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, key))]));
    const loaded = await rows('customer_orders', ['c-1', 'c-2']);
    expect(loaded.map((r) => [r.order_id, r.status])).toEqual([['c-1', 'shipped'], ['c-2', 'paid']]);
    expect(loadedObjects[0]).toMatchObject({ records: 3, loaded: 3, quarantined: 0 });
  });

  test('an S3 test event is acknowledged and ignored next to real messages', async () => {
    const key = await putCurated('customer_orders', [order('d-1')]);
    const response = await handler()(sqsEvent([sqsRecord(TEST_EVENT_BODY, 'test'), sqsRecord(objectCreatedBody(CURATED, key), 'real')]));
    expect(response.batchItemFailures).toEqual([]);
    expect(await rows('customer_orders', ['d-1'])).toHaveLength(1);
    expect(loadedObjects).toHaveLength(1);
  });

  test('a message queued before the move to EventBridge (an S3 notification) is still loaded', async () => {
    const key = await putCurated('customer_orders', [order('d-2')]);
    const response = await handler()(sqsEvent([sqsRecord(s3NotificationBody(CURATED, key), 'legacy')]));
    expect(response.batchItemFailures).toEqual([]);
    expect(await rows('customer_orders', ['d-2'])).toEqual([expect.objectContaining({ order_id: 'd-2', _source_object: key })]);
  });
});

describe('quarantine', () => {
  test('rows that violate the table are quarantined with value-free reasons; the rest of the object is loaded', async () => {
    const key = await putCurated('customer_orders', [
      order('q-ok-1'),
      order('q-long', { currency: 'EURO-LONG-SECRET' }), // varchar(3): only the database knows
      order('q-time', { ordered_at: 'yesterday-SECRET' }), // not a timestamp: only the database knows
      order('q-type', { amount: 'ten-SECRET' }), // JSON type: checked before the insert
      order('q-null', { status: null }), // NOT NULL: checked before the insert
      order('q-other', { _dataset: 'patient_visits' }),
      order('q-ok-2'),
    ], 'q-file.jsonl.gz');
    const response = await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, key))]));
    expect(response.batchItemFailures).toEqual([]);

    expect((await rows('customer_orders', ['q-ok-1', 'q-ok-2', 'q-long', 'q-time', 'q-type', 'q-null', 'q-other'])).map((r) => r.order_id)).toEqual(['q-ok-1', 'q-ok-2']);
    expect(loadedObjects[0]).toMatchObject({ records: 7, loaded: 2, quarantined: 5, quarantineKey: 'dataset=customer_orders/dt=2024-05-01/load-q-file.jsonl.gz' });

    const quarantine = await s3.readNdjson(QUARANTINE, 'dataset=customer_orders/dt=2024-05-01/load-q-file.jsonl.gz');
    const byLine = new Map((quarantine.lines as Array<Record<string, unknown>>).map((l) => [l.line, l]));
    expect(byLine.get(2)).toMatchObject({ stage: 'load', sourceBucket: CURATED, sourceKey: key, sqlState: '22001', reasons: [expect.stringMatching(/longer than its column allows/)] });
    expect(byLine.get(3)).toMatchObject({ sqlState: '22007', reasons: [expect.stringMatching(/date or timestamp/)] });
    expect(byLine.get(4)).toMatchObject({ reasons: ['field "amount" expected a finite number for column type double precision, got a string'] });
    expect(byLine.get(5)).toMatchObject({ reasons: ['field "status" is required but null'] });
    expect(byLine.get(6)).toMatchObject({ reasons: [expect.stringMatching(/_dataset does not name "customer_orders"/)] });
    expect([...byLine.values()].every((l) => l.form === 'handled' && typeof l.record === 'object')).toBe(true);
    const reasons = JSON.stringify([...byLine.values()].map((l) => l.reasons));
    expect(reasons).not.toContain('SECRET');
    expect(logger.text()).not.toContain('SECRET');
    expect(quarantine.metadata).toMatchObject({ 'record-count': '5' });
  });

  test('a large object goes in chunks; a refused row in a later chunk is isolated and the other rows of that chunk still load', async () => {
    const values = Array.from({ length: 1203 }, (_, i) => order(`big-${String(i).padStart(4, '0')}`, i === 777 ? { currency: 'TOOLONG' } : {}));
    values.push(order('big-0001', { status: 'shipped' })); // a duplicate id, in the last chunk
    const key = await putCurated('customer_orders', values, 'big.jsonl.gz');
    await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, key))]));
    expect(loadedObjects[0]).toMatchObject({ records: 1204, loaded: 1203, quarantined: 1 });
    const count = await admin.query("SELECT count(*)::int AS n FROM pipeline.customer_orders WHERE order_id LIKE 'big-%'");
    expect(count.rows[0].n).toBe(1202);
    expect((await rows('customer_orders', ['big-0001', 'big-0777', 'big-0778'])).map((r) => [r.order_id, r.status])).toEqual([['big-0001', 'shipped'], ['big-0778', 'paid']]);
    const quarantine = await s3.readNdjson(QUARANTINE, 'dataset=customer_orders/dt=2024-05-01/load-big.jsonl.gz');
    expect(quarantine.lines).toEqual([expect.objectContaining({ line: 778, sqlState: '22001' })]);
  });

  test('a line that is not JSON is quarantined by line number; the object\'s other lines load', async () => {
    const text = `${JSON.stringify(order('j-1'))}\n{"order_id": "j-SECRET", broken\n${JSON.stringify(order('j-2'))}\n`;
    const key = 'dataset=customer_orders/dt=2024-05-01/0-900-902.jsonl.gz';
    await putNdjsonObject(s3.client(), {
      bucket: CURATED, key, kmsKeyArn: CURATED_KEY_ARN, encoded: { body: gzipSync(text), lines: 3, sha256: sha256Hex(text), uncompressedBytes: text.length },
      metadata: { 'record-count': '3', sha256: sha256Hex(text) },
    });
    await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, key))]));
    expect((await rows('customer_orders', ['j-1', 'j-2'])).length).toBe(2);
    const quarantine = await s3.readNdjson(QUARANTINE, 'dataset=customer_orders/dt=2024-05-01/load-0-900-902.jsonl.gz');
    expect(quarantine.lines).toEqual([expect.objectContaining({ line: 2, reasons: ['line 2 (31 bytes) is not valid JSON'] })]);
    expect(JSON.stringify(quarantine.lines)).not.toContain('SECRET');
  });

  test('when the quarantine object cannot be written, the whole object is rolled back and the message fails', async () => {
    const key = await putCurated('customer_orders', [order('w-1'), order('w-2', { amount: 'x' })], 'w-file.jsonl.gz');
    const other = await putCurated('customer_orders', [order('w-3')]);
    s3.injectFault({ matches: (r) => r.method === 'PUT' && r.path.endsWith('/load-w-file.jsonl.gz') });
    const response = await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, key), 'w'), sqsRecord(objectCreatedBody(CURATED, other), 'other')]));
    expect(failedIds(response)).toEqual(['w']);
    expect((await rows('customer_orders', ['w-1', 'w-3'])).map((r) => r.order_id)).toEqual(['w-3']);

    await handler()(sqsEvent([sqsRecord(objectCreatedBody(CURATED, key), 'w')]));
    expect(await rows('customer_orders', ['w-1'])).toHaveLength(1);
  });
});

describe('failures', () => {
  test('database stopped mid-batch: the messages after the outage are reported failed; after a restart they load', async () => {
    const keys = [
      await putCurated('customer_orders', [order('o-1')]),
      await putCurated('customer_orders', [order('o-2')]),
      await putCurated('customer_orders', [order('o-3')]),
    ];
    const messages = keys.map((key, i) => sqsRecord(objectCreatedBody(CURATED, key), `outage-${i + 1}`));
    const outage = handler({
      onObjectLoaded: async (r) => {
        loadedObjects.push(r);
        if (loadedObjects.length === 1) await pg.pause();
      },
    });
    let response: SQSBatchResponse;
    try {
      response = await outage(sqsEvent(messages));
    } finally {
      await pg.resume();
    }
    expect(failedIds(response)).toEqual(['outage-2', 'outage-3']);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.attributes.messageId)).toEqual(['outage-2', 'outage-3']);

    // The queue redelivers only the failed messages.
    await admin.end().catch(() => undefined);
    admin = await connectAdmin();
    const retry = await handler()(sqsEvent(messages.filter((m) => response.batchItemFailures.some((f) => f.itemIdentifier === m.messageId))));
    expect(retry.batchItemFailures).toEqual([]);
    expect((await rows('customer_orders', ['o-1', 'o-2', 'o-3'])).map((r) => r.order_id)).toEqual(['o-1', 'o-2', 'o-3']);
  });

  test('only the bad messages fail: not an S3 notification, a key outside the layout, a tampered object, a dataset without table', async () => {
    const good = await putCurated('customer_orders', [order('f-1')]);
    const tampered = await putCurated('customer_orders', [order('f-2')]);
    await putNdjsonObject(s3.client(), {
      bucket: CURATED, key: tampered, kmsKeyArn: CURATED_KEY_ARN, encoded: encodeNdjson([order('f-2'), order('f-3')]),
      metadata: { 'record-count': '1', sha256: encodeNdjson([order('f-2')]).sha256 },
    });
    const noTable = await putCurated('unknown_set', [{ id: 'u-1', _dataset: 'unknown_set' }]);
    const response = await handler()(sqsEvent([
      sqsRecord('{"not":"s3"}', 'not-s3'),
      sqsRecord(objectCreatedBody(CURATED, 'exports/readme.txt'), 'outside'),
      sqsRecord(objectCreatedBody(CURATED, tampered), 'tampered'),
      sqsRecord(objectCreatedBody(CURATED, noTable), 'no-table'),
      sqsRecord(objectCreatedBody(CURATED, good), 'good'),
    ]));
    expect(failedIds(response)).toEqual(['no-table', 'not-s3', 'outside', 'tampered']);
    expect(await rows('customer_orders', ['f-1', 'f-2', 'f-3'])).toEqual([expect.objectContaining({ order_id: 'f-1' })]);
    expect(metrics.value('MessagesFailed')).toBe(4);
  });

  test('TLS verify-full: a server whose certificate does not chain to the trusted CA, or does not name the host, is refused', async () => {
    const key = await putCurated('customer_orders', [order('t-1')]);
    const event = sqsEvent([sqsRecord(objectCreatedBody(CURATED, key))]);
    const otherCa = (await selfSignedCertificate()).cert;
    const wrongCa = handler({ connect: (settings) => connectWith(loaderClientConfig(settings, { ca: otherCa, password: async () => undefined })) });
    await expect(wrongCa(event)).rejects.toThrow(FullBatchFailureError);
    // The certificate names localhost, not 127.0.0.1.
    const wrongHost = handler({ env: { ...env(), DB_HOST: '127.0.0.1' } });
    await expect(wrongHost(event)).rejects.toThrow(FullBatchFailureError);
    expect(await rows('customer_orders', ['t-1'])).toEqual([]);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.attributes.errorName)).toEqual(['DatabaseUnavailableError', 'DatabaseUnavailableError']);
  });
});
