/**
 * The store stage against a real local S3 server (s3rver, test/helpers/local-s3.ts) through the real
 * @aws-sdk/client-s3. s3rver ignores SSE headers, so encryption is asserted on the recorded HTTP requests.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Context } from 'aws-lambda';
import * as fc from 'fast-check';
import { ConfigurationError } from '../../../lib/errors';
import { parseStoreSettings, StoreSettings } from '../../../lambda/store/environment';
import { createHandler } from '../../../lambda/store/index';
import { partitionBatches, StoreEventError } from '../../../lambda/store/layout';
import { METADATA, planPartition, runStore, StoreDeps, StoreWriteError } from '../../../lambda/store/store';
import { LocalS3, startLocalS3 } from '../../helpers/local-s3';
import { KafkaMessage, mskEvent, mskRecord } from '../../helpers/msk';
import { RecordingLogger, RecordingMetrics } from '../../helpers/stage-recorders';

const DATASET = 'customer_orders';
const TOPIC = 'customer_orders.clean';
const CURATED = 'curated-internal';
const QUARANTINE = 'pipeline-quarantine';
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6';
const QUARANTINE_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const settings: StoreSettings = { dataset: DATASET, curatedBucket: CURATED, curatedKeyArn: KEY_ARN, quarantineBucket: QUARANTINE, quarantineKeyArn: QUARANTINE_KEY_ARN };

const MAY_1_NOON = Date.parse('2024-05-01T12:00:00Z');

function order(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { order_id: id, customer_email: 'tok:v1:abc', amount: 12.5, currency: 'EUR', status: 'paid', ordered_at: '2024-05-01T11:59:00Z', _ingestedAt: '2024-05-01T12:00:00.000Z', _dataset: DATASET, ...extra };
}

function message(partition: number, offset: number, value: unknown, overrides: Partial<KafkaMessage> = {}): KafkaMessage {
  const id = typeof value === 'object' && value !== null ? String((value as Record<string, unknown>).order_id) : `k${offset}`;
  return { topic: TOPIC, partition, offset, timestamp: MAY_1_NOON + offset, key: id, value: typeof value === 'string' ? value : JSON.stringify(value), ...overrides };
}

let s3: LocalS3;
let logger: RecordingLogger;
let metrics: RecordingMetrics;

function deps(overrides: Partial<StoreDeps> = {}): StoreDeps {
  return { s3: s3.client({ maxAttempts: 1 }), settings, logger, metrics, now: () => new Date('2024-05-01T12:05:00Z'), ...overrides };
}

beforeAll(async () => {
  s3 = await startLocalS3([CURATED, QUARANTINE]);
});

afterAll(async () => {
  await s3?.stop();
});

beforeEach(() => {
  logger = new RecordingLogger();
  metrics = new RecordingMetrics();
});

describe('curated objects', () => {
  test('one gzip NDJSON object per topic-partition at dataset=<name>/dt=<date>/<partition>-<first>-<last>.jsonl.gz, records in offset order', async () => {
    // Delivered out of order on purpose: the object follows offsets, not arrival.
    const event = mskEvent([
      message(0, 12, order('o-12')), message(0, 10, order('o-10')), message(0, 11, order('o-11')),
      message(1, 5, order('o-5')), message(1, 6, order('o-6')),
    ]);
    const result = await runStore(event, deps());

    expect(result).toMatchObject({ dataset: DATASET, received: 5, stored: 5, quarantined: 0 });
    const keys = await s3.keys(CURATED, `dataset=${DATASET}/`);
    expect(keys).toEqual(expect.arrayContaining([
      `dataset=${DATASET}/dt=2024-05-01/0-10-12.jsonl.gz`,
      `dataset=${DATASET}/dt=2024-05-01/1-5-6.jsonl.gz`,
    ]));
    const p0 = await s3.readNdjson(CURATED, `dataset=${DATASET}/dt=2024-05-01/0-10-12.jsonl.gz`);
    expect(p0.lines).toEqual([order('o-10'), order('o-11'), order('o-12')]);
    const text = gunzipSync(p0.body);
    expect(p0.metadata).toEqual({
      [METADATA.recordCount]: '3',
      [METADATA.sha256]: createHash('sha256').update(text).digest('hex'),
      [METADATA.dataset]: DATASET,
      [METADATA.topic]: TOPIC,
      [METADATA.partition]: '0',
      [METADATA.firstOffset]: '10',
      [METADATA.lastOffset]: '12',
      [METADATA.quarantinedCount]: '0',
    });
    expect(metrics.value('RecordsStored')).toBe(0); // published by the handler, not by runStore
  });

  test('a retried batch overwrites its objects: same keys, byte-identical bodies, no extra object', async () => {
    const event = mskEvent([message(2, 100, order('r-1')), message(2, 101, order('r-2')), message(2, 102, 'not json')]);
    await runStore(event, deps());
    const keysBefore = await s3.keys(CURATED, `dataset=${DATASET}/`);
    const quarantineBefore = await s3.keys(QUARANTINE);
    const first = await s3.readNdjson(CURATED, `dataset=${DATASET}/dt=2024-05-01/2-100-102.jsonl.gz`);

    await runStore(event, deps({ now: () => new Date('2024-05-01T12:09:00Z') }));
    expect(await s3.keys(CURATED, `dataset=${DATASET}/`)).toEqual(keysBefore);
    expect(await s3.keys(QUARANTINE)).toEqual(quarantineBefore);
    const second = await s3.readNdjson(CURATED, `dataset=${DATASET}/dt=2024-05-01/2-100-102.jsonl.gz`);
    expect(second.body.equals(first.body)).toBe(true);
    expect(second.metadata).toEqual(first.metadata);
  });

  test('dt is the UTC day of the first record\'s Kafka timestamp, falling back to _ingestedAt', async () => {
    const beforeMidnight = Date.parse('2024-06-30T23:59:59Z');
    const spanning = mskEvent([
      message(3, 7, order('m-1'), { timestamp: beforeMidnight }),
      message(3, 8, order('m-2'), { timestamp: beforeMidnight + 2000 }),
    ]);
    const noTimestamp = mskEvent([message(4, 1, order('n-1', { _ingestedAt: '2024-07-04T08:00:00.000Z' }), { timestamp: -1 })]);
    await runStore(spanning, deps());
    await runStore(noTimestamp, deps());
    const keys = await s3.keys(CURATED, `dataset=${DATASET}/`);
    expect(keys).toContain(`dataset=${DATASET}/dt=2024-06-30/3-7-8.jsonl.gz`);
    expect(keys).toContain(`dataset=${DATASET}/dt=2024-07-04/4-1-1.jsonl.gz`);
  });
});

describe('poison records', () => {
  const SECRET = 'p4tient-s3cret';

  test('are quarantined by offset and reason, the rest of the partition is stored, and no poison byte is kept or logged', async () => {
    const bad = (offset: number, fields: Partial<KafkaMessage>): KafkaMessage => ({ ...message(5, offset, order(`x-${offset}`)), ...fields });
    // Base64 that Buffer.from would half-decode instead of refusing.
    const invalidBase64 = { ...mskRecord(message(5, 5, order('x-5'))), value: `${SECRET}!!` };
    const event = mskEvent([
      message(5, 0, order('ok-0')),
      bad(1, { value: `{"order_id": "${SECRET}", truncated` }),
      bad(2, { value: JSON.stringify([SECRET]) }),
      bad(3, { value: JSON.stringify(order(SECRET, { _dataset: 'patient_visits' })) }),
      bad(4, { key: null }),
      invalidBase64,
      bad(6, { value: Buffer.from([0xc3, 0x28, 0x7b]) }),
      message(5, 7, order('ok-7')),
    ]);

    const result = await runStore(event, deps());
    expect(result).toMatchObject({ received: 8, stored: 2, quarantined: 6 });

    const curated = await s3.readNdjson(CURATED, `dataset=${DATASET}/dt=2024-05-01/5-0-7.jsonl.gz`);
    expect(curated.lines).toEqual([order('ok-0'), order('ok-7')]);
    expect(curated.metadata[METADATA.quarantinedCount]).toBe('6');

    const quarantine = await s3.readNdjson(QUARANTINE, `dataset=${DATASET}/dt=2024-05-01/store-5-0-7.jsonl.gz`);
    expect(quarantine.lines).toEqual([
      expect.objectContaining({ stage: 'store', topic: TOPIC, partition: 5, offset: 1, reason: expect.stringMatching(/not valid JSON/) }),
      expect.objectContaining({ offset: 2, reason: expect.stringMatching(/not an object \(got an array\)/) }),
      expect.objectContaining({ offset: 3, reason: expect.stringMatching(/_dataset names "patient_visits", not "customer_orders"/) }),
      expect.objectContaining({ offset: 4, reason: expect.stringMatching(/no key/) }),
      expect.objectContaining({ offset: 5, reason: expect.stringMatching(/value is not valid base64/) }),
      expect.objectContaining({ offset: 6, reason: expect.stringMatching(/value is not valid UTF-8/) }),
    ]);
    for (const line of quarantine.lines) {
      expect(Object.keys(line as object).sort()).toEqual(['dataset', 'kafkaTimestamp', 'offset', 'partition', 'quarantinedAt', 'reason', 'stage', 'topic']);
    }
    expect(JSON.stringify(quarantine.lines)).not.toContain(SECRET);
    expect(logger.text()).not.toContain(SECRET);
    expect(logger.lines.filter((l) => l.message === 'Record quarantined')).toHaveLength(6);
  });

  test('a partition batch that is all poison writes a quarantine object and no curated object', async () => {
    await runStore(mskEvent([message(6, 40, 'nope'), message(6, 41, '42')]), deps());
    expect(await s3.keys(CURATED, `dataset=${DATASET}/dt=2024-05-01/6-`)).toEqual([]);
    expect((await s3.readNdjson(QUARANTINE, `dataset=${DATASET}/dt=2024-05-01/store-6-40-41.jsonl.gz`)).lines).toHaveLength(2);
  });

  test('every record of any batch ends in exactly one place (curated line or quarantine entry)', () => {
    const arbitraryRecord = fc.record({
      offset: fc.nat({ max: 10_000 }),
      key: fc.option(fc.oneof(fc.string(), fc.uint8Array().map((b) => Buffer.from(b))), { nil: null }),
      value: fc.option(fc.oneof(
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.record({ order_id: fc.string(), _dataset: fc.constantFrom(DATASET, 'other_set') }).map((v) => JSON.stringify(v)),
        fc.uint8Array().map((b) => Buffer.from(b)),
      ), { nil: null }),
    });
    fc.assert(fc.property(fc.uniqueArray(arbitraryRecord, { selector: (r) => r.offset, minLength: 1, maxLength: 30 }), (records) => {
      const [batch] = partitionBatches(mskEvent(records.map((r) => ({ topic: TOPIC, partition: 0, timestamp: MAY_1_NOON, ...r }))));
      const plan = planPartition(batch, DATASET);
      expect(plan.lines.length + plan.refused.length).toBe(records.length);
      const refusedOffsets = new Set(plan.refused.map((r) => r.offset));
      expect(refusedOffsets.size).toBe(plan.refused.length);
      expect(plan.firstOffset).toBe(Math.min(...records.map((r) => r.offset)));
      expect(plan.lastOffset).toBe(Math.max(...records.map((r) => r.offset)));
      for (const line of plan.lines) expect(line._dataset).toBe(DATASET);
    }));
  });
});

describe('encryption and failures', () => {
  test('every PUT asks for SSE-KMS: curated objects with the classification key, quarantine objects with the quarantine key', async () => {
    const before = s3.requests.length;
    await runStore(mskEvent([message(7, 0, order('e-0')), message(7, 1, 'bad')]), deps());
    const puts = s3.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.path).sort()).toEqual([
      `/${CURATED}/dataset=${DATASET}/dt=2024-05-01/7-0-1.jsonl.gz`,
      `/${QUARANTINE}/dataset=${DATASET}/dt=2024-05-01/store-7-0-1.jsonl.gz`,
    ]);
    for (const put of puts) {
      expect(put.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(put.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(put.path.startsWith(`/${CURATED}/`) ? KEY_ARN : QUARANTINE_KEY_ARN);
      expect(put.headers['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');
      expect(put.headers['content-encoding']).toBe('gzip');
    }
  });

  test('an S3 failure fails the invocation with the object named and no data; the retried batch then succeeds', async () => {
    const key = `dataset=${DATASET}/dt=2024-05-01/8-0-0.jsonl.gz`;
    s3.injectFault({ matches: (r) => r.method === 'PUT' && r.path === `/${CURATED}/${key}` });
    const event = mskEvent([message(8, 0, order('f-0', { note: 'never-in-errors' }))]);

    const failure = await runStore(event, deps()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StoreWriteError);
    expect((failure as Error).message).toContain(`s3://${CURATED}/${key}`);
    expect((failure as Error).message).not.toContain('never-in-errors');
    expect(await s3.keys(CURATED, key)).toEqual([]);

    await runStore(event, deps());
    expect((await s3.readNdjson(CURATED, key)).lines).toHaveLength(1);
  });

  test('an event that is not an MSK batch is refused', async () => {
    await expect(runStore({ records: { x: [{ topic: TOPIC, partition: 0 }] } } as never, deps())).rejects.toThrow(StoreEventError);
    await expect(runStore({} as never, deps())).rejects.toThrow(StoreEventError);
  });
});

describe('handler', () => {
  const env = { DATASET, CURATED_BUCKET: CURATED, CURATED_KEY_ARN: KEY_ARN, QUARANTINE_BUCKET: QUARANTINE, QUARANTINE_KEY_ARN };

  test('reads its settings from the environment, adds the Lambda context and publishes metrics per invocation', async () => {
    const handler = createHandler({ s3: s3.client(), logger, metrics, env });
    const result = await handler(mskEvent([message(9, 3, order('h-3')), message(9, 4, '[]')]), { awsRequestId: 'req-1' } as Context);
    expect(result).toMatchObject({ stored: 1, quarantined: 1 });
    expect(logger.contexts).toHaveLength(1);
    expect(metrics.dimensions).toEqual({ dataset: DATASET });
    expect([metrics.value('RecordsReceived'), metrics.value('RecordsStored'), metrics.value('RecordsQuarantined'), metrics.value('ObjectsWritten')]).toEqual([2, 1, 1, 2]);
    expect(metrics.publishes).toBe(1);
  });

  test('a bad environment fails with every problem listed', async () => {
    const handler = createHandler({ s3: s3.client(), logger, metrics, env: { CURATED_BUCKET: 'Not_A_Bucket', CURATED_KEY_ARN: 'alias/x' } });
    const error = await handler(mskEvent([message(9, 5, order('h-5'))])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems.map((p) => p.path)).toEqual(['DATASET', 'CURATED_BUCKET', 'CURATED_KEY_ARN', 'QUARANTINE_BUCKET', 'QUARANTINE_KEY_ARN']);
    expect(metrics.publishes).toBe(1);
    expect(() => parseStoreSettings(env)).not.toThrow();
    // Both keys are sent as SSEKMSKeyId, which the buckets' policies compare with the key ARN: no alias.
    expect(() => parseStoreSettings({ ...env, QUARANTINE_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:alias/q' })).toThrow(/QUARANTINE_KEY_ARN/);
    expect(() => parseStoreSettings({ ...env, QUARANTINE_KEY_ARN: undefined })).toThrow(/QUARANTINE_KEY_ARN: is not set/);
  });
});
