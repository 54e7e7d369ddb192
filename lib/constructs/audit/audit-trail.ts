/**
 * The audit trail: a multi-region CloudTrail trail (or an adopted one) and security alarms on its log group.
 */
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import { CfnTrail, ITrailRef } from 'aws-cdk-lib/aws-cloudtrail';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { IBucket, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { Profile } from '../../config';
import { ProblemCollector } from '../../errors';
import { arnParts } from '../common/arn-parts';
import { encryptedLogGroup } from '../common/log-group';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { applyProfileToRemoval } from '../common/removal';
import { DataKeys } from '../keys/data-keys';
import { AccessLogBucket } from '../storage/access-log-bucket';
import { SecureBucket } from '../storage/secure-bucket';
import { SECURITY_ALARM_NAMES, SECURITY_ALARMS, SecurityAlarmName } from './security-alarms';

/** PCI DSS 10.7 keeps audit trail history at least a year. */
export const MIN_TRAIL_RETENTION_DAYS = 365;
/** Basic event selectors accept at most 250 data resources per trail; beyond that the trail uses advanced selectors. */
const MAX_DATA_RESOURCES = 250;
/** Advanced event selectors accept at most 500 condition values per trail (management events take one). */
const MAX_ADVANCED_SELECTOR_VALUES = 500;

export interface TrailObjectLock {
  /** GOVERNANCE can be lifted by principals with s3:BypassGovernanceRetention; COMPLIANCE by nobody, not even root. */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** Days each log file cannot be deleted or overwritten; at most the trail retention. */
  readonly days: number;
}

export interface AuditTrailProps {
  /** `keys.audit` encrypts the trail, its bucket and its log group. */
  readonly keys: DataKeys;
  /** Receives the trail bucket's server access logs. */
  readonly accessLogBucket: AccessLogBucket;
  readonly profile: Profile;
  /** Where the security alarms go, e.g. `ThreatDetection.alarmTopic`. */
  readonly alarmTopic: ITopic;
  /** Buckets whose object-level reads and writes are recorded (S3 data events). @default none */
  readonly dataEventBuckets?: readonly IBucket[];
  /** Functions whose invocations are recorded (Lambda data events). @default none */
  readonly dataEventFunctions?: readonly IFunction[];
  /**
   * A trail that already records this account (accounts may hold at most 5 trails per region): no trail is
   * created, and the alarms are put on `existingLogGroup`, which must receive that trail's events.
   * @default a new trail
   */
  readonly existingTrail?: ITrailRef;
  /** The account is recorded by an AWS Organizations trail: same as `existingTrail`, without naming it. @default false */
  readonly useOrganizationTrail?: boolean;
  /** The log group the adopted trail delivers to; required with `existingTrail` or `useOrganizationTrail`, refused otherwise. */
  readonly existingLogGroup?: ILogGroup;
  /** Days trail log files are kept in the trail bucket. @default 365 in dev, 2192 (6 years) in prod */
  readonly trailRetentionDays?: number;
  /**
   * S3 Object Lock on the trail bucket (prod only: locked files outlive a torn-down dev stack).
   * @default prod: GOVERNANCE for the trail retention; dev: none
   */
  readonly objectLock?: TrailObjectLock;
  /** Namespace of the alarm metrics. @default `SecureDataPipeline/Audit/<stack name>` */
  readonly metricNamespace?: string;
}

export class AuditTrail extends Construct {
  /** The trail this construct created; undefined when one was adopted. */
  public readonly trail?: CfnTrail;
  /** ARN of the trail that feeds the alarms, when known (created or given as existingTrail). */
  public readonly trailArn?: string;
  /** Holds the trail's log files; undefined when a trail was adopted. */
  public readonly trailBucket?: SecureBucket;
  /** The log group the alarms watch. */
  public readonly logGroup: ILogGroup;
  /** One metric filter per SECURITY_ALARMS entry. */
  public readonly metricFilters: Readonly<Record<SecurityAlarmName, MetricFilter>>;
  public readonly alarms: Readonly<Record<SecurityAlarmName, Alarm>>;
  /** Fires when the log group receives no events for three hours in a row: the trail stopped delivering. */
  public readonly deliveryStoppedAlarm: Alarm;
  public readonly metricNamespace: string;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    applyProfileToRemoval(this, props.profile);
    const problems = new ProblemCollector(`AuditTrail ${this.node.path}`);
    const adopt = props.existingTrail !== undefined || props.useOrganizationTrail === true;
    if (adopt && !props.existingLogGroup) {
      problems.add('existingLogGroup', 'is missing: an adopted trail needs the log group it delivers to, or there is nothing to put the alarms on',
        'pass existingLogGroup: LogGroup.fromLogGroupName(this, "TrailLogs", "<the trail\'s CloudWatch Logs group>")');
    }
    if (!adopt && props.existingLogGroup) {
      problems.add('existingLogGroup', 'is given but no trail is adopted', 'remove it (a new trail gets its own encrypted log group), or pass existingTrail / useOrganizationTrail');
    }
    if (props.existingTrail && props.useOrganizationTrail) {
      problems.add('useOrganizationTrail', 'is given together with existingTrail', 'pass one of them');
    }
    const retentionDays = props.trailRetentionDays ?? (props.profile.name === 'prod' ? 2192 : MIN_TRAIL_RETENTION_DAYS);
    if (!Number.isInteger(retentionDays) || retentionDays < MIN_TRAIL_RETENTION_DAYS) {
      problems.add('trailRetentionDays', `${retentionDays} days is less than the ${MIN_TRAIL_RETENTION_DAYS} days audit history must be kept`,
        `use ${MIN_TRAIL_RETENTION_DAYS} or more`);
    }
    if (props.objectLock) {
      if (props.profile.name !== 'prod') {
        problems.add('objectLock', 'is only for the prod profile', 'remove it: a dev stack is torn down and locked log files would outlive it');
      }
      if (!['GOVERNANCE', 'COMPLIANCE'].includes(props.objectLock.mode)) {
        problems.add('objectLock.mode', `"${String(props.objectLock.mode)}" is not an Object Lock mode`, 'use GOVERNANCE or COMPLIANCE');
      }
      if (!Number.isInteger(props.objectLock.days) || props.objectLock.days < 1 || props.objectLock.days > retentionDays) {
        problems.add('objectLock.days', `${props.objectLock.days} is outside 1–${retentionDays} (the trail retention)`,
          'lock files for at most as long as they are kept');
      }
    }
    if (adopt) {
      for (const prop of ['dataEventBuckets', 'dataEventFunctions', 'objectLock', 'trailRetentionDays'] as const) {
        if (props[prop] !== undefined) {
          problems.add(prop, 'configures a trail, but the trail is adopted', 'configure it on the adopted trail, or remove existingTrail / useOrganizationTrail');
        }
      }
    }
    const buckets = props.dataEventBuckets ?? [];
    const functions = props.dataEventFunctions ?? [];
    // Values of the advanced selectors: "Management", then per data type "Data" and the type, then the ARNs.
    const advancedValues = 1 + (buckets.length > 0 ? 2 + buckets.length : 0) + (functions.length > 0 ? 2 + functions.length : 0);
    if (buckets.length + functions.length > MAX_DATA_RESOURCES && advancedValues > MAX_ADVANCED_SELECTOR_VALUES) {
      problems.add('dataEventFunctions', `${functions.length} functions and ${buckets.length} buckets need ${advancedValues} event selector values; a trail takes at most ${MAX_ADVANCED_SELECTOR_VALUES}`,
        'split the datasets across pipelines (stacks) of their own, or log data events with a trail of your own (auditTrail.existingTrail)');
    }
    const namespace = props.metricNamespace ?? `SecureDataPipeline/Audit/${Stack.of(this).stackName}`;
    if (!/^[A-Za-z0-9.\-_/#: ]{1,255}$/.test(namespace) || namespace.startsWith('AWS/')) {
      problems.add('metricNamespace', `"${namespace}" is not a custom metric namespace`, 'use letters, digits and . - _ / # : (not starting with AWS/)');
    }
    problems.throwIfAny();
    this.metricNamespace = namespace;

    if (adopt) {
      this.logGroup = props.existingLogGroup!;
      if (props.existingTrail) this.trailArn = props.existingTrail.trailRef.trailArn;
    } else {
      const created = this.createTrail(props, retentionDays, props.objectLock ?? defaultObjectLock(props.profile, retentionDays));
      this.trail = created.trail;
      this.trailArn = created.trail.attrArn;
      this.trailBucket = created.bucket;
      this.logGroup = created.logGroup;
    }

    const alarmAction = new SnsAction(props.alarmTopic);
    const filters: Partial<Record<SecurityAlarmName, MetricFilter>> = {};
    const alarms: Partial<Record<SecurityAlarmName, Alarm>> = {};
    for (const name of SECURITY_ALARM_NAMES) {
      const def = SECURITY_ALARMS[name];
      const filter = new MetricFilter(this, `${name}Filter`, {
        logGroup: this.logGroup,
        filterPattern: FilterPattern.literal(def.pattern),
        metricNamespace: namespace,
        metricName: def.metricName,
        metricValue: '1',
      });
      const alarm = new Alarm(this, `${name}Alarm`, {
        alarmDescription: `${def.description} (CIS ${def.cisControl}). Investigate the matching CloudTrail events in ${this.logGroup.logGroupName}.`,
        metric: filter.metric({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: def.threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(alarmAction);
      filters[name] = filter;
      alarms[name] = alarm;
    }
    this.metricFilters = filters as Record<SecurityAlarmName, MetricFilter>;
    this.alarms = alarms as Record<SecurityAlarmName, Alarm>;

    // A silenced trail produces no events at all, so no filter above could fire: watch the delivery itself.
    // Three empty hours, not one, so a quiet dev account does not page anyone.
    this.deliveryStoppedAlarm = new Alarm(this, 'TrailDeliveryStoppedAlarm', {
      alarmDescription: `No CloudTrail events reached ${this.logGroup.logGroupName} for three hours: the trail may be stopped, deleted or misconfigured`,
      metric: new Metric({
        namespace: 'AWS/Logs',
        metricName: 'IncomingLogEvents',
        dimensionsMap: { LogGroupName: this.logGroup.logGroupName },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
    this.deliveryStoppedAlarm.addAlarmAction(alarmAction);
  }

  private createTrail(props: AuditTrailProps, retentionDays: number, objectLock: TrailObjectLock | undefined) {
    const { partition, region, account } = arnParts(this);
    const key = props.keys.audit;
    // The name is fixed so the bucket policy and the role can name the trail's ARN without depending on it.
    const trailName = `${Stack.of(this).stackName}-${this.node.id}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128);
    const trailArn = `arn:${partition}:cloudtrail:${region}:${account}:trail/${trailName}`;

    const bucket = new SecureBucket(this, 'Bucket', {
      classification: Classification.RESTRICTED,
      // The trail's key: SecureBucket refuses uploads under any other key, and CloudTrail writes with this one.
      encryptionKey: key,
      accessLogBucket: props.accessLogBucket,
      bucketProps: {
        lifecycleRules: [{ id: 'ExpireTrailFiles', expiration: Duration.days(retentionDays) }],
        ...(objectLock ? {
          objectLockEnabled: true,
          objectLockDefaultRetention: objectLock.mode === 'COMPLIANCE'
            ? ObjectLockRetention.compliance(Duration.days(objectLock.days))
            : ObjectLockRetention.governance(Duration.days(objectLock.days)),
        } : {}),
      },
    });
    const fromThisTrail = { StringEquals: { 'aws:SourceArn': trailArn } };
    bucket.bucket.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudTrailChecksBucketAcl',
      principals: [new ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['s3:GetBucketAcl'],
      resources: [bucket.bucket.bucketArn],
      conditions: fromThisTrail,
    }));
    bucket.bucket.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudTrailWritesLogFiles',
      principals: [new ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [bucket.bucket.arnForObjects(`AWSLogs/${account}/*`)],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn } },
    }));

    this.admitTrailToBucketKey(key, trailName, trailArn, account);

    const logGroup = encryptedLogGroup(this, 'LogGroup', { key, retentionDays: props.profile.platformLogRetentionDays });
    // CloudTrail only accepts a delivery role of the trail's own account; the grant covers this one log group.
    const logsRole = new ManagedPolicyRole(this, 'LogsRole', {
      description: `CloudTrail ${trailName} delivers events to ${logGroup.node.path}`,
      assumedBy: new ServicePrincipal('cloudtrail.amazonaws.com'),
    });
    logsRole.addToPrincipalPolicy(new PolicyStatement({
      sid: 'DeliverTrailEvents',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));

    const dataResources: CfnTrail.DataResourceProperty[] = [];
    const buckets = props.dataEventBuckets ?? [];
    const functions = props.dataEventFunctions ?? [];
    if (buckets.length > 0) dataResources.push({ type: 'AWS::S3::Object', values: buckets.map((b) => `${b.bucketArn}/`) });
    if (functions.length > 0) dataResources.push({ type: 'AWS::Lambda::Function', values: functions.map((f) => f.functionArn) });
    // Basic selectors take 250 data resources per trail; a pipeline of many datasets has more functions, so the same
    // events (every management event, object events of these buckets, invocations of these functions) are then
    // selected with advanced selectors, which take 500 values.
    const selectors = buckets.length + functions.length <= MAX_DATA_RESOURCES
      ? { eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All', ...(dataResources.length > 0 ? { dataResources } : {}) }] }
      : {
        advancedEventSelectors: [
          { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
          ...(buckets.length > 0 ? [{
            name: 'Object events of the pipeline buckets',
            fieldSelectors: [
              { field: 'eventCategory', equalTo: ['Data'] }, { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
              { field: 'resources.ARN', startsWith: buckets.map((b) => `${b.bucketArn}/`) },
            ],
          }] : []),
          ...(functions.length > 0 ? [{
            name: 'Invocations of the pipeline functions',
            fieldSelectors: [
              { field: 'eventCategory', equalTo: ['Data'] }, { field: 'resources.type', equalTo: ['AWS::Lambda::Function'] },
              { field: 'resources.ARN', equalTo: functions.map((f) => f.functionArn) },
            ],
          }] : []),
        ],
      };

    const trail = new CfnTrail(this, 'Trail', {
      trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      kmsKeyId: key.keyArn,
      s3BucketName: bucket.bucket.bucketName,
      cloudWatchLogsLogGroupArn: logGroup.logGroupArn,
      cloudWatchLogsRoleArn: logsRole.roleArn,
      ...selectors,
      ...(props.profile.name === 'prod'
        ? { insightSelectors: [{ insightType: 'ApiCallRateInsight' }, { insightType: 'ApiErrorRateInsight' }] }
        : {}),
    });
    // CloudTrail checks the bucket policy and the role when the trail is created.
    trail.node.addDependency(bucket.bucket.policy!);
    trail.node.addDependency(logsRole.policy);
    return { trail, bucket, logGroup };
  }

  /**
   * The trail bucket encrypts with an S3 Bucket Key under the audit key. CloudTrail documents that kms:Decrypt is then
   * required in the key policy to create or update a trail with SSE-KMS (Configure AWS KMS key policies for
   * CloudTrail, "Required KMS key policy elements for trails"). DataKeys admits CloudTrail to GenerateDataKey and
   * DescribeKey only; this adds Decrypt for exactly this trail (aws:SourceArn) of this account. An imported audit key's
   * policy cannot be changed here: the statement to add is printed as a warning instead.
   */
  private admitTrailToBucketKey(key: IKey, trailName: string, trailArn: string, account: string): void {
    const statement = new PolicyStatement({
      sid: `CloudTrail${this.node.id.replace(/[^A-Za-z0-9]/g, '')}DecryptsWithBucketKey`,
      principals: [new ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceArn': trailArn, 'aws:SourceAccount': account } },
    });
    if (!key.addToResourcePolicy(statement).statementAdded) {
      Annotations.of(this).addWarningV2('secure-data-pipeline:trail-key-decrypt',
        `The audit key is imported, so its key policy was not changed: add an Allow of kms:Decrypt for the service principal cloudtrail.amazonaws.com with aws:SourceArn = arn:<partition>:cloudtrail:<region>:<account>:trail/${trailName}, or creating the trail fails (the trail bucket uses an S3 Bucket Key).`);
    }
  }
}

/**
 * Prod locks every trail file for as long as the trail keeps it, in GOVERNANCE mode: nobody deletes or overwrites a
 * log file without s3:BypassGovernanceRetention, which this stack grants nobody, while an incident response can
 * still lift it deliberately (COMPLIANCE could not be lifted even by root). Lifecycle expiration and the lock agree:
 * the expiry only adds a delete marker, and the locked version is removed as noncurrent once its lock has run out.
 * SSE-KMS and bucket keys work unchanged on locked buckets; S3 wants an integrity header (Content-MD5 or a checksum)
 * on uploads under default retention, which CloudTrail's delivery must send: not verified against a live account
 * here, so check the trail's LatestDeliveryError after the first prod deploy (README: retention and teardown).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
 */
export function defaultObjectLock(profile: Profile, retentionDays: number): TrailObjectLock | undefined {
  return profile.name === 'prod' ? { mode: 'GOVERNANCE', days: retentionDays } : undefined;
}
