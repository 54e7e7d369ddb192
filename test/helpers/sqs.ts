/** SQS events carrying S3 event notifications, as S3 → SQS → Lambda delivers them (aws-lambda SQSEvent). */
import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { encodeNotificationKey } from './local-s3';

export const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:111122223333:pipeline-load';

/** The body S3 sends for one ObjectCreated:Put of `key` (URL-encoded as S3 does). */
export function objectCreatedBody(bucket: string, key: string, eventName = 'ObjectCreated:Put'): string {
  return JSON.stringify({
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: new Date().toISOString(),
      eventName,
      s3: { s3SchemaVersion: '1.0', configurationId: 'curated-to-load', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodeNotificationKey(key), size: 1, sequencer: '0' } },
    }],
  });
}

/** The message S3 sends once when the notification is configured. */
export const TEST_EVENT_BODY = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-05-01T12:00:00.000Z', Bucket: 'curated-internal', RequestId: 'R', HostId: 'H' });

export function sqsRecord(body: string, messageId: string = randomUUID(), receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'eu-west-1',
  };
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}
