/**
 * Threat detection: the account's GuardDuty detector (adopted or created), Malware Protection for S3 on the
 * buckets that receive outside data, and findings at or above a severity delivered to an encrypted SNS topic.
 */
import { CustomResource, Token } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Profile } from '../../config';
import { describeValue, ProblemCollector } from '../../errors';
import { DataKeys } from '../keys/data-keys';
import { applyProfileToRemoval } from '../common/removal';
import { SecureNetwork } from '../network/secure-network';
import { GuardDutyCustomResources } from './guardduty-custom-resources';
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
   * Where the deploy-time GuardDuty function runs (isolated tier, GuardDuty interface endpoint). Required unless
   * `existingDetectorId` is given and no bucket is protected. @default none
   */
  readonly network?: SecureNetwork;
  /**
   * The detector GuardDuty already has in this account and region (`aws guardduty list-detectors`), adopted as is,
   * with no deploy-time lookup. @default adopt the account's detector if it has one (found at deploy time), else
   * create one with DETECTOR_FEATURES
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
  /** The detector id (adopted or created). */
  public readonly detectorId: string;
  /**
   * The custom resource that adopts the account's detector or creates one (`Custom::GuardDutyDetector`);
   * undefined when `existingDetectorId` named it.
   */
  public readonly detector?: CustomResource;
  /** The function behind the detector and malware-plan custom resources; undefined when none is needed. */
  public readonly customResources?: GuardDutyCustomResources;
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
    const needsFunction = detectorId === undefined || buckets.length > 0;
    const network: unknown = props.network;
    if (network !== undefined && !(network instanceof SecureNetwork)) {
      problems.add('network', `${describeValue(network)} is not a SecureNetwork`, 'pass the pipeline\'s SecureNetwork (e.g. SecurePipeline.network)');
    } else if (needsFunction && network === undefined) {
      problems.add('network', 'is missing: the detector is adopted or created, and malware protection plans are created, by a function in the VPC',
        'pass the SecureNetwork (its isolated tier reaches GuardDuty through the interface endpoint), or existingDetectorId with no protectedBuckets');
    }
    problems.throwIfAny();
    // A created detector is kept on stack deletion unless the app opted in to destroying data; a prod profile vetoes that.
    applyProfileToRemoval(this, props.profile);
    this.minimumSeverity = severity;
    if (needsFunction) {
      this.customResources = new GuardDutyCustomResources(this, 'CustomResources', { network: props.network!, keys: props.keys, profile: props.profile });
    }

    if (detectorId !== undefined) {
      this.detectorId = detectorId;
    } else {
      const features: Array<{ Name: string; Status: string; AdditionalConfiguration?: Array<{ Name: string; Status: string }> }> =
        DETECTOR_FEATURES.map((f) => ({ Name: f.name, Status: 'ENABLED' }));
      if (props.runtimeMonitoring) {
        features.push({
          Name: 'RUNTIME_MONITORING',
          Status: 'ENABLED',
          AdditionalConfiguration: ['EC2_AGENT_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EKS_ADDON_MANAGEMENT']
            .map((name) => ({ Name: name, Status: 'ENABLED' })),
        });
      }
      // One detector per account and region: adopted where one exists (organisation accounts usually have one), else
      // created. Deleting a created detector deletes its findings, which are audit evidence: kept on stack deletion.
      // Not 'Detector': that logical id held the AWS::GuardDuty::Detector of earlier versions, and CloudFormation
      // cannot change a resource's type in place. Under a new id the old detector (DeletionPolicy Retain) is dropped
      // from the template and kept, and this resource finds and adopts it.
      this.detector = this.customResources!.detector(this, 'AccountDetector', {
        findingPublishingFrequency: props.findingPublishingFrequency ?? defaultFindingPublishingFrequency(props.profile),
        features,
      });
      this.detectorId = this.detector.getAttString('DetectorId');
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

    this.malwareProtection = buckets.map((bucket) => new S3MalwareProtection(this, `MalwareProtection${constructIdFor(bucket)}`, {
      bucket, customResources: this.customResources!,
    }));
  }
}

/** A stable, readable construct id for a bucket from its path below the stack, e.g. `QuarantineBucket`. */
function constructIdFor(bucket: IBucket): string {
  const stackPath = bucket.stack.node.path;
  const below = bucket.node.path.startsWith(`${stackPath}/`) ? bucket.node.path.slice(stackPath.length + 1) : bucket.node.path;
  return below.replace(/[^A-Za-z0-9]/g, '');
}
