/**
 * A real S3-compatible server on 127.0.0.1 (s3rver, objects in a temp directory) for handler tests and the local
 * run, reached through the real @aws-sdk/client-s3. It records the headers of every request (to check the
 * encryption headers the stages send), forwards ObjectCreated notifications in the shape S3 sends them to SQS
 * (keys URL-encoded), and can answer chosen requests with an error, as S3 does under load (503 SlowDown).
 *
 * s3rver does not implement SSE-KMS: it accepts and ignores the headers, so tests assert them on the wire.
 */
import * as fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { listAllKeys } from '../../scripts/local-run/s3-listing';

/** A variable specifier: s3rver ships no types, so it is loaded untyped and described by the interfaces below. */
const S3RVER = 's3rver';

interface KoaContext {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  status: number;
  body: unknown;
  type: string;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverInstance {
  readonly middleware: KoaMiddleware[];
  on(event: 'event', listener: (event: { Records: S3NotificationRecord[] }) => void): void;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/** The part of an S3 event notification record the pipeline reads. */
export interface S3NotificationRecord {
  readonly eventSource: string;
  readonly eventName: string;
  readonly eventTime: string;
  readonly s3: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string; readonly size?: number; readonly sequencer?: string } };
}

export interface RecordedS3Request {
  readonly method: string;
  /** Path-style: `/<bucket>/<key>` (decoded). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface InjectedFault {
  /** Which requests fail. */
  readonly matches: (request: RecordedS3Request) => boolean;
  /** How many matching requests fail before the fault is spent. @default 1 */
  readonly times?: number;
  /** @default 503 (SlowDown) */
  readonly status?: number;
}

export interface LocalS3 {
  readonly endpoint: string;
  /** Every request so far, in order. */
  readonly requests: readonly RecordedS3Request[];
  /** A real S3 client for this server. `maxAttempts: 1` lets an injected fault reach the caller. @default SDK default */
  client(options?: { maxAttempts?: number }): S3Client;
  /** Called for every ObjectCreated notification, with the key URL-encoded as S3 sends it. */
  onObjectCreated(listener: (record: S3NotificationRecord) => void): void;
  /** Adds a fault; it answers matching requests with an S3 error until spent. */
  injectFault(fault: InjectedFault): void;
  /** How many requests the faults answered. */
  faultsServed(): number;
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** The parsed lines (gunzipped NDJSON) and user metadata of an object. */
  readNdjson(bucket: string, key: string): Promise<{ lines: unknown[]; metadata: Record<string, string>; body: Buffer }>;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Encodes a key as S3 does in event notifications (form encoding: `+` for a space; `/` kept). */
export function encodeNotificationKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-'));
  const { default: S3rver } = (await import(S3RVER)) as { default: S3rverConstructor };
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const requests: RecordedS3Request[] = [];
  const faults: Array<{ fault: InjectedFault; left: number }> = [];
  let served = 0;
  // Before s3rver's own middleware: record, then maybe fail the request as S3 would.
  server.middleware.unshift(async (ctx, next) => {
    const request: RecordedS3Request = { method: ctx.method, path: safeDecode(ctx.path), headers: { ...ctx.headers } };
    requests.push(request);
    const active = faults.find((f) => f.left > 0 && f.fault.matches(request));
    if (active) {
      active.left -= 1;
      served += 1;
      ctx.status = active.fault.status ?? 503;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
      return;
    }
    await next();
  });
  const listeners: Array<(record: S3NotificationRecord) => void> = [];
  server.on('event', (event) => {
    for (const record of event.Records) {
      if (!record.eventName.startsWith('ObjectCreated:')) continue;
      const encoded = { ...record, s3: { ...record.s3, object: { ...record.s3.object, key: encodeNotificationKey(record.s3.object.key) } } };
      listeners.forEach((l) => l(encoded));
    }
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  const client = (options: { maxAttempts?: number } = {}) => {
    const c = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials, ...options });
    clients.push(c);
    return c;
  };
  const reader = client();
  return {
    endpoint,
    requests,
    client,
    onObjectCreated: (listener) => listeners.push(listener),
    injectFault: (fault) => faults.push({ fault, left: fault.times ?? 1 }),
    faultsServed: () => served,
    // ListObjects (V1) with markers: s3rver builds V2 continuation tokens with DES, which OpenSSL 3 refuses past
    // 1,000 keys (scripts/local-run/s3-listing.ts, test/local-run/s3-listing.test.ts).
    keys: async (bucket, prefix) => (await listAllKeys(reader, bucket, prefix)).sort(),
    readNdjson: async (bucket, key) => {
      const out = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(await out.Body!.transformToByteArray());
      const lines = gunzipSync(body).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
      return { lines, metadata: out.Metadata ?? {}, body };
    },
    stop: async () => {
      clients.forEach((c) => c.destroy());
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}
