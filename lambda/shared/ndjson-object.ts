/**
 * Gzip NDJSON objects in S3, the format of the curated and quarantine buckets: one JSON document per line,
 * gzipped, written with SSE-KMS. Decoding is bounded (a decompression bomb fails instead of filling memory) and
 * never quotes the content in its errors.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The part of an S3 client the stages use (a real S3Client; tests pass one pointed at a local S3 server). */
export type S3ClientLike = Pick<S3Client, 'send'>;

/** Largest uncompressed object read back. The store writes at most one ESM batch (6 MB payload) per object. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024;

export interface EncodedNdjson {
  /** The gzipped body. */
  readonly body: Buffer;
  readonly lines: number;
  /** SHA-256 (hex) of the uncompressed NDJSON text. */
  readonly sha256: string;
  readonly uncompressedBytes: number;
}

/**
 * One line per value (JSON.stringify never emits a raw newline, so a value cannot split into two lines).
 * Gzip output is deterministic for the same input: Node writes no file name or modification time in the header.
 */
export function encodeNdjson(values: readonly unknown[]): EncodedNdjson {
  const text = values.map((v) => `${JSON.stringify(v)}\n`).join('');
  const raw = Buffer.from(text, 'utf8');
  return { body: gzipSync(raw), lines: values.length, sha256: sha256Hex(raw), uncompressedBytes: raw.length };
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One line of an NDJSON object: its parsed value, or why it could not be parsed (never the text itself). */
export type NdjsonLine =
  | { readonly line: number; readonly ok: true; readonly value: unknown }
  | { readonly line: number; readonly ok: false; readonly reason: string };

export interface DecodedNdjson {
  readonly lines: readonly NdjsonLine[];
  /** SHA-256 (hex) of the uncompressed text, to compare with the writer's checksum. */
  readonly sha256: string;
}

/** The body is not gzip, or is larger than allowed once uncompressed. */
export class NdjsonObjectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NdjsonObjectError';
  }
}

/** Gunzips and splits a body into lines (1-based numbers; empty lines are skipped). */
export function decodeNdjson(body: Buffer, maxUncompressedBytes = DEFAULT_MAX_UNCOMPRESSED_BYTES): DecodedNdjson {
  let raw: Buffer;
  try {
    raw = gunzipSync(body, { maxOutputLength: maxUncompressedBytes });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new NdjsonObjectError(
      code === 'ERR_BUFFER_TOO_LARGE'
        ? `the object is larger than ${maxUncompressedBytes} bytes uncompressed`
        : `the object is not valid gzip (${code ?? 'unknown error'})`,
      { cause: e },
    );
  }
  const lines: NdjsonLine[] = [];
  raw.toString('utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      lines.push({ line: i + 1, ok: true, value: JSON.parse(text) });
    } catch {
      // JSON.parse's message quotes the input: only the line number and its size are reported.
      lines.push({ line: i + 1, ok: false, reason: `line ${i + 1} (${Buffer.byteLength(text)} bytes) is not valid JSON` });
    }
  });
  return { lines, sha256: sha256Hex(raw) };
}

export interface PutNdjsonProps {
  readonly bucket: string;
  readonly key: string;
  readonly encoded: EncodedNdjson;
  /**
   * The bucket's KMS key (full key ARN), sent as the SSE-KMS key. Required: S3 encrypts an `aws:kms` upload that
   * names no key under the AWS managed key aws/s3, and the buckets' policies refuse such an upload.
   */
  readonly kmsKeyArn: string;
  /** User metadata (x-amz-meta-*): names in lower case, values ASCII. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Writes (or overwrites) one gzip NDJSON object with SSE-KMS and an S3 bucket key. */
export async function putNdjsonObject(s3: S3ClientLike, props: PutNdjsonProps): Promise<void> {
  await s3.send(new PutObjectCommand({
    Bucket: props.bucket,
    Key: props.key,
    Body: props.encoded.body,
    ContentType: 'application/x-ndjson',
    ContentEncoding: 'gzip',
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: props.kmsKeyArn,
    BucketKeyEnabled: true,
    ...(props.metadata !== undefined ? { Metadata: { ...props.metadata } } : {}),
  }));
}

export interface FetchedObject {
  readonly body: Buffer;
  readonly metadata: Readonly<Record<string, string>>;
  readonly versionId?: string;
}

/** Reads a whole object (the stored bytes: the SDK does not decompress a Content-Encoding: gzip body). */
export async function getObjectBytes(s3: S3ClientLike, bucket: string, key: string, versionId?: string): Promise<FetchedObject> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}) }));
  if (out.Body === undefined) throw new NdjsonObjectError(`s3://${bucket}/${key} has no body`);
  const body = Buffer.from(await out.Body.transformToByteArray());
  return { body, metadata: out.Metadata ?? {}, ...(out.VersionId !== undefined ? { versionId: out.VersionId } : {}) };
}

/** The UTC calendar date (YYYY-MM-DD) of an instant, as used in `dt=` partitions. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}
