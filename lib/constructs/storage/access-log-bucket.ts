/** The one bucket that receives S3 server access logs of every SecureBucket in a stack. */
import { Duration } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, BucketProps, CfnBucket, IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { ProblemCollector } from '../../errors';
import { dataRemovalPolicy } from '../common/removal';
import { tagClassification } from '../common/tags';
import { acknowledgeNoReplication, checkBucketProps } from './bucket-policy';

export interface AccessLogBucketProps {
  /** Days access logs are kept. @default 365 */
  readonly retentionDays?: number;
  /** Extra bucket settings; insecure ones are refused. @default none */
  readonly bucketProps?: BucketProps;
}

export class AccessLogBucket extends Construct {
  public readonly bucket: IBucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps = {}) {
    super(scope, id);
    const problems = new ProblemCollector(`AccessLogBucket ${this.node.path}`);
    checkBucketProps(problems, props.bucketProps);
    const retentionDays = props.retentionDays ?? 365;
    if (!Number.isInteger(retentionDays) || retentionDays < 90) {
      problems.add('retentionDays', `${retentionDays} days is too short for audit`, 'keep access logs at least 90 days');
    }
    problems.throwIfAny();

    const bucket = new Bucket(this, 'Bucket', {
      ...props.bucketProps,
      // S3 server access log delivery writes with SSE-S3; this bucket holds request metadata, never records.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
      lifecycleRules: [
        ...(props.bucketProps?.lifecycleRules ?? []),
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    tagClassification(bucket, Classification.INTERNAL);
    this.bucket = bucket;

    const cfn = bucket.node.defaultChild as CfnBucket;
    // No server access logging on this bucket: it is the target, and the packs recognise a log target as compliant.
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321']) {
      acknowledge(cfn, `${pack}-S3DefaultEncryptionKMS`,
        'Server access logs are delivered with SSE-S3 (AES-256), which the S3 logging service supports on every target; the bucket holds request metadata only, never records');
    }
    acknowledgeNoReplication(cfn, 'The access-log bucket');
  }
}
