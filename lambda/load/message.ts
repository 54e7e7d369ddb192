/**
 * The SQS messages the load function receives: S3 event notifications of the curated buckets, sent by S3 to the
 * queue directly (no SNS envelope), and the `s3:TestEvent` S3 sends when the notification is configured.
 * Object keys arrive URL-encoded (as in an HTML form: `+` for a space); they are decoded here.
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
  if (object.Event === 's3:TestEvent') return { kind: 'test' };
  if (!Array.isArray(object.Records)) {
    throw new MessageFormatError('The message has no Records list; expected an S3 event notification (S3 → SQS, without SNS)');
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
        'limit the bucket notification to the prefix "dataset=" and the suffix ".jsonl.gz"',
    );
  }
  return { dataset: m[1], dt: m[2], file: m[3] };
}

/** Where the rows of a curated object that the database refused go (deterministic: a retry overwrites it). */
export function loadQuarantineKey(curated: CuratedKey): string {
  return `dataset=${curated.dataset}/dt=${curated.dt}/load-${curated.file}`;
}
