/**
 * Checks of construct props that need aws-cdk-lib types (removal policies, durations, construct references), so a
 * careless value becomes a ConfigurationError naming the prop instead of an error deep in aws-cdk-lib or a failed
 * deploy. Pure checks of plain values live on ProblemCollector (lib/errors.ts).
 */
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describeValue, ProblemCollector } from '../../errors';

/**
 * Resource types whose DeletionPolicy may be Snapshot; every other type takes Delete, Retain or
 * RetainExceptOnCreate only. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
 */
const SNAPSHOT_TYPES: ReadonlySet<string> = new Set([
  'AWS::EC2::Volume', 'AWS::ElastiCache::CacheCluster', 'AWS::ElastiCache::ReplicationGroup', 'AWS::Neptune::DBCluster',
  'AWS::RDS::DBCluster', 'AWS::RDS::DBInstance', 'AWS::Redshift::Cluster', 'AWS::DocDB::DBCluster',
]);

/**
 * A removal policy prop: one of the RemovalPolicy values, and one CloudFormation supports on every resource type the
 * prop is applied to (SNAPSHOT only on snapshot-capable types; a key given SNAPSHOT fails the deploy).
 */
export function checkRemovalPolicy(problems: ProblemCollector, path: string, value: unknown, resourceTypes: readonly string[]): void {
  if (value === undefined) return;
  const policies = Object.values(RemovalPolicy) as unknown[];
  if (!policies.includes(value)) {
    problems.add(path, `${describeValue(value)} is not a RemovalPolicy`, 'use RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (the default) or leave it out');
    return;
  }
  const unsupported = resourceTypes.filter((t) => !SNAPSHOT_TYPES.has(t));
  if (value === RemovalPolicy.SNAPSHOT && unsupported.length > 0) {
    problems.add(path, `SNAPSHOT is not a deletion policy CloudFormation supports on ${unsupported.join(', ')}`,
      'use RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (the default); only databases, volumes and caches can be snapshotted on deletion');
  }
}

/** Retention values CloudWatch Logs accepts, in days ("never expire" left out: every log group expires). */
const LOG_RETENTION_DAYS: readonly number[] = Object.values(RetentionDays)
  .filter((v): v is number => typeof v === 'number' && v > 0 && v < 999999)
  .sort((a, b) => a - b);

/** A log retention prop: one of the values CloudWatch Logs accepts. */
export function checkLogRetention(problems: ProblemCollector, path: string, value: unknown): void {
  if (!LOG_RETENTION_DAYS.includes(value as number)) {
    problems.add(path, `${describeValue(value)} is not a retention CloudWatch Logs accepts`, `use one of ${LOG_RETENTION_DAYS.join(', ')} days`);
  }
}

/**
 * A Duration prop, returned in milliseconds when it is a literal whole number of `unit` within the range. Tokens and
 * fractions of the unit are refused: CloudFormation takes whole units, and aws-cdk-lib throws on fractions.
 */
export function checkDuration(
  problems: ProblemCollector,
  path: string,
  value: unknown,
  range: { readonly min: Duration; readonly max: Duration; readonly unit: 'seconds' | 'minutes' | 'hours' | 'days' },
): number | undefined {
  if (value === undefined) return undefined;
  const fix = `use a whole number of ${range.unit} from ${range.min.toHumanString()} to ${range.max.toHumanString()}, e.g. Duration.${range.unit}(${unitsOf(range.min, range.unit)})`;
  if (!(value instanceof Duration)) {
    problems.add(path, `${describeValue(value)} is not a Duration`, fix);
    return undefined;
  }
  if (value.isUnresolved()) {
    problems.add(path, 'is a token, resolved only at deploy time', fix);
    return undefined;
  }
  const ms = value.toMilliseconds({ integral: false });
  const unitMs = Duration[range.unit](1).toMilliseconds();
  if (!Number.isFinite(ms) || ms % unitMs !== 0 || ms < range.min.toMilliseconds() || ms > range.max.toMilliseconds()) {
    problems.add(path, `${value.toHumanString()} is not a whole number of ${range.unit} from ${range.min.toHumanString()} to ${range.max.toHumanString()}`, fix);
    return undefined;
  }
  return ms;
}

function unitsOf(duration: Duration, unit: 'seconds' | 'minutes' | 'hours' | 'days'): number {
  return duration.toMilliseconds() / Duration[unit](1).toMilliseconds();
}

/**
 * A required reference to one of our constructs (or an aws-cdk-lib type): present and of the expected class, so a
 * missing or mistyped one is named here rather than failing as "cannot read properties of undefined".
 */
export function checkInstance(
  problems: ProblemCollector,
  path: string,
  value: unknown,
  type: abstract new (...args: never[]) => unknown,
  fix: string,
  optional = false,
): boolean {
  if (optional && value === undefined) return true;
  if (value instanceof type) return true;
  problems.add(path, value === undefined ? 'is missing' : `${describeValue(value)} is not a ${type.name}`, fix);
  return false;
}

/**
 * A KMS key prop: anything with a key ARN (a kms.Key, or one imported with Key.fromKeyArn; IKey is an interface, so
 * there is no class to test). Undefined is accepted when `optional`.
 */
export function checkKey(problems: ProblemCollector, path: string, value: unknown, fix: string, optional = false): boolean {
  if ((optional && value === undefined) || typeof (value as { keyArn?: unknown } | null)?.keyArn === 'string') return true;
  problems.add(path, value === undefined ? 'is missing' : `${describeValue(value)} is not a KMS key`, fix);
  return false;
}

/**
 * A string prop: a literal string matching `pattern` (tokens are refused where the value is checked at synth).
 * Returns whether it is usable; undefined is accepted when `optional`.
 */
export function checkString(
  problems: ProblemCollector,
  path: string,
  value: unknown,
  pattern: RegExp,
  rule: string,
  optional = true,
): value is string | undefined {
  if (value === undefined && optional) return true;
  if (typeof value !== 'string' || Token.isUnresolved(value) || !pattern.test(value)) {
    problems.add(path, `${describeValue(value)} is not ${rule}`, `use ${rule}`);
    return false;
  }
  return true;
}
