/**
 * Listing a bucket of the local S3 server (s3rver 3.7) when it holds more than 1,000 keys.
 *
 * Why not ListObjectsV2: s3rver answers a truncated V2 listing (more than `max-keys`, 1,000 by default) with a
 * NextContinuationToken it encrypts with DES (`crypto.createCipheriv('des', …)`). DES is a legacy cipher in
 * OpenSSL 3, which Node 17 and later use, so the call throws `error:0308010C:digital envelope routines::unsupported`
 * and s3rver answers 500 InternalError ("We encountered an internal error. Please try again.") to the second page
 * of every listing of more than 1,000 keys. The local run used to list the curated bucket that way when counting,
 * so any run that wrote more than 1,000 curated objects (e.g. 10,000 records at page size 100 and batch size 10,
 * with or without a fault flag) ended with that error after all its work, and printed no summary.
 *
 * ListObjects (V1) pages with a Marker the caller chooses (the last key of the previous page) and involves no
 * token: it works on s3rver and on S3 alike. The same fix belongs in test/helpers/local-s3.ts (`keys`), which
 * the local run does not own; see docs/notes/localrun.md.
 */
import { ListObjectsCommand, S3Client } from '@aws-sdk/client-s3';

/** Every key of `bucket` under `prefix`, sorted, paging with ListObjects markers. */
export async function listAllKeys(client: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  for (;;) {
    const out = await client.send(new ListObjectsCommand({
      Bucket: bucket,
      ...(prefix ? { Prefix: prefix } : {}),
      ...(marker !== undefined ? { Marker: marker } : {}),
    }));
    const page = (out.Contents ?? []).map((o) => String(o.Key));
    keys.push(...page);
    if (!out.IsTruncated || page.length === 0) break;
    marker = out.NextMarker ?? page[page.length - 1];
  }
  return keys.sort();
}
