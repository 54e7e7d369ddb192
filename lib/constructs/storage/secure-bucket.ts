/** An S3 bucket for pipeline data: encrypted with its classification's key, private, TLS-only, versioned, logged. */
import { Duration } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Classification, CLASSIFICATIONS, policyFor } from '../../classification';
import { describeValue, ProblemCollector } from '../../errors';
import { checkInstance, checkKey } from '../common/prop-checks';
import { dataRemovalPolicy } from '../common/removal';
import { tagClassification } from '../common/tags';
import { DataKeys } from '../keys/data-keys';
import { AccessLogBucket } from './access-log-bucket';
import { acknowledgeNoReplication, checkBucketProps, ExtraBucketProps, retainedBucketName } from './bucket-policy';

export interface SecureBucketProps {
  /** Decides the key, the version retention and the tag. */
  readonly classification: Classification;
  /** Where the key comes from: `keys.keyFor(classification)`. Give this or `encryptionKey`. */
  readonly keys?: DataKeys;
  /** A key you manage, used instead of `keys` (bring-your-own). */
  readonly encryptionKey?: IKey;
  /** Receives this bucket's server access logs. */
  readonly accessLogBucket: AccessLogBucket;
  /**
   * Days overwritten or deleted versions stay recoverable: a whole number from the classification's minimum to
   * 36500. @default from the classification
   */
  readonly objectRetentionDays?: number;
  /**
   * Extra bucket settings: name, lifecycle rules, CORS, metrics, Intelligent-Tiering, transfer acceleration, Object
   * Lock. Insecure, unknown or unsupported ones are refused by name. @default none
   */
  readonly bucketProps?: ExtraBucketProps;
}

/** Id of the lifecycle rule that keeps noncurrent versions for the retention period. */
const OWN_RULE_ID = 'RetainNoncurrentVersions';

export class SecureBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly encryptionKey: IKey;
  public readonly classification: Classification;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const problems = new ProblemCollector(`SecureBucket ${this.node.path}`);
    problems.checkPropsObject(props);
    // The retention floor comes from the classification; an unknown one is reported and checked against Restricted's.
    const known = problems.checkOneOf('classification', props.classification, CLASSIFICATIONS);
    const policy = policyFor(known ? props.classification : Classification.RESTRICTED);
    const retentionDays = props.objectRetentionDays ?? policy.objectRetentionDays;
    const retentionValid = Number.isInteger(retentionDays) && retentionDays >= policy.objectRetentionDays && retentionDays <= 36500;
    checkBucketProps(problems, props.bucketProps, {
      noncurrentVersionDays: retentionValid ? retentionDays : policy.objectRetentionDays,
      ownRuleId: OWN_RULE_ID,
    });
    if (props.keys !== undefined && props.encryptionKey !== undefined) {
      problems.add('encryptionKey', 'is given together with keys', 'give keys (the key follows the classification) or encryptionKey, not both');
    } else if (props.keys === undefined && props.encryptionKey === undefined) {
      problems.add('keys', 'no key to encrypt with', 'pass the DataKeys of the stack, or encryptionKey');
    }
    if (props.keys !== undefined) checkInstance(problems, 'keys', props.keys, DataKeys, 'pass the DataKeys of the stack, or encryptionKey');
    checkKey(problems, 'encryptionKey', props.encryptionKey, 'pass a kms.Key (or Key.fromKeyArn) you manage, or keys instead', true);
    checkInstance(problems, 'accessLogBucket', props.accessLogBucket, AccessLogBucket, 'pass the AccessLogBucket of the stack');
    if (!retentionValid) {
      problems.add('objectRetentionDays', typeof retentionDays === 'number' && retentionDays < policy.objectRetentionDays
        ? `${retentionDays} is below the ${policy.classification} minimum of ${policy.objectRetentionDays} days`
        : `${describeValue(retentionDays)} is not a whole number of days up to 36500`, `use a whole number from ${policy.objectRetentionDays} to 36500`);
    }
    problems.throwIfAny();

    this.classification = props.classification;
    this.encryptionKey = props.encryptionKey ?? props.keys!.keyFor(props.classification);
    this.bucket = new Bucket(this, 'Bucket', {
      ...props.bucketProps,
      bucketName: retainedBucketName(props.bucketProps?.bucketName),
      encryption: BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // 1.3 when asked for; never below 1.2.
      minimumTLSVersion: props.bucketProps?.minimumTLSVersion === 1.3 ? 1.3 : 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogBucket.bucket,
      serverAccessLogsPrefix: `${this.node.path.replace(/\//g, '-')}/`,
      removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
      lifecycleRules: [
        ...(props.bucketProps?.lifecycleRules ?? []),
        {
          id: OWN_RULE_ID,
          noncurrentVersionExpiration: Duration.days(retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    this.denyWrongEncryption();
    tagClassification(this.bucket, props.classification);
    acknowledgeNoReplication(this.bucket.node.defaultChild as CfnBucket, `This ${props.classification} bucket`);
  }

  public get bucketArn(): string {
    return this.bucket.bucketArn;
  }

  public grantRead(grantee: IGrantable, objectsKeyPattern?: string) {
    return this.bucket.grantRead(grantee, objectsKeyPattern);
  }

  public grantWrite(grantee: IGrantable, objectsKeyPattern?: string) {
    return this.bucket.grantPut(grantee, objectsKeyPattern);
  }

  /**
   * Which uploads the bucket refuses, and why each condition is written as it is (docs/notes/bucket-policy.md):
   * - An upload that names no encryption gets the bucket's default encryption, SSE-KMS under this bucket's key.
   *   AWS services that write here rely on that: Lambda's on-failure destination of an MSK event source mapping
   *   (the store's failed batches under `aws/lambda/`) sends no encryption header. So a missing header is never
   *   a reason to deny: no statement here uses `...IfExists` with a negated operator, which is true when the key is
   *   absent and would refuse every header-less write (and did refuse the ingest quarantine writes).
   * - An upload that asks for another encryption (SSE-S3, DSSE-KMS) is refused: header present and not `aws:kms`.
   * - An upload that names another key is refused: key-id header present and not this key's ARN (S3 compares the
   *   header text; writers send the full key ARN, which is what CloudFormation resolves `keyArn` to).
   * - An upload that asks for `aws:kms` without naming a key is refused: S3 documents that it then uses the AWS
   *   managed key `aws/s3`, not the bucket's default key. Writers name the key (SSEKMSKeyId) or send no header.
   * - SSE-C is refused: S3 would hold data under a key nobody here controls.
   */
  private denyWrongEncryption(): void {
    const objects = this.bucket.arnForObjects('*');
    const sse = 's3:x-amz-server-side-encryption';
    const keyId = 's3:x-amz-server-side-encryption-aws-kms-key-id';
    const deny = (sid: string, conditions: Record<string, Record<string, unknown>>) => this.bucket.addToResourcePolicy(new PolicyStatement({
      sid,
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions,
    }));
    deny('DenyPutWithoutKms', { Null: { [sse]: 'false' }, StringNotEquals: { [sse]: 'aws:kms' } });
    deny('DenyPutWithOtherKey', { Null: { [keyId]: 'false' }, StringNotEquals: { [keyId]: this.encryptionKey.keyArn } });
    deny('DenyPutKmsWithoutKey', { StringEquals: { [sse]: 'aws:kms' }, Null: { [keyId]: 'true' } });
    deny('DenyPutWithCustomerKey', { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } });
  }
}
