/** Quarantine objects: key layout, gzip NDJSON body, SSE-KMS (faked S3). */
import { createS3QuarantineWriter, quarantineKey } from '../../../lambda/ingest/quarantine';
import { createFakeS3, FakeS3, QUARANTINE_KEY_ARN } from './support/fakes';

let s3: FakeS3;
beforeEach(() => {
  s3 = createFakeS3();
});
afterEach(() => s3.restore());

describe('quarantine writer (faked S3)', () => {
  const at = new Date('2024-05-01T23:59:59.999Z');

  test('one object per run and page under dataset=/dt= (UTC date)', () => {
    expect(quarantineKey('patient_visits', 'c0ffee-1', 3, at)).toBe('dataset=patient_visits/dt=2024-05-01/c0ffee-1-3.jsonl.gz');
    expect(() => quarantineKey('d', '../escape', 1, at)).toThrow(/runId must be/);
    expect(() => quarantineKey('d', 'r', 0, at)).toThrow(/page must be a positive integer/);
  });

  test('writes gzip NDJSON with SSE-KMS, one line per record with its reasons', async () => {
    const writer = createS3QuarantineWriter(s3.client, 'q-bucket', QUARANTINE_KEY_ARN);
    const key = await writer.write({
      dataset: 'd', runId: 'r1', page: 2, quarantinedAt: at,
      entries: [
        { index: 0, form: 'handled', record: { id: 'a', secret: 'v1:00' }, reasons: ['field "x" is required but missing'] },
        { index: 5, form: 'redacted', record: { id: 'b', secret: '[REDACTED]' }, reasons: ['the record is not a JSON object (got string)'] },
      ],
    });
    expect(key).toBe('dataset=d/dt=2024-05-01/r1-2.jsonl.gz');
    expect(s3.puts()[0]).toMatchObject({
      Bucket: 'q-bucket', Key: key, ServerSideEncryption: 'aws:kms', ContentType: 'application/x-ndjson', ContentEncoding: 'gzip',
    });
    // The key is named: S3 would encrypt an `aws:kms` upload without one under aws/s3, and the bucket policy refuses it.
    expect(s3.puts()[0]).toMatchObject({ SSEKMSKeyId: QUARANTINE_KEY_ARN, BucketKeyEnabled: true });
    expect(s3.lines(key)).toEqual([
      { dataset: 'd', runId: 'r1', page: 2, index: 0, quarantinedAt: at.toISOString(), reasons: ['field "x" is required but missing'], form: 'handled', record: { id: 'a', secret: 'v1:00' } },
      { dataset: 'd', runId: 'r1', page: 2, index: 5, quarantinedAt: at.toISOString(), reasons: ['the record is not a JSON object (got string)'], form: 'redacted', record: { id: 'b', secret: '[REDACTED]' } },
    ]);
  });
});
