/** Pieces shared by SecureBucket and AccessLogBucket: the bucket settings a caller may pass, and acknowledgements. */
import { Duration, Token } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  BucketProps,
  CfnBucket,
  ObjectLockRetention,
  StorageClass,
  TargetObjectKeyFormat,
  TransitionDefaultMinimumObjectSize,
} from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../../compliance/acknowledge';
import { describeValue, ProblemCollector } from '../../errors';
import { deploymentUniqueName } from '../common/deployment-name';
import { checkDuration } from '../common/prop-checks';

/**
 * The settings SecureBucket and AccessLogBucket take beyond their own props: aws-cdk-lib's BucketProps, of which
 * only those listed in ACCEPTED may be set (and only to secure values); everything else is refused by name.
 */
export interface ExtraBucketProps extends BucketProps {
  /**
   * @deprecated Refused when true: EventBridge notifications need aws-cdk-lib's notifications-handler Lambda, which
   * runs outside the VPC with an inline policy and fails the compliance packs. Subscribe to S3 events through an
   * encrypted SQS queue (as LoadStage does) or to CloudTrail data events instead.
   */
  readonly eventBridgeEnabled?: boolean;
  /** @deprecated Refused: ACLs are disabled (object ownership is enforced). Grant access through IAM. */
  readonly accessControl?: BucketProps['accessControl'];
  /** @deprecated Refused: the key follows the classification. Pass the classification and DataKeys. */
  readonly encryption?: BucketProps['encryption'];
  /** @deprecated Refused: the key follows the classification. Pass DataKeys or the construct's encryptionKey. */
  readonly encryptionKey?: BucketProps['encryptionKey'];
  /** @deprecated Refused: removal follows the app-level double opt-in (-c profile=dev -c destroyData=true). */
  readonly removalPolicy?: BucketProps['removalPolicy'];
  /** @deprecated Refused: website hosting exposes objects publicly. Serve through CloudFront with origin access control. */
  readonly websiteIndexDocument?: string;
  /** @deprecated Refused: access logs always go to the AccessLogBucket. */
  readonly serverAccessLogsBucket?: BucketProps['serverAccessLogsBucket'];
}

type Problem = readonly [problem: string, fix: string];
type Check = (value: unknown, props: Readonly<Record<string, unknown>>) => Problem | undefined;

/** What the owning construct enforces, against which caller settings are checked. */
export interface BucketLimits {
  /** Overwritten or deleted versions stay recoverable at least this many days. */
  readonly noncurrentVersionDays: number;
  /** Id of the construct's own lifecycle rule, which a caller's rule may not reuse. */
  readonly ownRuleId: string;
}

/** A boolean setting whose `insecure` value is refused (and any non-boolean, which `if (v)` would misread). */
function bool(insecure: boolean | undefined, problem: string, fix: string): Check {
  return (v) => {
    if (typeof v !== 'boolean') return [`${describeValue(v)} is not a boolean`, 'pass true or false, or leave it out'];
    return v === insecure ? [problem, fix] : undefined;
  };
}

function refused(problem: string, fix: string): Check {
  return () => [problem, fix];
}

function list(check: (item: unknown) => Problem | undefined): Check {
  return (v) => {
    if (!Array.isArray(v)) return [`${describeValue(v)} is not a list`, 'pass an array'];
    for (const item of v) {
      const problem = check(item);
      if (problem) return problem;
    }
    return undefined;
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every BucketProps key the constructs accept, each with its check. */
const ACCEPTED: Readonly<Record<string, Check>> = {
  publicReadAccess: bool(true, 'would make every object public', 'remove it; share data through IAM grants or the access roles'),
  autoDeleteObjects: bool(true, 'would delete every object with the stack', 'remove it; empty the bucket yourself if you really mean to delete it'),
  enforceSSL: bool(false, 'would allow requests without TLS', 'remove it (TLS is enforced)'),
  versioned: bool(false, 'would make overwrites and deletes unrecoverable', 'remove it (versioning is enforced)'),
  bucketKeyEnabled: bool(false, 'bucket keys are enforced', 'remove it'),
  eventBridgeEnabled: bool(true, 'needs the notifications-handler Lambda of aws-cdk-lib, outside the VPC and with an inline policy, which fails the compliance packs',
    'remove it; subscribe to S3 events through an encrypted SQS queue (as LoadStage does) or to CloudTrail data events'),
  transferAcceleration: bool(undefined, '', ''),
  objectLockEnabled: bool(undefined, '', ''),
  notificationsSkipDestinationValidation: bool(undefined, '', ''),
  blockPublicAccess: (v) => (v === BlockPublicAccess.BLOCK_ALL ? undefined : ['must block all public access', 'remove it (BLOCK_ALL is enforced)']),
  minimumTLSVersion: (v) => (v === 1.2 || v === 1.3 ? undefined : [`${describeValue(v)} is not a TLS version the bucket accepts`, 'remove it (1.2 is enforced) or ask for 1.3']),
  bucketName: (v) => bucketNameProblem(v),
  objectLockDefaultRetention: (v, props) => {
    if (!(v instanceof ObjectLockRetention)) return [`${describeValue(v)} is not an ObjectLockRetention`, 'use ObjectLockRetention.governance(Duration.days(n)) or .compliance(...)'];
    return props.objectLockEnabled === true ? undefined : ['needs objectLockEnabled: true', 'set objectLockEnabled: true, or remove the default retention'];
  },
  transitionDefaultMinimumObjectSize: (v) => ((Object.values(TransitionDefaultMinimumObjectSize) as unknown[]).includes(v)
    ? undefined : [`${describeValue(v)} is not a TransitionDefaultMinimumObjectSize`, 'use a TransitionDefaultMinimumObjectSize value']),
  targetObjectKeyFormat: (v) => (v instanceof TargetObjectKeyFormat ? undefined : [`${describeValue(v)} is not a TargetObjectKeyFormat`, 'use TargetObjectKeyFormat.simplePrefix() or .partitionedPrefix()']),
  cors: list(corsRuleProblem),
  metrics: list((metric) => (isObject(metric) && typeof metric.id === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(metric.id)
    && optionalString(metric.prefix) && (metric.tagFilters === undefined || isStringRecord(metric.tagFilters))
    ? undefined : ['has a metrics configuration that is not { id, prefix?, tagFilters? }', 'give every metrics configuration an id of at most 64 letters, digits, ".", "_" or "-"'])),
  intelligentTieringConfigurations: list(tieringProblem),
};

const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isStringRecord = (v: unknown): boolean => isObject(v) && Object.values(v).every((t) => typeof t === 'string');
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((t) => typeof t === 'string' && t.length > 0);

/** What S3 accepts in a CORS rule (aws-cdk-lib passes it through unchecked). */
function corsRuleProblem(rule: unknown): Problem | undefined {
  const methods = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];
  const valid = isObject(rule)
    && Array.isArray(rule.allowedMethods) && rule.allowedMethods.length > 0 && rule.allowedMethods.every((m) => methods.includes(m as string))
    && isStringList(rule.allowedOrigins) && (rule.allowedOrigins as unknown[]).length > 0
    && (rule.allowedHeaders === undefined || isStringList(rule.allowedHeaders))
    && (rule.exposedHeaders === undefined || isStringList(rule.exposedHeaders))
    && (rule.maxAge === undefined || (Number.isInteger(rule.maxAge) && (rule.maxAge as number) >= 0))
    && (rule.id === undefined || (typeof rule.id === 'string' && rule.id.length <= 255));
  return valid ? undefined : ['has a rule S3 would refuse', `give every CORS rule allowedMethods (${methods.join(', ')}) and allowedOrigins lists, string headers and a whole maxAge`];
}

/**
 * An Intelligent-Tiering configuration: a name and, for each archive tier, whole days S3 accepts (archive 90–730,
 * deep archive 180–730); aws-cdk-lib throws on fractions of a day.
 */
function tieringProblem(config: unknown): Problem | undefined {
  if (!isObject(config) || typeof config.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(config.name) || !optionalString(config.prefix)) {
    return ['has a configuration without a valid name', 'give every Intelligent-Tiering configuration a name of letters, digits, ".", "_" or "-"'];
  }
  if (config.tags !== undefined && !(Array.isArray(config.tags) && config.tags.every((t) => isObject(t) && typeof t.key === 'string' && typeof t.value === 'string'))) {
    return ['has tags that are not { key, value } strings', 'pass tags as [{ key: "...", value: "..." }]'];
  }
  const inner = new ProblemCollector('tiering');
  checkDuration(inner, 'archiveAccessTierTime', config.archiveAccessTierTime, { min: Duration.days(90), max: Duration.days(730), unit: 'days' });
  checkDuration(inner, 'deepArchiveAccessTierTime', config.deepArchiveAccessTierTime, { min: Duration.days(180), max: Duration.days(730), unit: 'days' });
  return inner.count > 0 ? ['has archive tier times that are not whole days S3 accepts', 'use Duration.days(90 to 730) for archive and Duration.days(180 to 730) for deep archive'] : undefined;
}

/** BucketProps keys that are always refused, with why and what to do. */
const REFUSED: Readonly<Record<string, Check>> = {
  encryption: refused('encryption is decided by the classification', 'remove it; pass the classification (and keys) instead'),
  encryptionKey: refused('the key is decided by the classification', 'remove it; pass DataKeys or an existing key through the construct props'),
  blockedEncryptionTypes: refused('the bucket policy already refuses every encryption but its KMS key', 'remove it'),
  accessControl: refused('ACLs are disabled (object ownership is enforced)', 'remove it; grant access through IAM'),
  objectOwnership: refused('object ownership is enforced (bucket owner)', 'remove it'),
  websiteIndexDocument: refused('website hosting exposes objects publicly', 'remove it; serve through CloudFront with origin access control'),
  websiteErrorDocument: refused('website hosting exposes objects publicly', 'remove it'),
  websiteRedirect: refused('website hosting exposes objects publicly', 'remove it'),
  websiteRoutingRules: refused('website hosting exposes objects publicly', 'remove it'),
  serverAccessLogsBucket: refused('access logs always go to the AccessLogBucket', 'pass accessLogBucket instead'),
  serverAccessLogsPrefix: refused('the access log prefix is set per bucket', 'remove it'),
  removalPolicy: refused('removal is decided by the app-level double opt-in', 'remove it; deploy with -c profile=dev -c destroyData=true to allow DESTROY'),
  replicationRules: refused('replication needs a destination bucket and role this construct does not create', 'remove it; replicate with your own construct on the exposed bucket'),
  replicationRole: refused('replication needs a destination bucket and role this construct does not create', 'remove it'),
  inventories: refused('inventory reports are written to another bucket this construct does not secure', 'remove it'),
  notificationsHandlerRole: refused('bucket notifications through aws-cdk-lib\'s handler Lambda fail the compliance packs', 'remove it'),
  bucketNamePrefix: refused('account-regional bucket namespaces are not supported here', 'use bucketName, or leave the name to CloudFormation'),
  bucketNamespace: refused('account-regional bucket namespaces are not supported here', 'use bucketName, or leave the name to CloudFormation'),
  abacStatus: refused('attribute-based access control is not supported here', 'remove it; grant access through IAM'),
};

/** Refuses any insecure, unknown or malformed bucketProps, naming each one and its fix. */
export function checkBucketProps(problems: ProblemCollector, props: unknown, limits: BucketLimits): void {
  if (props === undefined) return;
  if (!isObject(props)) {
    problems.add('bucketProps', `${describeValue(props)} is not an object of bucket settings`, 'pass an object, e.g. { bucketName: "..." }');
    return;
  }
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (key === 'lifecycleRules') {
      checkLifecycleRules(problems, value, limits);
      continue;
    }
    // Own keys only: a setting named `constructor` or `valueOf` must not find Object.prototype's.
    const check = Object.hasOwn(ACCEPTED, key) ? ACCEPTED[key] : Object.hasOwn(REFUSED, key) ? REFUSED[key] : undefined;
    const problem = check
      ? check(value, props)
      : ['is not a bucket setting this construct takes', `remove it (accepted: lifecycleRules, ${Object.keys(ACCEPTED).join(', ')})`] as const;
    if (problem) problems.add(`bucketProps.${key}`, problem[0], problem[1]);
  }
}

/**
 * The physical name of a retained bucket: a literal `bucketProps.bucketName` becomes the base of a name unique per
 * deployment (`<name>-<8 hex of the stack id>`, '.' turned into '-'), so a bucket kept by an earlier stack never
 * blocks this one with "already exists" (and the name stays findable by its prefix). A token is passed through.
 */
export function retainedBucketName(name: string | undefined): string | undefined {
  if (name === undefined || Token.isUnresolved(name)) return name;
  return deploymentUniqueName(name, 63);
}

/**
 * S3 bucket naming rules, so a bad name is refused here rather than by aws-cdk-lib or S3.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
function bucketNameProblem(v: unknown): Problem | undefined {
  if (typeof v === 'string' && Token.isUnresolved(v)) return undefined;
  const fix = 'use 3–63 lower-case letters, digits, "." and "-", starting and ending with a letter or digit, or leave it out';
  if (typeof v !== 'string') return [`${describeValue(v)} is not a bucket name`, fix];
  const bad = !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) || v.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(v)
    || /^(xn--|sthree-|amzn-s3-demo-)/.test(v) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(v);
  return bad ? [`${describeValue(v)} is not a valid S3 bucket name`, fix] : undefined;
}

const LIFECYCLE_ACTIONS = ['abortIncompleteMultipartUploadAfter', 'expiration', 'expirationDate', 'expiredObjectDeleteMarker',
  'noncurrentVersionExpiration', 'noncurrentVersionTransitions', 'transitions'];
const LIFECYCLE_KEYS = [...LIFECYCLE_ACTIONS, 'id', 'enabled', 'prefix', 'tagFilters', 'noncurrentVersionsToRetain',
  'objectSizeLessThan', 'objectSizeGreaterThan'];

/**
 * Lifecycle rules in the shape aws-cdk-lib and S3 accept, and none that expires noncurrent versions sooner than
 * the construct keeps them (S3 applies the shortest of all rules, so one short rule would undo the retention).
 */
function checkLifecycleRules(problems: ProblemCollector, rules: unknown, limits: BucketLimits): void {
  if (!Array.isArray(rules)) {
    problems.add('bucketProps.lifecycleRules', `${describeValue(rules)} is not a list`, 'pass an array of lifecycle rules');
    return;
  }
  rules.forEach((rule: unknown, i) => checkLifecycleRule(problems, `bucketProps.lifecycleRules[${i}]`, rule, limits));
}

function checkLifecycleRule(problems: ProblemCollector, at: string, rule: unknown, limits: BucketLimits): void {
  if (!isObject(rule)) {
    problems.add(at, `${describeValue(rule)} is not a lifecycle rule`, 'pass objects such as { expiration: Duration.days(365) }');
    return;
  }
  const unknown = Object.keys(rule).filter((k) => !LIFECYCLE_KEYS.includes(k) && rule[k] !== undefined);
  if (unknown.length > 0) problems.add(at, `has unknown settings ${unknown.join(', ')}`, `use only ${LIFECYCLE_KEYS.join(', ')}`);
  if (!LIFECYCLE_ACTIONS.some((a) => rule[a] !== undefined)) problems.add(at, 'has no action', `give it one of ${LIFECYCLE_ACTIONS.join(', ')}`);
  if (rule.id !== undefined && (typeof rule.id !== 'string' || rule.id.length === 0 || rule.id.length > 255 || rule.id === limits.ownRuleId)) {
    problems.add(`${at}.id`, `${describeValue(rule.id)} is not a free id of 1–255 characters`, `use a short name as id, other than ${limits.ownRuleId}`);
  }
  if (rule.prefix !== undefined && typeof rule.prefix !== 'string') problems.add(`${at}.prefix`, 'is not a string', 'pass a key prefix');
  problems.checkBoolean(`${at}.enabled`, rule.enabled);
  problems.checkBoolean(`${at}.expiredObjectDeleteMarker`, rule.expiredObjectDeleteMarker);
  if (rule.expiredObjectDeleteMarker === true && ['expiration', 'expirationDate', 'tagFilters'].some((k) => rule[k] !== undefined)) {
    problems.add(`${at}.expiredObjectDeleteMarker`, 'is combined with expiration, expirationDate or tagFilters', 'put it in a rule of its own');
  }
  checkDate(problems, `${at}.expirationDate`, rule.expirationDate);
  const days = (key: string) => checkDuration(problems, `${at}.${key}`, rule[key], { min: Duration.days(1), max: Duration.days(36500), unit: 'days' });
  days('abortIncompleteMultipartUploadAfter');
  days('expiration');
  const noncurrent = days('noncurrentVersionExpiration');
  if (noncurrent !== undefined && noncurrent < Duration.days(limits.noncurrentVersionDays).toMilliseconds()) {
    problems.add(`${at}.noncurrentVersionExpiration`,
      `expires overwritten and deleted versions after ${Duration.millis(noncurrent).toDays()} days, before the ${limits.noncurrentVersionDays} days this bucket keeps them`,
      `use at least ${limits.noncurrentVersionDays} days, or leave it out`);
  }
  problems.checkInteger(`${at}.noncurrentVersionsToRetain`, rule.noncurrentVersionsToRetain, { min: 1, max: 100 });
  problems.checkInteger(`${at}.objectSizeLessThan`, rule.objectSizeLessThan, { min: 1, max: Number.MAX_SAFE_INTEGER, unit: 'bytes' });
  problems.checkInteger(`${at}.objectSizeGreaterThan`, rule.objectSizeGreaterThan, { min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'bytes' });
  if (rule.tagFilters !== undefined && (!isObject(rule.tagFilters) || !Object.values(rule.tagFilters).every((t) => typeof t === 'string'))) {
    problems.add(`${at}.tagFilters`, 'is not an object of tag names to string values', 'pass { tagName: "value" }');
  }
  for (const key of ['transitions', 'noncurrentVersionTransitions'] as const) {
    const transitions = rule[key];
    if (transitions === undefined) continue;
    if (!Array.isArray(transitions)) {
      problems.add(`${at}.${key}`, 'is not a list', 'pass an array of transitions');
      continue;
    }
    transitions.forEach((t: unknown, j) => {
      const where = `${at}.${key}[${j}]`;
      if (!isObject(t) || !(t.storageClass instanceof StorageClass)) {
        problems.add(where, 'has no StorageClass', 'give each transition a storageClass such as StorageClass.GLACIER');
        return;
      }
      if (key === 'transitions' && (t.transitionAfter === undefined) === (t.transitionDate === undefined)) {
        problems.add(where, 'needs exactly one of transitionAfter and transitionDate', 'give it one of them');
      }
      checkDate(problems, `${where}.transitionDate`, t.transitionDate);
      if (key === 'noncurrentVersionTransitions' || t.transitionAfter !== undefined) {
        checkDuration(problems, `${where}.transitionAfter`, t.transitionAfter, { min: Duration.days(0), max: Duration.days(36500), unit: 'days' });
      }
      problems.checkInteger(`${where}.noncurrentVersionsToRetain`, t.noncurrentVersionsToRetain, { min: 1, max: 100 });
    });
  }
}

function checkDate(problems: ProblemCollector, path: string, value: unknown): void {
  if (value !== undefined && !(value instanceof Date && Number.isFinite(value.getTime()))) {
    problems.add(path, `${describeValue(value)} is not a valid Date`, 'pass a Date');
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
