import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Duration } from 'aws-cdk-lib';
import { BlockPublicAccess, BucketEncryption, BucketProps, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { ServicePrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Classification } from '../../lib/classification';
import { listAcknowledgements } from '../../lib/compliance';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { AccessLogBucket } from '../../lib/constructs/storage/access-log-bucket';
import { SecureBucket } from '../../lib/constructs/storage/secure-bucket';
import { ConfigurationError } from '../../lib/errors';
import { testStack } from '../helpers/app';

function setup(context: Record<string, unknown> = {}) {
  const stack = testStack(context);
  const keys = new DataKeys(stack, 'Keys');
  const logs = new AccessLogBucket(stack, 'Logs');
  return { stack, keys, logs };
}

describe('SecureBucket', () => {
  const { stack, keys, logs } = setup();
  const bucket = new SecureBucket(stack, 'Curated', { classification: Classification.RESTRICTED, keys, accessLogBucket: logs });
  const reader = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  bucket.grantRead(reader);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;
  const logicalIdOf = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  const curated = resources[logicalIdOf(bucket.bucket)]!;
  const restrictedKeyId = logicalIdOf(keys.restricted as Key);

  test('SSE-KMS with the classification key and bucket keys', () => {
    expect(curated.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [restrictedKeyId, 'Arn'] } },
      }],
    });
    expect(bucket.encryptionKey).toBe(keys.restricted);
  });

  test('public access blocked, ACLs off, versioned, retained, logged to the access-log bucket, tagged', () => {
    expect(curated.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(logs.bucket as never) } },
    });
    expect(curated.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(curated.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'data-classification', Value: 'Restricted' }]));
    expect(curated.Properties.LifecycleConfiguration).toEqual({ Rules: [expect.objectContaining({
      NoncurrentVersionExpiration: { NoncurrentDays: 365 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      Status: 'Enabled',
    })] });
  });

  test('bucket policy: TLS 1.2+ only, and no upload under another encryption or key', () => {
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy'
      && JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: logicalIdOf(bucket.bucket) }))!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    const text = JSON.stringify(statements);
    expect(text).toContain('"aws:SecureTransport":"false"');
    expect(text).toContain('"s3:TlsVersion":1.2');
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    // A missing header never denies (header-less writers get the default encryption under this key); a header that
    // is present and names anything but aws:kms under this key does. test/unit/bucket-policy-writes.test.ts evaluates them.
    expect(bySid.DenyPutWithoutKms).toMatchObject({
      Effect: 'Deny', Action: 's3:PutObject',
      Condition: { Null: { 's3:x-amz-server-side-encryption': 'false' }, StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    });
    expect(bySid.DenyPutWithOtherKey).toMatchObject({
      Effect: 'Deny',
      Condition: {
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': [restrictedKeyId, 'Arn'] } },
      },
    });
    expect(bySid.DenyPutKmsWithoutKey).toMatchObject({
      Effect: 'Deny',
      Condition: { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' }, Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' } },
    });
    expect(text).not.toContain('IfExists');
    expect(bySid.DenyPutWithCustomerKey).toMatchObject({ Effect: 'Deny', Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } } });
  });

  test('grantRead also grants decrypt on the bucket key only', () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const text = JSON.stringify(policies);
    expect(text).toContain('kms:Decrypt');
    expect(text).toContain(restrictedKeyId);
    expect(text).not.toContain(logicalIdOf(keys.internal as Key));
  });

  test('the access-log bucket is SSE-S3, private, TLS-only, versioned, expiring, and says why it is not under a CMK', () => {
    const log = resources[logicalIdOf(logs.bucket as never)]!;
    expect(log.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(log.Properties.LoggingConfiguration).toBeUndefined();
    const acks = listAcknowledgements(logs);
    expect(acks.map((a) => a.id)).toContain('HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS');
    expect(acks.every((a) => a.path === 'TestStack/Logs/Bucket/Resource')).toBe(true);
    expect(acks.find((a) => a.id.endsWith('S3DefaultEncryptionKMS'))!.reason).toMatch(/SSE-S3/);
  });

  test('the key follows the classification', () => {
    const s = setup();
    for (const c of [Classification.PUBLIC, Classification.INTERNAL]) {
      const b = new SecureBucket(s.stack, `B${c}`, { classification: c, keys: s.keys, accessLogBucket: s.logs });
      expect(b.encryptionKey).toBe(s.keys.keyFor(c));
    }
  });

  test.each<[string, BucketProps, RegExp]>([
    ['public read', { publicReadAccess: true }, /bucketProps\.publicReadAccess: would make every object public/],
    ['weaker public access block', { blockPublicAccess: BlockPublicAccess.BLOCK_ACLS }, /bucketProps\.blockPublicAccess/],
    ['TLS off', { enforceSSL: false }, /bucketProps\.enforceSSL: would allow requests without TLS/],
    ['versioning off', { versioned: false }, /bucketProps\.versioned/],
    ['SSE-S3', { encryption: BucketEncryption.S3_MANAGED }, /bucketProps\.encryption: encryption is decided by the classification/],
    ['website', { websiteIndexDocument: 'index.html' }, /bucketProps\.websiteIndexDocument/],
    ['auto delete', { autoDeleteObjects: true }, /bucketProps\.autoDeleteObjects/],
    ['old TLS', { minimumTLSVersion: 1.0 }, /bucketProps\.minimumTLSVersion/],
  ])('refuses %s', (_name, bucketProps, expected) => {
    const s = setup();
    expect(() => new SecureBucket(s.stack, 'X', { classification: Classification.INTERNAL, keys: s.keys, accessLogBucket: s.logs, bucketProps }))
      .toThrow(expected);
    expect(() => new AccessLogBucket(s.stack, 'Y', { bucketProps })).toThrow(expected);
  });

  test('refuses several problems at once, missing or doubled keys, and short retention', () => {
    const s = setup();
    const key = new Key(s.stack, 'Other');
    expect(() => new SecureBucket(s.stack, 'X', {
      classification: Classification.RESTRICTED,
      keys: s.keys,
      encryptionKey: key,
      accessLogBucket: s.logs,
      objectRetentionDays: 7,
      bucketProps: { publicReadAccess: true, enforceSSL: false },
    })).toThrow(/4 problems[\s\S]*publicReadAccess[\s\S]*enforceSSL[\s\S]*encryptionKey: is given together with keys[\s\S]*objectRetentionDays: 7 is below the Restricted minimum of 365/);
    expect(() => new SecureBucket(s.stack, 'Y', { classification: Classification.PUBLIC, accessLogBucket: s.logs })).toThrow(/keys: no key to encrypt with/);
  });

  test('DESTROY needs the double opt-in; without it the removal policy prop is refused', () => {
    const dev = setup({ profile: 'dev', destroyData: true });
    const b = new SecureBucket(dev.stack, 'D', { classification: Classification.PUBLIC, keys: dev.keys, accessLogBucket: dev.logs });
    const json = Template.fromStack(dev.stack).toJSON().Resources[dev.stack.getLogicalId(b.bucket.node.defaultChild as never)];
    expect(json.DeletionPolicy).toBe('Delete');
    const s = setup();
    expect(() => new SecureBucket(s.stack, 'X', {
      classification: Classification.PUBLIC, keys: s.keys, accessLogBucket: s.logs, bucketProps: { removalPolicy: 'destroy' as never },
    })).toThrow(/bucketProps\.removalPolicy/);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    // Each of these synthesized before (a `=== true` check let truthy non-booleans through, eventBridgeEnabled
    // reached aws-cdk-lib's handler Lambda, unknown keys and short noncurrent expiries were spread into the bucket).
    ['autoDeleteObjects: 1', { autoDeleteObjects: 1 }, /bucketProps\.autoDeleteObjects: 1 is not a boolean/],
    ['publicReadAccess: "true"', { publicReadAccess: 'true' }, /bucketProps\.publicReadAccess: "true" is not a boolean/],
    ['versioned: "false"', { versioned: 'false' }, /bucketProps\.versioned: "false" is not a boolean/],
    ['eventBridgeEnabled', { eventBridgeEnabled: true }, /bucketProps\.eventBridgeEnabled: needs the notifications-handler Lambda[\s\S]*encrypted SQS queue/],
    ['an unknown setting', { publicReadAcess: true }, /bucketProps\.publicReadAcess: is not a bucket setting this construct takes/],
    ['replication rules', { replicationRules: [] }, /bucketProps\.replicationRules: replication needs a destination bucket/],
    ['an invalid name', { bucketName: 'My_Bucket' }, /bucketProps\.bucketName: "My_Bucket" is not a valid S3 bucket name/],
    ['noncurrent versions expired early', { lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(1) }] },
      /bucketProps\.lifecycleRules\[0\]\.noncurrentVersionExpiration: expires overwritten and deleted versions after 1 days, before the \d+ days/],
    ['a lifecycle rule without an action', { lifecycleRules: [{ prefix: 'tmp/' }] }, /bucketProps\.lifecycleRules\[0\]: has no action/],
    ['a fractional lifecycle duration', { lifecycleRules: [{ expiration: Duration.hours(36) }] }, /lifecycleRules\[0\]\.expiration: 1 day 12 hours is not a whole number of days/],
    ['Object Lock retention without Object Lock', { objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(30)) }, /bucketProps\.objectLockDefaultRetention: needs objectLockEnabled: true/],
  ])('refuses %s with a ConfigurationError', (_name, bucketProps, expected) => {
    const s = setup();
    let attempt = 0;
    const build = () => new SecureBucket(s.stack, `X${attempt++}`, { classification: Classification.INTERNAL, keys: s.keys, accessLogBucket: s.logs, bucketProps });
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(expected);
  });

  test('accepted settings reach the bucket: TLS 1.3 when asked for, own lifecycle rules beside the retention rule', () => {
    const s = setup();
    const b = new SecureBucket(s.stack, 'Tuned', {
      classification: Classification.PUBLIC, keys: s.keys, accessLogBucket: s.logs,
      bucketProps: { minimumTLSVersion: 1.3, eventBridgeEnabled: false, lifecycleRules: [{ id: 'Tmp', prefix: 'tmp/', expiration: Duration.days(7) }] },
    });
    const template = Template.fromStack(s.stack).toJSON();
    const props = template.Resources[s.stack.getLogicalId(b.bucket.node.defaultChild as never)].Properties;
    expect(props.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ Id: 'Tmp', Prefix: 'tmp/', ExpirationInDays: 7 }),
      expect.objectContaining({ Id: 'RetainNoncurrentVersions', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
    ]);
    expect(props.NotificationConfiguration).toBeUndefined();
    const policy = Object.values(template.Resources as Record<string, { Type: string; Properties: { Bucket: unknown; PolicyDocument: unknown } }>)
      .find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties.Bucket).includes(s.stack.getLogicalId(b.bucket.node.defaultChild as never)))!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"s3:TlsVersion":1.3');
  });
});

describe('a bucket name given in bucketProps', () => {
  test.each([
    ['SecureBucket', (s: ReturnType<typeof setup>) => new SecureBucket(s.stack, 'Named', {
      classification: Classification.INTERNAL, keys: s.keys, accessLogBucket: s.logs, bucketProps: { bucketName: 'team.raw-data' },
    }).bucket],
    ['AccessLogBucket', (s: ReturnType<typeof setup>) => new AccessLogBucket(s.stack, 'NamedLogs', { bucketProps: { bucketName: 'team.raw-data' } }).bucket],
  ])('%s: is the base of a name unique per deployment, so a bucket an earlier stack kept never blocks this one', (_, make) => {
    const s = setup();
    const bucket = make(s);
    const name = s.stack.resolve((bucket.node.defaultChild as { bucketName?: string }).bucketName);
    // <name>-<first 8 hex of the stack id's UUID>, '.' turned into '-'
    expect(name).toEqual({ 'Fn::Join': ['-', ['team-raw-data', { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] }]] });
  });
});
