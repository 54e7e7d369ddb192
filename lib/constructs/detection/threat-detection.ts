/**
 * Threat detection: the account's GuardDuty detector (adopted or created), Malware Protection for S3 on the
 * buckets that receive outside data, and findings at or above a severity delivered to an encrypted SNS topic.
 */
import { Token } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { CfnDetector } from 'aws-cdk-lib/aws-guardduty';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Profile } from '../../config';
import { describeValue, ProblemCollector } from '../../errors';
import { dataRemovalPolicy } from '../common/removal';
import { DataKeys } from '../keys/data-keys';
import { checkProtectable, S3MalwareProtection } from './s3-malware-protection';
import { isEmailAddress, SecurityAlertTopic } from './security-alert-topic';

export type FindingPublishingFrequency = 'FIFTEEN_MINUTES' | 'ONE_HOUR' | 'SIX_HOURS';
const FREQUENCIES: readonly FindingPublishingFrequency[] = ['FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'];

/** GuardDuty severities: Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0. */
export const SEVERITY_MEDIUM = 4;
const SEVERITY_HIGH = 7;

export interface ThreatDetectionProps {
  /** `keys.audit` encrypts the alert topic and its dead-letter queue. */
  readonly keys: DataKeys;
  readonly profile: Profile;
  /**
   * The detector GuardDuty already has in this account and region (`aws guardduty list-detectors`). Only one
   * detector may exist per account and region: without this, a second one fails to deploy with
   * "The request is rejected because a detector already exists for the current account".
   * The adopted detector's features stay as its owner configured them.
   * @default a new detector is created
   */
  readonly existingDetectorId?: string;
  /**
   * Buckets scanned by GuardDuty Malware Protection for S3: the quarantine bucket and every bucket that receives
   * data from outside. Each must be a bucket this stack creates; reads of objects found infected are denied.
   * @default none
   */
  readonly protectedBuckets?: readonly IBucket[];
  /** Findings at or above this GuardDuty severity are sent to the topic; 1–7 (High findings always alert). @default 4 (Medium) */
  readonly minimumSeverity?: number;
  /** Subscribed to the alert topic by email. @default no subscription (subscribe your own endpoint to `alarmTopic`) */
  readonly alarmEmail?: string;
  /** How often updates to existing findings are exported; new findings always arrive within minutes. @default FIFTEEN_MINUTES in prod, SIX_HOURS in dev */
  readonly findingPublishingFrequency?: FindingPublishingFrequency;
  /**
   * Also turn on GuardDuty Runtime Monitoring with automated agent management (EC2, ECS Fargate, EKS). The
   * pipeline runs none of these, and the detector is account-wide: agents would be installed on other
   * workloads of the account, so it is opt-in. @default false
   */
  readonly runtimeMonitoring?: boolean;
}

/** Detector features this construct turns on, and why each applies to the pipeline. */
export const DETECTOR_FEATURES: ReadonlyArray<{ name: string; covers: string }> = [
  { name: 'S3_DATA_EVENTS', covers: 'object-level API activity on the curated, quarantine and trail buckets' },
  { name: 'RDS_LOGIN_EVENTS', covers: 'anomalous logins to the PostgreSQL database' },
  { name: 'LAMBDA_NETWORK_LOGS', covers: 'network activity of the pipeline functions (e.g. calls to known-bad hosts)' },
  { name: 'EBS_MALWARE_PROTECTION', covers: 'malware scans of EC2 volumes in the account when GuardDuty sees a compromised instance' },
];

/** The publishing frequency of a profile: prod wants finding updates fast, dev does not need the noise. */
export function defaultFindingPublishingFrequency(profile: Profile): FindingPublishingFrequency {
  return profile.name === 'prod' ? 'FIFTEEN_MINUTES' : 'SIX_HOURS';
}

export class ThreatDetection extends Construct {
  /** The detector id (created or adopted). */
  public readonly detectorId: string;
  /** The detector this construct created; undefined when one was adopted. */
  public readonly detector?: CfnDetector;
  /** Receives GuardDuty findings; AuditTrail and others send their alarms here too. */
  public readonly alarmTopic: ITopic;
  public readonly alerts: SecurityAlertTopic;
  public readonly findingsRule: Rule;
  public readonly malwareProtection: readonly S3MalwareProtection[];
  public readonly minimumSeverity: number;

  constructor(scope: Construct, id: string, props: ThreatDetectionProps) {
    super(scope, id);
    const problems = new ProblemCollector(`ThreatDetection ${this.node.path}`);
    const severity = props.minimumSeverity ?? SEVERITY_MEDIUM;
    if (!Number.isFinite(severity) || severity < 1 || severity > SEVERITY_HIGH) {
      problems.add('minimumSeverity', `${severity} is outside 1–${SEVERITY_HIGH}`,
        `use a GuardDuty severity from 1 to ${SEVERITY_HIGH} (${SEVERITY_MEDIUM} = Medium, the default); a higher value would silence High findings`);
    }
    const detectorId = props.existingDetectorId;
    if (detectorId !== undefined && !Token.isUnresolved(detectorId) && !/^[a-z0-9]{32}$/.test(detectorId)) {
      problems.add('existingDetectorId', `"${detectorId}" is not a GuardDuty detector id`,
        'pass the 32-character id printed by `aws guardduty list-detectors --query "DetectorIds[0]" --output text`');
    }
    if (props.findingPublishingFrequency !== undefined && !FREQUENCIES.includes(props.findingPublishingFrequency)) {
      problems.add('findingPublishingFrequency', `"${String(props.findingPublishingFrequency)}" is not a publishing frequency`, `use one of ${FREQUENCIES.join(', ')}`);
    }
    if (props.alarmEmail !== undefined && !isEmailAddress(props.alarmEmail)) {
      problems.add('alarmEmail', `${describeValue(props.alarmEmail)} is not an email address`, 'give an address like security@example.com');
    }
    const buckets = props.protectedBuckets ?? [];
    buckets.forEach((bucket, i) => {
      checkProtectable(problems, `protectedBuckets[${i}]`, bucket);
      if (buckets.indexOf(bucket) !== i) {
        problems.add(`protectedBuckets[${i}]`, `${bucket.node.path} is listed twice`, 'list each bucket once');
      }
    });
    problems.throwIfAny();
    this.minimumSeverity = severity;

    if (detectorId !== undefined) {
      this.detectorId = detectorId;
    } else {
      const features: CfnDetector.CFNFeatureConfigurationProperty[] = DETECTOR_FEATURES.map((f) => ({ name: f.name, status: 'ENABLED' }));
      if (props.runtimeMonitoring) {
        features.push({
          name: 'RUNTIME_MONITORING',
          status: 'ENABLED',
          additionalConfiguration: ['EC2_AGENT_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EKS_ADDON_MANAGEMENT']
            .map((name) => ({ name, status: 'ENABLED' })),
        });
      }
      this.detector = new CfnDetector(this, 'Detector', {
        enable: true,
        findingPublishingFrequency: props.findingPublishingFrequency ?? defaultFindingPublishingFrequency(props.profile),
        features,
      });
      // Deleting a detector deletes its findings, which are audit evidence: retained like other data stores.
      this.detector.applyRemovalPolicy(dataRemovalPolicy(this, undefined, 'removalPolicy'));
      this.detectorId = this.detector.ref;
    }

    this.alerts = new SecurityAlertTopic(this, 'Alerts', {
      keys: props.keys,
      ...(props.alarmEmail !== undefined ? { alarmEmails: [props.alarmEmail] } : {}),
    });
    this.alarmTopic = this.alerts.topic;

    this.findingsRule = new Rule(this, 'FindingsRule', {
      description: `GuardDuty findings of severity ${severity} or more go to the security alert topic`,
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        detail: { severity: Match.greaterThanOrEqual(severity) },
      },
      targets: [this.alerts.ruleTarget()],
    });

    this.malwareProtection = buckets.map((bucket) => new S3MalwareProtection(this, `MalwareProtection${constructIdFor(bucket)}`, { bucket }));
  }
}

/** A stable, readable construct id for a bucket from its path below the stack, e.g. `QuarantineBucket`. */
function constructIdFor(bucket: IBucket): string {
  const stackPath = bucket.stack.node.path;
  const below = bucket.node.path.startsWith(`${stackPath}/`) ? bucket.node.path.slice(stackPath.length + 1) : bucket.node.path;
  return below.replace(/[^A-Za-z0-9]/g, '');
}
