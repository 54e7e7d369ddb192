/**
 * Invalid records go to the quarantine bucket: one gzip NDJSON object per run and page, at
 * `dataset=<name>/dt=YYYY-MM-DD/<runId>-<page>.jsonl.gz` (UTC date), written with SSE-KMS under the bucket's
 * key, named in the request (QUARANTINE_KEY_ARN): S3 would use the AWS managed key aws/s3 for an `aws:kms` upload
 * that names no key, and the bucket's policy refuses such an upload.
 *
 * A line holds the record as protected as it can be — after applyFieldHandlings, or redactForLog when the record
 * cannot be handled — plus value-free reasons: no Restricted or non-`keep` value is ever written in the clear.
 * A Lambda retry of the same invocation reuses its request id as runId, so it overwrites rather than duplicates.
 */
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ProtectedRecord, RedactedRecord } from '../shared/field-handling';

export interface QuarantineEntry {
  /** Position of the record in its page (0-based). */
  readonly index: number;
  /** `handled`: after applyFieldHandlings; `redacted`: redactForLog, because handling itself failed. */
  readonly form: 'handled' | 'redacted';
  readonly record: ProtectedRecord | RedactedRecord;
  /** Why the record was refused; names fields and rules, never values. */
  readonly reasons: readonly string[];
}

export interface QuarantineBatch {
  readonly dataset: string;
  readonly runId: string;
  /** 1-based page number within the run. */
  readonly page: number;
  readonly quarantinedAt: Date;
  readonly entries: readonly QuarantineEntry[];
}

export interface QuarantineWriter {
  /** Writes the batch and returns its object key. */
  write(batch: QuarantineBatch): Promise<string>;
}

export type S3ClientLike = Pick<S3Client, 'send'>;

const RUN_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function quarantineKey(dataset: string, runId: string, page: number, at: Date): string {
  if (!RUN_ID.test(runId)) throw new Error('runId must be 1-128 characters of A-Z a-z 0-9 . _ -');
  if (!Number.isSafeInteger(page) || page < 1) throw new Error('page must be a positive integer');
  return `dataset=${dataset}/dt=${at.toISOString().slice(0, 10)}/${runId}-${page}.jsonl.gz`;
}

/** The object body: one JSON line per entry, gzipped. */
export function quarantineBody(batch: QuarantineBatch): Buffer {
  const quarantinedAt = batch.quarantinedAt.toISOString();
  const lines = batch.entries.map((entry) => JSON.stringify({
    dataset: batch.dataset,
    runId: batch.runId,
    page: batch.page,
    index: entry.index,
    quarantinedAt,
    reasons: entry.reasons,
    form: entry.form,
    record: entry.record,
  }));
  return gzipSync(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
}

export function createS3QuarantineWriter(s3: S3ClientLike, bucket: string, kmsKeyArn: string): QuarantineWriter {
  return {
    async write(batch) {
      const key = quarantineKey(batch.dataset, batch.runId, batch.page, batch.quarantinedAt);
      await s3.send(new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: quarantineBody(batch),
        ContentType: 'application/x-ndjson',
        ContentEncoding: 'gzip',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyArn,
        BucketKeyEnabled: true,
      }));
      return key;
    },
  };
}
