/**
 * The team's handler for example (c): a daily summary of customer orders (count and total per currency and status)
 * from one batch of the `customer_orders.clean` topic, written as one JSON object per partition batch into the
 * Internal curated bucket. The object key names the partition and offsets, so a retried batch overwrites its own
 * summary instead of counting twice. A record that does not decode is listed in the summary by partition and offset
 * (never its bytes); the store stage keeps the record itself, from the same topic. A failed write throws: the event
 * source mapping retries the batch and finally hands it, records included, to the quarantine bucket.
 *
 * Runs in the isolated compute tier: S3 through the gateway endpoint; the AWS SDK comes from the Lambda runtime.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { MSKEvent, MSKRecord } from 'aws-lambda';

export interface Summary {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** Per `ordered_at` date, currency and status: how many orders and their total amount. */
  readonly totals: Record<string, { count: number; amount: number }>;
  readonly unreadable: { partition: number; offset: number; reason: string }[];
}

/** One record's contribution, or why it cannot make one. */
export function readOrder(record: MSKRecord): { key: string; amount: number } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(record.value ?? '', 'base64').toString('utf8'));
  } catch {
    return { reason: 'the value is not JSON' };
  }
  const order = value as Record<string, unknown>;
  if (typeof order !== 'object' || order === null || order._dataset !== 'customer_orders') return { reason: 'not a customer_orders record' };
  const { ordered_at: orderedAt, amount, currency, status } = order;
  if (typeof orderedAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(orderedAt)) return { reason: 'ordered_at is not a timestamp' };
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return { reason: 'amount is not a number' };
  if (typeof currency !== 'string' || typeof status !== 'string') return { reason: 'currency or status is missing' };
  return { key: `${orderedAt.slice(0, 10)}|${currency}|${status}`, amount };
}

export function summarize(topic: string, records: readonly MSKRecord[]): Summary {
  const totals: Summary['totals'] = {};
  const unreadable: Summary['unreadable'] = [];
  for (const record of records) {
    const order = readOrder(record);
    if ('reason' in order) {
      unreadable.push({ partition: record.partition, offset: record.offset, reason: order.reason });
      continue;
    }
    const total = (totals[order.key] ??= { count: 0, amount: 0 });
    total.count += 1;
    total.amount = Math.round((total.amount + order.amount) * 100) / 100;
  }
  const offsets = records.map((r) => r.offset);
  return { topic, partition: records[0]!.partition, firstOffset: Math.min(...offsets), lastOffset: Math.max(...offsets), totals, unreadable };
}

/** The summary's object key: the batch's own coordinates, so a retry of the same batch writes the same object. */
export function summaryKey(prefix: string, summary: Summary): string {
  return `${prefix}/topic=${summary.topic}/partition=${summary.partition}/${String(summary.firstOffset).padStart(20, '0')}-${String(summary.lastOffset).padStart(20, '0')}.json`;
}

const s3 = new S3Client({});

export async function handler(event: MSKEvent): Promise<{ written: string[] }> {
  const bucket = process.env.CURATED_BUCKET;
  const keyArn = process.env.CURATED_KEY_ARN;
  const prefix = process.env.SUMMARY_PREFIX;
  if (!bucket || !keyArn || !prefix) throw new Error('CURATED_BUCKET, CURATED_KEY_ARN and SUMMARY_PREFIX must be set');
  const written: string[] = [];
  for (const records of Object.values(event.records)) {
    if (records.length === 0) continue;
    const summary = summarize(records[0]!.topic, records);
    const key = summaryKey(prefix, summary);
    // The bucket policy admits only SSE-KMS under the bucket's own key, named explicitly.
    await s3.send(new PutObjectCommand({
      Bucket: bucket, Key: key, Body: JSON.stringify(summary), ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn,
    }));
    written.push(key);
  }
  return { written };
}
