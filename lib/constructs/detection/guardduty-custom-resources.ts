/**
 * GuardDuty's deploy-time work, done by one hardened PipelineFunction (lambda/guardduty-detector) in the isolated
 * tier, reaching GuardDuty through its interface endpoint: adopting or creating the account's detector, and creating
 * Malware Protection plans once their new role works (GuardDuty rejects a role that has not propagated yet).
 *
 * Anyone allowed to invoke the function could send it a forged event, so the function trusts GuardDuty, not the
 * event: what it creates is tagged `secure-data-pipeline:owner` = this stack's id (OWNER_STACK_ID in its environment),
 * and it updates or deletes only what carries that tag (lambda/guardduty-detector/ownership.ts).
 */
import { Aws, CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { Profile } from '../../config';
import { arnParts, findingArnPattern } from '../common/arn-parts';
import { customResourceServiceTimeout } from '../common/custom-resource';
import { destroyDataAllowed } from '../common/removal';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import type { SecureNetwork } from '../network/secure-network';

/** Kept in sync with lambda/guardduty-detector/custom-resource.ts (lambda code may not import lib/constructs). */
const DETECTOR = 'Detector';
const MALWARE_PROTECTION_PLAN = 'MalwareProtectionPlan';
/** Kept in sync with lambda/guardduty-detector/ownership.ts. */
const OWNER_STACK_ID = 'OWNER_STACK_ID';
const DELETE_DETECTOR_WITH_STACK = 'DELETE_DETECTOR_WITH_STACK';

/**
 * Ten minutes: a plan's create retries InvalidInputException for up to six minutes of backoff
 * (lambda/guardduty-detector/malware-plan.ts PLAN_RETRY_POLICY), and the handler answers FAILED before this runs out.
 */
export const GUARDDUTY_FUNCTION_TIMEOUT = Duration.minutes(10);

/** The service-linked roles GuardDuty creates when a detector (and its EBS malware protection) is enabled. */
const SERVICE_LINKED_ROLES: ReadonlyArray<[service: string, role: string]> = [
  ['guardduty.amazonaws.com', 'AWSServiceRoleForAmazonGuardDuty'],
  ['malware-protection.guardduty.amazonaws.com', 'AWSServiceRoleForAmazonGuardDutyMalwareProtection'],
];

export interface GuardDutyCustomResourcesProps {
  readonly network: SecureNetwork;
  readonly keys: DataKeys;
  readonly profile: Profile;
}

export interface DetectorResourceProps {
  readonly findingPublishingFrequency: string;
  /** Detector features as GuardDuty's API spells them (Name, Status, AdditionalConfiguration). */
  readonly features: ReadonlyArray<{ Name: string; Status: string; AdditionalConfiguration?: ReadonlyArray<{ Name: string; Status: string }> }>;
}

export class GuardDutyCustomResources extends Construct {
  public readonly function: PipelineFunction;
  private planGrantsAdded = false;
  private anyResourceAcknowledged = false;
  /** The dev destroy opt-in, decided once: the detector's DeletionPolicy and the function's DELETE_DETECTOR_WITH_STACK agree. */
  private readonly destroyAllowed: boolean;

  constructor(scope: Construct, id: string, props: GuardDutyCustomResourcesProps) {
    super(scope, id);
    this.destroyAllowed = destroyDataAllowed(this);
    this.function = new PipelineFunction(this, 'Function', {
      builtInHandler: 'guardduty-detector',
      classification: Classification.INTERNAL,
      network: props.network,
      keys: props.keys,
      profile: props.profile,
      // Invoked only by CloudFormation for the detector and the plans (a few at once during a deploy): no reservation.
      concurrencyBound: { by: 'custom-resource' },
      timeout: GUARDDUTY_FUNCTION_TIMEOUT,
      description: `Deploy-time GuardDuty work of ${scope.node.path}: adopt or create the detector, create malware protection plans`,
      environment: {
        // The owner tag's value: the function updates and deletes only what carries it. Not a secret; never read from the event.
        [OWNER_STACK_ID]: Aws.STACK_ID,
        // Without the opt-in, a created detector is deleted only by the rollback of the deploy that created it.
        [DELETE_DETECTOR_WITH_STACK]: this.destroyAllowed ? 'true' : 'false',
      },
    });
  }

  /**
   * The account's detector: adopted when GuardDuty already has one in this account and region, else created with
   * `props`. DeletionPolicy RetainExceptOnCreate: a failed first deploy deletes the detector it created (never a
   * half-created one left behind), while deleting the stack keeps detection running (and its findings). Under the
   * dev destroy opt-in a created detector is deleted with the stack; an adopted one never is.
   */
  public detector(scope: Construct, id: string, props: DetectorResourceProps): CustomResource {
    const { partition, region, account } = arnParts(this);
    const role = this.function.role;
    this.allowOnAnyResource('FindOrCreateTheDetector', ['guardduty:ListDetectors', 'guardduty:CreateDetector']);
    role.addToPrincipalPolicy(new PolicyStatement({
      sid: 'ManageDetectorsOfThisAccountAndRegion',
      // TagResource: CreateDetector is called with the owner tag (tagging on create is authorised as TagResource).
      actions: ['guardduty:GetDetector', 'guardduty:UpdateDetector', 'guardduty:DeleteDetector', 'guardduty:TagResource'],
      resources: [`arn:${partition}:guardduty:${region}:${account}:detector/*`],
    }));
    // Enabling GuardDuty (and EBS malware protection) creates its service-linked roles the first time.
    role.addToPrincipalPolicy(new PolicyStatement({
      sid: 'CreateGuardDutyServiceLinkedRoles',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: SERVICE_LINKED_ROLES.map(([service, name]) => `arn:${partition}:iam::${account}:role/aws-service-role/${service}/${name}`),
      conditions: { StringEquals: { 'iam:AWSServiceName': SERVICE_LINKED_ROLES.map(([service]) => service) } },
    }));
    acknowledge(role.policy, findingArnPattern(this, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:<AWS::Region>:<AWS::AccountId>:detector/*]'),
      'The detector id is known only at deploy time (adopted or created); the grant covers detectors of this account and region, of which GuardDuty allows one');

    const resource = new CustomResource(scope, id, {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::GuardDutyDetector',
      serviceTimeout: customResourceServiceTimeout(GUARDDUTY_FUNCTION_TIMEOUT),
      removalPolicy: this.destroyAllowed ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      properties: {
        Action: DETECTOR,
        FindingPublishingFrequency: props.findingPublishingFrequency,
        Features: JSON.stringify(props.features),
      },
    });
    resource.node.addDependency(role.policy);
    return resource;
  }

  /**
   * A Malware Protection plan for `bucket`, assumed by `planRole`. Created after the role's policy exists, and the
   * handler retries GuardDuty's InvalidInputException while the new role propagates. Deleted with the stack: the
   * plan holds no data, and a retained plan would keep scanning (and billing) a bucket nothing watches any more.
   */
  public malwareProtectionPlan(scope: Construct, id: string, bucket: IBucket, planRole: IRole & Construct, rolePolicy: Construct): CustomResource {
    const { partition, region, account } = arnParts(this);
    const role = this.function.role;
    if (!this.planGrantsAdded) {
      this.planGrantsAdded = true;
      this.allowOnAnyResource('CreateMalwareProtectionPlans', ['guardduty:CreateMalwareProtectionPlan']);
      role.addToPrincipalPolicy(new PolicyStatement({
        sid: 'ManageMalwareProtectionPlansOfThisAccountAndRegion',
        // TagResource: CreateMalwareProtectionPlan is called with the owner tag.
        actions: ['guardduty:GetMalwareProtectionPlan', 'guardduty:UpdateMalwareProtectionPlan', 'guardduty:DeleteMalwareProtectionPlan', 'guardduty:TagResource'],
        resources: [`arn:${partition}:guardduty:${region}:${account}:malware-protection-plan/*`],
      }));
      acknowledge(role.policy, findingArnPattern(this, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:<AWS::Region>:<AWS::AccountId>:malware-protection-plan/*]'),
        'A plan id is known only once GuardDuty created it; the grant covers plans of this account and region, which only this function creates');
    }
    // GuardDuty assumes the plan's role; passing it is allowed for exactly that role.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['iam:PassRole'], resources: [planRole.roleArn] }));
    const resource = new CustomResource(scope, id, {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::GuardDutyMalwareProtectionPlan',
      serviceTimeout: customResourceServiceTimeout(GUARDDUTY_FUNCTION_TIMEOUT),
      properties: { Action: MALWARE_PROTECTION_PLAN, RoleArn: planRole.roleArn, BucketName: bucket.bucketName, Tagging: 'ENABLED' },
    });
    // GuardDuty validates the role's permissions when the plan is created: its policy must exist first.
    resource.node.addDependency(role.policy, rolePolicy);
    return resource;
  }

  /** Actions that name no resource before they run (the id is GuardDuty's answer), so IAM accepts only "*" for them. */
  private allowOnAnyResource(sid: string, actions: string[]): void {
    this.function.role.addToPrincipalPolicy(new PolicyStatement({ sid, actions, resources: ['*'] }));
    if (this.anyResourceAcknowledged) return;
    this.anyResourceAcknowledged = true;
    acknowledge(this.function.role.policy, 'AwsSolutions-IAM5[Resource::*]',
      'guardduty:ListDetectors, CreateDetector and CreateMalwareProtectionPlan act before any detector or plan id exists: they find or create the one detector of this account and region, and plans for this stack\'s buckets with their named roles');
  }
}
