/** MSK producer settings, broker parsing and message batching (faked Kafka where a producer is needed). */
import type { LogEntry, SASLOptions } from 'kafkajs';
import { logLevel } from 'kafkajs';
import {
  createMskProducer,
  messageBatches,
  messageBytes,
  mskKafkaConfig,
  parseBrokers,
  produceAll,
  PRODUCER_CONFIG,
  recordMessage,
} from '../../../lambda/ingest/kafka';
import { exampleDataset, FakeProducer } from './support/fakes';

const logs: Array<[string, string, Record<string, unknown>]> = [];
const logger = {
  warn: (m: string, a: Record<string, unknown>) => void logs.push(['warn', m, a]),
  error: (m: string, a: Record<string, unknown>) => void logs.push(['error', m, a]),
};

describe('MSK connection settings', () => {
  test('TLS with certificate verification and TLS 1.2+, SASL OAUTHBEARER with a signed MSK IAM token', async () => {
    const regions: string[] = [];
    const config = mskKafkaConfig({
      brokers: ['b-1.example:9098'], region: 'eu-west-1', clientId: 'ingest-x', logger,
      authToken: async (region) => {
        regions.push(region);
        return 'signed-token';
      },
    });
    expect(config.ssl).toEqual({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    const sasl = config.sasl as Extract<SASLOptions, { mechanism: 'oauthbearer' }>;
    expect(sasl.mechanism).toBe('oauthbearer');
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'signed-token' });
    expect(regions).toEqual(['eu-west-1']);
  });

  test('the producer is idempotent with acks=all semantics, one request in flight and no topic auto-creation', () => {
    expect(PRODUCER_CONFIG).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const producer = createMskProducer({ brokers: ['b-1.example:9098'], region: 'eu-west-1', clientId: 'ingest-x', logger });
    expect((producer as unknown as { isIdempotent(): boolean }).isIdempotent()).toBe(true);
  });

  test('forwards kafkajs warnings and errors with a fixed set of fields, and nothing below WARN', () => {
    logs.length = 0;
    const config = mskKafkaConfig({ brokers: ['b:9098'], region: 'eu-west-1', clientId: 'c', logger });
    const log = config.logCreator!(logLevel.WARN);
    const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}): LogEntry =>
      ({ namespace: 'Producer', level, label: '', log: { timestamp: '', logger: 'kafkajs', message, ...extra } }) as LogEntry;
    log(entry(logLevel.ERROR, 'Connection error', { broker: 'b:9098', error: 'ECONNREFUSED', payload: 'record bytes' }));
    log(entry(logLevel.INFO, 'Connected'));
    log(entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    expect(logs).toEqual([['error', 'kafkajs: Connection error', { kafkaNamespace: 'Producer', broker: 'b:9098', error: 'ECONNREFUSED' }]]);
  });
});

describe('BOOTSTRAP_BROKERS', () => {
  test('accepts SASL/IAM brokers on 9098', () => {
    expect(parseBrokers(' b-1.msk.example:9098, b-2.msk.example:9098 ')).toEqual(['b-1.msk.example:9098', 'b-2.msk.example:9098']);
  });

  test('refuses plaintext and unauthenticated listeners and malformed entries, all at once', () => {
    expect(() => parseBrokers('b-1:9092,b-2:9094,nohost')).toThrow(
      /"b-1:9092" uses port 9092[\s\S]*"b-2:9094" uses port 9094[\s\S]*"nohost" is not host:port/,
    );
    expect(() => parseBrokers('')).toThrow(/BOOTSTRAP_BROKERS: is empty/);
  });
});

describe('messages', () => {
  const dataset = exampleDataset('customer_orders');

  test('key = the handled id, value = the handled record plus _ingestedAt and _dataset', () => {
    const message = recordMessage({ order_id: 'o-1', amount: 3, customer_email: 'v1:ab' }, dataset, '2024-05-01T00:00:00.000Z');
    expect(message.key).toBe('o-1');
    expect(JSON.parse(String(message.value))).toEqual({
      order_id: 'o-1', amount: 3, customer_email: 'v1:ab', _ingestedAt: '2024-05-01T00:00:00.000Z', _dataset: 'customer_orders',
    });
  });

  test('batches stay under the byte limit, a single larger message goes alone, and order is kept', () => {
    const m = (n: number, size: number) => ({ key: `k${n}`, value: 'x'.repeat(size - 2) });
    const batches = messageBatches([m(1, 40), m(2, 40), m(3, 40), m(4, 200), m(5, 10)], 100);
    expect(batches.map((b) => b.map((x) => x.key))).toEqual([['k1', 'k2'], ['k3'], ['k4'], ['k5']]);
    expect(batches.every((b) => b.length === 1 || b.reduce((s, x) => s + messageBytes(x), 0) <= 100)).toBe(true);
  });

  test('produceAll sends every batch with acks=-1 in order (faked Kafka)', async () => {
    const producer = new FakeProducer();
    await producer.connect();
    const messages = Array.from({ length: 5 }, (_, n) => ({ key: `k${n}`, value: 'x'.repeat(30) }));
    await produceAll(producer, 't.clean', messages, 70);
    expect(producer.sent.map((b) => [b.topic, b.acks, b.messages.length])).toEqual([['t.clean', -1, 2], ['t.clean', -1, 2], ['t.clean', -1, 1]]);
    expect(producer.keys).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
  });
});
