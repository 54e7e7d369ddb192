/**
 * The SQS messages the load function receives. In production: S3 "Object Created" events of the curated buckets,
 * routed by the load stage's EventBridge rule to the queue as the bare event (no input transformer).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * Also understood, for messages queued before the pipeline moved to EventBridge: S3 event notifications sent to
 * the queue directly (no SNS envelope), and the `s3:TestEvent` S3 sends when such a notification is configured.
 * Object keys arrive URL-encoded in both shapes (as in an HTML form: `+` for a space, `=` may be `%3D`); they are
 * decoded here.
 */
import { DATASET_NAME } from '../shared/environment';

export interface ObjectRef {
  readonly bucket: string;
  /** Decoded object key. */
  readonly key: string;
  readonly versionId?: string;
  readonly eventName: string;
}

export type MessageContent =
  | { readonly kind: 'test' }
  | { readonly kind: 'objects'; readonly objects: readonly ObjectRef[]; readonly ignoredEvents: number };

/** The message is not an S3 event notification; retries cannot help, so it ends in the queue's DLQ. */
export class MessageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageFormatError';
  }
}

/** Decodes a key from an S3 event notification. */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, '%20'));
  } catch {
    throw new MessageFormatError('An object key in the notification is not valid URL encoding');
  }
}

export function parseMessageBody(body: string): MessageContent {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new MessageFormatError(`The message body (${Buffer.byteLength(body)} bytes) is not JSON; expected an S3 event notification`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new MessageFormatError('The message body is not a JSON object; expected an S3 event notification');
  }
  const object = doc as Record<string, unknown>;
  if (object.source === 'aws.s3' && 'detail-type' in object) return parseEventBridgeEvent(object);
  if (object.Event === 's3:TestEvent') return { kind: 'test' };
  if (!Array.isArray(object.Records)) {
    throw new MessageFormatError('The message has no Records list; expected an S3 Object Created event from EventBridge or an S3 event notification (S3 → SQS, without SNS)');
  }
  const objects: ObjectRef[] = [];
  let ignoredEvents = 0;
  for (const record of object.Records as unknown[]) {
    const r = record as { eventSource?: unknown; eventName?: unknown; s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; versionId?: unknown } } };
    if (r?.eventSource !== 'aws:s3' || typeof r.eventName !== 'string') {
      throw new MessageFormatError('A record of the message is not an S3 event (eventSource aws:s3 with an eventName)');
    }
    if (!r.eventName.startsWith('ObjectCreated:')) {
      ignoredEvents += 1;
      continue;
    }
    const bucket = r.s3?.bucket?.name;
    const key = r.s3?.object?.key;
    if (typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') {
      throw new MessageFormatError('An ObjectCreated record of the message has no bucket name or object key');
    }
    const versionId = r.s3?.object?.versionId;
    objects.push({
      bucket,
      key: decodeS3Key(key),
      eventName: r.eventName,
      ...(typeof versionId === 'string' && versionId !== '' ? { versionId } : {}),
    });
  }
  return { kind: 'objects', objects, ignoredEvents };
}

/** One S3 event as EventBridge delivers it: `detail.bucket.name`, `detail.object.key` / `version-id`, `detail.reason`. */
function parseEventBridgeEvent(event: Record<string, unknown>): MessageContent {
  const detailType = event['detail-type'];
  if (typeof detailType !== 'string') throw new MessageFormatError('The S3 event on EventBridge has no detail-type');
  if (detailType !== 'Object Created') return { kind: 'objects', objects: [], ignoredEvents: 1 };
  const detail = event.detail as { bucket?: { name?: unknown }; object?: { key?: unknown; 'version-id'?: unknown }; reason?: unknown } | undefined;
  const bucket = detail?.bucket?.name;
  const key = detail?.object?.key;
  if (typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') {
    throw new MessageFormatError('The Object Created event has no detail.bucket.name or detail.object.key');
  }
  const versionId = detail?.object?.['version-id'];
  const reason = typeof detail?.reason === 'string' && /^[A-Za-z]{1,64}$/.test(detail.reason) ? `:${detail.reason}` : '';
  return {
    kind: 'objects',
    objects: [{ bucket, key: decodeS3Key(key), eventName: `Object Created${reason}`, ...(typeof versionId === 'string' && versionId !== '' ? { versionId } : {}) }],
    ignoredEvents: 0,
  };
}

export interface CuratedKey {
  readonly dataset: string;
  readonly dt: string;
  /** `<partition>-<firstOffset>-<lastOffset>.jsonl.gz` */
  readonly file: string;
}

const CURATED_KEY = /^dataset=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/([A-Za-z0-9._-]+\.jsonl\.gz)$/;

/** Reads the dataset from a curated key (`dataset=<name>/dt=YYYY-MM-DD/<file>.jsonl.gz`, lambda/store/layout.ts). */
export function parseCuratedKey(key: string): CuratedKey {
  const m = CURATED_KEY.exec(key);
  if (!m || !DATASET_NAME.test(m[1])) {
    throw new MessageFormatError(
      `Object key "${key.slice(0, 300)}" is not a curated object (dataset=<name>/dt=YYYY-MM-DD/<file>.jsonl.gz); ` +
        'the load stage\'s EventBridge rule should only route keys of that shape',
    );
  }
  return { dataset: m[1], dt: m[2], file: m[3] };
}

/** Where the rows of a curated object that the database refused go (deterministic: a retry overwrites it). */
export function loadQuarantineKey(curated: CuratedKey): string {
  return `dataset=${curated.dataset}/dt=${curated.dt}/load-${curated.file}`;
}
