/**
 * SecureBucket with random props: insecure, careless or unsupported bucket settings (public access, truthy
 * non-booleans, eventBridgeEnabled, unknown keys, bad names, lifecycle rules that undo the retention) are refused
 * naming each; valid ones build, and a handful synthesize a template that passes every pack.
 */
import { Duration } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BucketEncryption, HttpMethods, ObjectLockRetention, StorageClass } from 'aws-cdk-lib/aws-s3';
import fc from 'fast-check';
import { CLASSIFICATIONS } from '../../lib/classification';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { AccessLogBucket } from '../../lib/constructs/storage/access-log-bucket';
import { SecureBucket, SecureBucketProps } from '../../lib/constructs/storage/secure-bucket';
import { testStack } from '../helpers/app';
import { attempt, constructProperties, MANY, notBoolean, notIntegerIn, notString, PropSpec } from './support/props';

type Props = Record<keyof SecureBucketProps, unknown>;

const lifecycleRule = fc.record({
  id: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/),
  prefix: fc.stringMatching(/^[a-z0-9/]{0,10}$/),
  expiration: fc.integer({ min: 400, max: 3650 }).map((d) => Duration.days(d)),
  abortIncompleteMultipartUploadAfter: fc.integer({ min: 1, max: 30 }).map((d) => Duration.days(d)),
  transitions: fc.constant([{ storageClass: StorageClass.GLACIER, transitionAfter: Duration.days(90) }]),
  enabled: fc.boolean(),
}, { requiredKeys: ['expiration'] });

/** Settings SecureBucket takes, with values it accepts. */
const goodBucketProps = fc.record({
  bucketName: fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,30}[a-z0-9]$/),
  versioned: fc.constant(true),
  enforceSSL: fc.constant(true),
  publicReadAccess: fc.constant(false),
  autoDeleteObjects: fc.constant(false),
  eventBridgeEnabled: fc.constant(false),
  bucketKeyEnabled: fc.constant(true),
  transferAcceleration: fc.boolean(),
  minimumTLSVersion: fc.constantFrom(1.2, 1.3),
  lifecycleRules: fc.array(lifecycleRule, { maxLength: 2 }).map((rules) => rules.map((r, i) => ({ ...r, id: `${r.id ?? 'Rule'}${i}` }))),
  cors: fc.constant([{ allowedMethods: [HttpMethods.GET], allowedOrigins: ['https://app.example.com'] }]),
  metrics: fc.constant([{ id: 'EntireBucket' }]),
  objectLockEnabled: fc.boolean(),
}, { requiredKeys: [] }).map((p) => (p.objectLockEnabled
  ? { ...p, objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(30)) }
  : p));

/** Every BucketProps key, accepted or not: the arbitrary settings below draw from these and from random names. */
const BUCKET_SETTINGS = [
  'encryption', 'encryptionKey', 'blockedEncryptionTypes', 'enforceSSL', 'bucketKeyEnabled', 'bucketName', 'bucketNamePrefix',
  'bucketNamespace', 'removalPolicy', 'autoDeleteObjects', 'versioned', 'objectLockEnabled', 'abacStatus', 'objectLockDefaultRetention',
  'eventBridgeEnabled', 'lifecycleRules', 'transitionDefaultMinimumObjectSize', 'websiteIndexDocument', 'websiteErrorDocument',
  'websiteRedirect', 'websiteRoutingRules', 'accessControl', 'publicReadAccess', 'blockPublicAccess', 'metrics', 'cors',
  'serverAccessLogsBucket', 'serverAccessLogsPrefix', 'targetObjectKeyFormat', 'inventories', 'objectOwnership',
  'transferAcceleration', 'notificationsHandlerRole', 'notificationsSkipDestinationValidation', 'intelligentTieringConfigurations',
  'minimumTLSVersion', 'replicationRole', 'replicationRules',
];

/** One setting SecureBucket must refuse, whatever else is set. */
const badBucketProps = fc.oneof(
  fc.constantFrom(
    { publicReadAccess: true }, { autoDeleteObjects: true }, { enforceSSL: false }, { versioned: false }, { bucketKeyEnabled: false },
    { eventBridgeEnabled: true }, { encryption: BucketEncryption.S3_MANAGED }, { websiteIndexDocument: 'index.html' },
    { replicationRules: [] }, { removalPolicy: 'destroy' }, { minimumTLSVersion: 1.0 }, { publicReadAcess: false },
    { bucketName: 'Has_Upper' }, { bucketName: 'xn--bucket' }, { bucketName: '192.168.1.1' }, { bucketName: 'a..b' },
    { lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(1) }] }, { lifecycleRules: [{ prefix: 'x/' }] },
    { lifecycleRules: [{ expiration: Duration.hours(30) }] }, { lifecycleRules: 'expire' }, { cors: [{}] },
    { objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(1)) }, 'bucket', [],
  ),
  fc.constantFrom('publicReadAccess', 'autoDeleteObjects', 'versioned', 'enforceSSL', 'eventBridgeEnabled', 'objectLockEnabled', 'transferAcceleration')
    .chain((key) => notBoolean.map((v) => ({ [key]: v }))),
);

function specs(keys: DataKeys, logs: AccessLogBucket, otherKey: Key): { [K in keyof Props]: PropSpec } {
  return {
    classification: { good: fc.constantFrom(...CLASSIFICATIONS), bad: fc.oneof(notString, fc.constantFrom('Secret', 'restricted', '')), optional: false },
    keys: { good: fc.constant(keys), bad: fc.constantFrom({}, 'alias/data', null), optional: false },
    encryptionKey: { good: fc.constant(undefined), bad: fc.constantFrom(otherKey, 'arn:aws:kms:eu-west-1:111111111111:key/x', 42) },
    accessLogBucket: { good: fc.constant(logs), bad: fc.constantFrom({}, 'logs-bucket', null), optional: false },
    objectRetentionDays: { good: fc.integer({ min: 365, max: 36500 }), bad: notIntegerIn(30, 36500) },
    bucketProps: { good: goodBucketProps, bad: badBucketProps },
  };
}

interface Context {
  readonly keys: DataKeys;
  readonly logs: AccessLogBucket;
  readonly otherKey: Key;
}

constructProperties<Context, Props>('SecureBucket', {
  setup: (stack) => ({ keys: new DataKeys(stack, 'Keys'), logs: new AccessLogBucket(stack, 'Logs'), otherKey: new Key(stack, 'Other') }),
  specs: ({ keys, logs, otherKey }) => specs(keys, logs, otherKey),
  build: (stack, id, props) => new SecureBucket(stack, id, props as unknown as SecureBucketProps),
  synthesize: (stack, props) => new SecureBucket(stack, 'Bucket', {
    ...(props as unknown as SecureBucketProps), keys: new DataKeys(stack, 'Keys'), accessLogBucket: new AccessLogBucket(stack, 'Logs'),
  }),
});

test('arbitrary bucket settings, known keys or not, give a ConfigurationError or a bucket', () => {
  const stack = testStack();
  const keys = new DataKeys(stack, 'Keys');
  const logs = new AccessLogBucket(stack, 'Logs');
  let count = 0;
  // Values close to valid ones (lists of objects with the right keys and careless values) reach deepest.
  const careless = fc.oneof(fc.anything({ maxDepth: 1 }), fc.constantFrom(Duration.days(1), Duration.hours(36), Duration.days(400), StorageClass.GLACIER, 'GET'));
  const nearValid = fc.array(fc.dictionary(
    fc.constantFrom('id', 'name', 'prefix', 'allowedMethods', 'allowedOrigins', 'maxAge', 'tagFilters', 'tags', 'archiveAccessTierTime',
      'deepArchiveAccessTierTime', 'expiration', 'transitions', 'noncurrentVersionExpiration', 'storageClass', 'transitionAfter'),
    fc.oneof(careless, fc.array(careless, { maxLength: 2 })),
    { maxKeys: 4 },
  ), { maxLength: 2 });
  const setting = fc.dictionary(
    fc.oneof(fc.constantFrom(...BUCKET_SETTINGS), fc.string({ maxLength: 8 })),
    fc.oneof(careless, nearValid),
    { maxKeys: 3 },
  );
  fc.assert(fc.property(fc.constantFrom(...CLASSIFICATIONS), setting, (classification, bucketProps) => {
    attempt(() => new SecureBucket(stack, `Set${count++}`, { classification, keys, accessLogBucket: logs, bucketProps: bucketProps as never }));
  }), MANY);
});
