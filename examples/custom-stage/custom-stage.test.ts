/**
 * A team's CI for example (c): the handler's logic, the stage's least privilege in the synthesized template, every
 * pack, and a snapshot through the package's stable serializer.
 */
import type { MSKRecord } from 'aws-lambda';
import { checkCompliance, stableTemplateSerializer, templateOf } from 'secure-data-pipeline/testing';
import { readOrder, summarize, summaryKey } from './handler/curate';
import { buildCustomStageApp, CONSUMER_GROUP, SOURCE_TOPIC, STACK_NAME, SUMMARY_PREFIX } from './stack';

expect.addSnapshotSerializer(stableTemplateSerializer);

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

function record(offset: number, value: unknown): MSKRecord {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { topic: SOURCE_TOPIC, partition: 2, offset, timestamp: 0, timestampType: 'CREATE_TIME', key: '', value: Buffer.from(text).toString('base64'), headers: [] };
}

const order = (amount: number, status = 'paid') => ({ _dataset: 'customer_orders', ordered_at: '2026-12-01T10:00:00Z', amount, currency: 'EUR', status });

describe('the handler', () => {
  test('sums orders per day, currency and status; lists unreadable records by offset, never their bytes', () => {
    const summary = summarize(SOURCE_TOPIC, [record(7, order(10.1)), record(8, order(5.2)), record(9, order(3, 'refunded')), record(10, 'not json {'), record(11, { _dataset: 'other' })]);
    expect(summary.totals).toEqual({ '2026-12-01|EUR|paid': { count: 2, amount: 15.3 }, '2026-12-01|EUR|refunded': { count: 1, amount: 3 } });
    expect(summary.unreadable).toEqual([
      { partition: 2, offset: 10, reason: 'the value is not JSON' },
      { partition: 2, offset: 11, reason: 'not a customer_orders record' },
    ]);
    expect(JSON.stringify(summary)).not.toContain('not json');
    expect([summary.firstOffset, summary.lastOffset]).toEqual([7, 11]);
  });

  test('a retried batch writes the same key, so it overwrites instead of counting twice', () => {
    const batch = [record(7, order(1)), record(8, order(2))];
    expect(summaryKey(SUMMARY_PREFIX, summarize(SOURCE_TOPIC, batch))).toBe(summaryKey(SUMMARY_PREFIX, summarize(SOURCE_TOPIC, [...batch].reverse())));
    expect(readOrder(record(1, { ...order(1), amount: 'ten' }))).toEqual({ reason: 'amount is not a number' });
  });
});

describe('the stage in the pipeline', () => {
  const { result } = checkCompliance((app) => { buildCustomStageApp(app); });
  const template = templateOf(result, STACK_NAME) as Template;
  const policies = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy');
  const stagePolicy = policies.find(([id]) => id.startsWith('OrdersDailyFunctionRolePolicy'))![1];
  const statements = JSON.stringify((stagePolicy.Properties!.PolicyDocument as { Statement: unknown[] }).Statement);

  test('reads only its topic as its own group, and writes only under its prefix', () => {
    expect(statements).toContain(`/${SOURCE_TOPIC}`);
    expect(statements).toContain(`/${CONSUMER_GROUP}`);
    expect(statements).not.toMatch(/patient_visits|weather_observations/);
    expect(statements).toContain(`/${SUMMARY_PREFIX}/*`);
    expect(statements).not.toMatch(/"s3:\*"|"kafka-cluster:\*"/);
  });

  test('consumes through an event source mapping whose failed batches go to the quarantine bucket', () => {
    const mapping = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping'
      && JSON.stringify(r.Properties?.Topics) === JSON.stringify([SOURCE_TOPIC])
      && (r.Properties?.AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId?: string })?.ConsumerGroupId === CONSUMER_GROUP)!;
    expect(mapping).toBeDefined();
    expect(JSON.stringify(mapping.Properties?.DestinationConfig)).toMatch(/Quarantine/);
  });

  test('the stage, as reviewed', () => {
    const stage = Object.fromEntries(Object.entries(template.Resources).filter(([id]) => id.startsWith('OrdersDaily')));
    expect(stage).toMatchSnapshot();
  });
});
