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
import { acknowledgeNoReplication, checkBucketProps, ExtraBucketProps } from './bucket-policy';

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
   * Default encryption covers uploads that name no encryption; these statements refuse uploads that ask for
   * another kind (SSE-S3, DSSE, SSE-C) or another KMS key, so nothing lands under a weaker or foreign key.
   */
  private denyWrongEncryption(): void {
    const objects = this.bucket.arnForObjects('*');
    this.bucket.addToResourcePolicy(new PolicyStatement({
      sid: 'DenyPutWithoutKms',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    }));
    this.bucket.addToResourcePolicy(new PolicyStatement({
      sid: 'DenyPutWithOtherKey',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.encryptionKey.keyArn } },
    }));
    this.bucket.addToResourcePolicy(new PolicyStatement({
      sid: 'DenyPutWithCustomerKey',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
    }));
  }
}
