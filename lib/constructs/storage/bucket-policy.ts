/** Pieces shared by SecureBucket and AccessLogBucket: the props a caller may never weaken, and acknowledgements. */
import { BlockPublicAccess, BucketProps, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../../compliance/acknowledge';
import { ProblemCollector } from '../../errors';

/** BucketProps a caller may not set, each with why and what to do. */
const FORBIDDEN: ReadonlyArray<[keyof BucketProps, (v: unknown) => boolean, string, string]> = [
  ['publicReadAccess', (v) => v === true, 'would make every object public', 'remove it; share data through IAM grants or the access roles'],
  ['blockPublicAccess', (v) => v !== undefined && v !== BlockPublicAccess.BLOCK_ALL, 'must block all public access', 'remove it (BLOCK_ALL is enforced)'],
  ['enforceSSL', (v) => v === false, 'would allow requests without TLS', 'remove it (TLS is enforced)'],
  ['versioned', (v) => v === false, 'would make overwrites and deletes unrecoverable', 'remove it (versioning is enforced)'],
  ['encryption', (v) => v !== undefined, 'encryption is decided by the classification', 'remove it; pass the classification (and keys) instead'],
  ['encryptionKey', (v) => v !== undefined, 'the key is decided by the classification', 'remove it; pass DataKeys or an existing key through the construct props'],
  ['bucketKeyEnabled', (v) => v === false, 'bucket keys are enforced', 'remove it'],
  ['accessControl', (v) => v !== undefined, 'ACLs are disabled (object ownership is enforced)', 'remove it; grant access through IAM'],
  ['objectOwnership', (v) => v !== undefined, 'object ownership is enforced (bucket owner)', 'remove it'],
  ['websiteIndexDocument', (v) => v !== undefined, 'website hosting exposes objects publicly', 'remove it; serve through CloudFront with origin access control'],
  ['websiteRedirect', (v) => v !== undefined, 'website hosting exposes objects publicly', 'remove it'],
  ['serverAccessLogsBucket', (v) => v !== undefined, 'access logs always go to the AccessLogBucket', 'pass accessLogBucket instead'],
  ['serverAccessLogsPrefix', (v) => v !== undefined, 'the access log prefix is set per bucket', 'remove it'],
  ['removalPolicy', (v) => v !== undefined, 'removal is decided by the app-level double opt-in', 'remove it; deploy with -c profile=dev -c destroyData=true to allow DESTROY'],
  ['autoDeleteObjects', (v) => v === true, 'would delete every object with the stack', 'remove it; empty the bucket yourself if you really mean to delete it'],
  ['minimumTLSVersion', (v) => typeof v === 'number' && v < 1.2, 'TLS below 1.2 is refused', 'remove it (1.2 is enforced) or ask for 1.3'],
];

/** Refuses any insecure or conflicting bucketProps, naming each one and its fix. */
export function checkBucketProps(problems: ProblemCollector, props: BucketProps | undefined): void {
  if (!props) return;
  for (const [key, bad, problem, fix] of FORBIDDEN) {
    if (key in props && bad((props as Record<string, unknown>)[key])) {
      problems.add(`bucketProps.${String(key)}`, problem, fix);
    }
  }
}

/**
 * Replication is a disaster-recovery choice that needs a bucket in another region; this construct does not
 * create one, so the three replication rules are acknowledged on exactly this bucket.
 */
export function acknowledgeNoReplication(bucket: CfnBucket, what: string): void {
  const reason = `${what} is versioned, retained on stack deletion and recoverable for its retention period; cross-region replication needs a destination in another region that this stack does not own`;
  for (const pack of ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321']) {
    acknowledge(bucket, `${pack}-S3BucketReplicationEnabled`, reason);
  }
}
