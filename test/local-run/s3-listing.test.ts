/**
 * Regression for the local run's `InternalError: We encountered an internal error` at volume. The cause: the local
 * S3 server (s3rver 3.7) makes the NextContinuationToken of a truncated ListObjectsV2 page with DES, which OpenSSL 3
 * (Node 17+) refuses, so listing more than 1,000 keys with V2 fails on its second page; the local run listed the
 * curated bucket that way when counting. It now lists with ListObjects markers (scripts/local-run/s3-listing.ts).
 * 1,001 small objects: the smallest bucket that needs a second page.
 */
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { listAllKeys } from '../../scripts/local-run/s3-listing';
import { LocalS3, startLocalS3 } from '../helpers/local-s3';

const BUCKET = 'listing-test';
const COUNT = 1001;
const keyOf = (i: number) => `dataset=orders/dt=2026-01-01/0-${i}-${i}.jsonl.gz`;

let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
  client = s3.client({ maxAttempts: 1 });
  for (let i = 0; i < COUNT; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, COUNT - i) }, (_, j) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(i + j), Body: 'x' }))));
  }
}, 60_000);

afterAll(async () => {
  await s3.stop();
});

test('listAllKeys returns every one of 1,001 keys, sorted, over two pages', async () => {
  const keys = await listAllKeys(client, BUCKET, 'dataset=orders/');
  expect(keys).toHaveLength(COUNT);
  expect(new Set(keys).size).toBe(COUNT);
  expect(keys).toEqual(Array.from({ length: COUNT }, (_, i) => keyOf(i)).sort());
  // Two ListObjects (V1) requests, the second with the first page's last key as its marker.
  const lists = s3.requests.filter((r) => r.method === 'GET' && r.path === `/${BUCKET}/`);
  expect(lists.length).toBeGreaterThanOrEqual(2);
});

test('a prefix with no keys lists nothing', async () => {
  expect(await listAllKeys(client, BUCKET, 'dataset=none/')).toEqual([]);
});

test('the cause: s3rver fails a truncated ListObjectsV2 page on this Node (DES under OpenSSL 3). (if this fails, s3rver was fixed and V2 listing is safe again)', async () => {
  await expect(client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
  // An untruncated V2 page works: the token is made only when there is a next page.
  const small = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'dataset=orders/dt=2026-01-01/0-100' }));
  expect(small.KeyCount).toBeGreaterThan(0);
});
