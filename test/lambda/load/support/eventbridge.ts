/**
 * S3 "Object Created" events as EventBridge delivers them to the load queue (the bare event as the SQS body), and
 * a local reading of the load rule's pattern (exact bucket names, key wildcards) for the local run and the tests.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 */
import { randomUUID } from 'node:crypto';
import { encodeNotificationKey } from '../../../helpers/local-s3';

export interface ObjectCreatedEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly version: '0';
    readonly bucket: { readonly name: string };
    readonly object: { readonly key: string; readonly size: number; readonly etag: string; readonly 'version-id'?: string; readonly sequencer: string };
    readonly 'request-id': string;
    readonly requester: string;
    readonly reason: string;
  };
}

/** The event for a PutObject of `key` (URL-encoded as S3 encodes keys in its events). */
export function objectCreatedEvent(bucket: string, key: string, options: { versionId?: string; detailType?: string } = {}): ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': options.detailType ?? 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key: encodeNotificationKey(key), size: 1, etag: 'e', ...(options.versionId ? { 'version-id': options.versionId } : {}), sequencer: '00' },
      'request-id': 'R',
      requester: '111122223333',
      reason: 'PutObject',
    },
  };
}

export function objectCreatedBody(bucket: string, key: string, options: { versionId?: string; detailType?: string } = {}): string {
  return JSON.stringify(objectCreatedEvent(bucket, key, options));
}

/** EventBridge wildcard matching: `*` stands for any run of characters, everything else matches itself. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** Whether the load rule (source, detail-type, bucket names, key wildcards) routes `event` to the queue. */
export function loadRuleMatches(event: ObjectCreatedEvent, buckets: readonly string[], keyWildcards: readonly string[]): boolean {
  return event.source === 'aws.s3' && event['detail-type'] === 'Object Created' && buckets.includes(event.detail.bucket.name)
    && keyWildcards.some((w) => wildcardMatches(w, event.detail.object.key));
}
