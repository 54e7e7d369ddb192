/** The one bucket that receives S3 server access logs of every SecureBucket in a stack. */
import { Duration } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { describeValue, ProblemCollector } from '../../errors';
import { pinFeatureFlags, S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from '../common/feature-flags';
import { dataRemovalPolicy } from '../common/removal';
import { tagClassification } from '../common/tags';
import { acknowledgeNoReplication, checkBucketProps, ExtraBucketProps, retainedBucketName } from './bucket-policy';

export interface AccessLogBucketProps {
  /** Days access logs are kept: a whole number from 90 to 36500. @default 365 */
  readonly retentionDays?: number;
  /** Extra bucket settings, as SecureBucket takes them; insecure, unknown or unsupported ones are refused. @default none */
  readonly bucketProps?: ExtraBucketProps;
}

/** Days an overwritten or deleted log object stays recoverable. */
const NONCURRENT_LOG_DAYS = 30;
const OWN_RULE_ID = 'ExpireAccessLogs';

export class AccessLogBucket extends Construct {
  public readonly bucket: IBucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps = {}) {
    super(scope, id);
    // Whatever the app's flags say: without this flag CDK grants log delivery with the LogDeliveryWrite ACL, which
    // needs ObjectWriter ownership (ACLs on) and so fails against the BucketOwnerEnforced ownership below.
    pinFeatureFlags(this, { [S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY]: true });
    const problems = new ProblemCollector(`AccessLogBucket ${this.node.path}`);
    problems.checkPropsObject(props);
    checkBucketProps(problems, props.bucketProps, { noncurrentVersionDays: NONCURRENT_LOG_DAYS, ownRuleId: OWN_RULE_ID });
    const retentionDays = props.retentionDays ?? 365;
    if (!Number.isInteger(retentionDays) || retentionDays < 90 || retentionDays > 36500) {
      problems.add('retentionDays', `${describeValue(retentionDays)} days is not a whole number from 90 to 36500`, 'keep access logs at least 90 days');
    }
    problems.throwIfAny();

    const bucket = new Bucket(this, 'Bucket', {
      ...props.bucketProps,
      bucketName: retainedBucketName(props.bucketProps?.bucketName),
      // S3 server access log delivery writes with SSE-S3; this bucket holds request metadata, never records.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // 1.3 when asked for; never below 1.2.
      minimumTLSVersion: props.bucketProps?.minimumTLSVersion === 1.3 ? 1.3 : 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
      lifecycleRules: [
        ...(props.bucketProps?.lifecycleRules ?? []),
        {
          id: OWN_RULE_ID,
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(NONCURRENT_LOG_DAYS),
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
