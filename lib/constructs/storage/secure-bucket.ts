/** An S3 bucket for pipeline data: encrypted with its classification's key, private, TLS-only, versioned, logged. */
import { Duration } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, BucketProps, CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Classification, policyFor } from '../../classification';
import { ProblemCollector } from '../../errors';
import { dataRemovalPolicy } from '../common/removal';
import { tagClassification } from '../common/tags';
import { DataKeys } from '../keys/data-keys';
import { AccessLogBucket } from './access-log-bucket';
import { acknowledgeNoReplication, checkBucketProps } from './bucket-policy';

export interface SecureBucketProps {
  /** Decides the key, the version retention and the tag. */
  readonly classification: Classification;
  /** Where the key comes from: `keys.keyFor(classification)`. Give this or `encryptionKey`. */
  readonly keys?: DataKeys;
  /** A key you manage, used instead of `keys` (bring-your-own). */
  readonly encryptionKey?: IKey;
  /** Receives this bucket's server access logs. */
  readonly accessLogBucket: AccessLogBucket;
  /** Days overwritten or deleted versions stay recoverable; never less than the classification's. @default from the classification */
  readonly objectRetentionDays?: number;
  /** Extra bucket settings (name, lifecycle rules, CORS, event bridge...). Insecure ones are refused. @default none */
  readonly bucketProps?: BucketProps;
}

export class SecureBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly encryptionKey: IKey;
  public readonly classification: Classification;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const policy = policyFor(props.classification);
    const problems = new ProblemCollector(`SecureBucket ${this.node.path}`);
    checkBucketProps(problems, props.bucketProps);
    if (props.keys && props.encryptionKey) {
      problems.add('encryptionKey', 'is given together with keys', 'give keys (the key follows the classification) or encryptionKey, not both');
    }
    if (!props.keys && !props.encryptionKey) {
      problems.add('keys', 'no key to encrypt with', 'pass the DataKeys of the stack, or encryptionKey');
    }
    const retentionDays = props.objectRetentionDays ?? policy.objectRetentionDays;
    if (!Number.isInteger(retentionDays) || retentionDays < policy.objectRetentionDays) {
      problems.add('objectRetentionDays', `${retentionDays} is below the ${props.classification} minimum of ${policy.objectRetentionDays} days`,
        `use ${policy.objectRetentionDays} or more`);
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
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogBucket.bucket,
      serverAccessLogsPrefix: `${this.node.path.replace(/\//g, '-')}/`,
      removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
      lifecycleRules: [
        ...(props.bucketProps?.lifecycleRules ?? []),
        {
          id: 'RetainNoncurrentVersions',
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
