/**
 * The network's deploy-time work, done by one hardened PipelineFunction (lambda/network-custom-resource): looking up
 * the region's S3 prefix list, and closing the VPC's default security group. It replaces CDK's
 * `restrictDefaultSecurityGroup` provider, a Lambda function outside the VPC with an inline policy, no DLQ, no
 * concurrency limit and a log group without retention that no pack inspects.
 */
import { CustomResource, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import { IVpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { Profile } from '../../config';
import { arnParts } from '../common/arn-parts';
import { customResourceServiceTimeout } from '../common/custom-resource';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import type { SecureNetwork } from './secure-network';

/** Kept in sync with lambda/network-custom-resource/custom-resource.ts (lambda code may not import lib/constructs). */
const LOOK_UP_S3_PREFIX_LIST = 'LookUpS3PrefixList';
const RESTRICT_DEFAULT_SECURITY_GROUP = 'RestrictDefaultSecurityGroup';

/**
 * The id and type CDK gives its own default-group custom resource under the Vpc construct. Ours takes the same
 * place, so tools that recognise CDK's remedy (cdk-nag's VPCDefaultSecurityGroupClosed looks for exactly this
 * child) recognise the replacement, which does the same work.
 */
const RESTRICT_DEFAULT_SG_ID = 'RestrictDefaultSecurityGroupCustomResource';
const RESTRICT_DEFAULT_SG_TYPE = 'Custom::VpcRestrictDefaultSG';

/** EC2 answers in seconds; the handler answers FAILED before this runs out (lambda/shared/cfn-response.ts). */
const FUNCTION_TIMEOUT = Duration.seconds(30);

export interface NetworkCustomResourcesProps {
  readonly network: SecureNetwork;
  readonly keys: DataKeys;
  readonly profile: Profile;
  /**
   * Run in the egress tier. Needed when the S3 prefix list is looked up: the function must answer CloudFormation
   * through S3 before any prefix-list rule exists, so it reaches S3 (gateway route) with its 443 to anywhere, and EC2
   * through the interface endpoint; the DNS firewall keeps everything else from resolving.
   */
  readonly internetAccess: boolean;
}

export class NetworkCustomResources extends Construct {
  public readonly function: PipelineFunction;

  constructor(scope: Construct, id: string, props: NetworkCustomResourcesProps) {
    super(scope, id);
    this.function = new PipelineFunction(this, 'Function', {
      builtInHandler: 'network-custom-resource',
      classification: Classification.INTERNAL,
      network: props.network,
      keys: props.keys,
      profile: props.profile,
      internetAccess: props.internetAccess,
      concurrencyBound: { by: 'custom-resource' },
      timeout: FUNCTION_TIMEOUT,
      description: `Deploy-time network work of ${props.network.node.path}: S3 prefix list, default security group`,
    });
  }

  /** The region's AWS-managed S3 prefix list id (`pl-…`), as a deploy-time value. */
  public lookUpS3PrefixList(): string {
    // DescribeManagedPrefixLists has no resource type: IAM accepts only "*" for it.
    this.function.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['ec2:DescribeManagedPrefixLists'], resources: ['*'] }));
    acknowledge(this.function.role.policy, 'AwsSolutions-IAM5[Resource::*]',
      'ec2:DescribeManagedPrefixLists supports no resource-level permission; it only reads AWS-managed prefix lists, and it is the only wildcard of this role');
    const lookup = new CustomResource(this, 'S3PrefixList', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::S3PrefixList',
      serviceTimeout: customResourceServiceTimeout(FUNCTION_TIMEOUT),
      properties: { Action: LOOK_UP_S3_PREFIX_LIST, Region: Stack.of(this).region },
    });
    lookup.node.addDependency(this.function.role.policy);
    return lookup.getAttString('PrefixListId');
  }

  /** Closes `vpc`'s default security group (revokes its default rules) in place of CDK's provider. */
  public restrictDefaultSecurityGroup(vpc: IVpc & Construct, defaultSecurityGroupId: string): CustomResource {
    const { partition, region, account } = arnParts(this);
    this.function.role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
      resources: [`arn:${partition}:ec2:${region}:${account}:security-group/${defaultSecurityGroupId}`],
    }));
    const resource = new CustomResource(vpc, RESTRICT_DEFAULT_SG_ID, {
      serviceToken: this.function.functionArn,
      resourceType: RESTRICT_DEFAULT_SG_TYPE,
      serviceTimeout: customResourceServiceTimeout(FUNCTION_TIMEOUT),
      properties: { Action: RESTRICT_DEFAULT_SECURITY_GROUP, DefaultSecurityGroupId: defaultSecurityGroupId, Account: account },
    });
    resource.node.addDependency(this.function.role.policy);
    return resource;
  }
}

/**
 * The region without dashes (`euwest1`), as CloudFormation spells it in its custom-resource response bucket names,
 * from the stack's region (a token when the stack is environment-agnostic).
 */
export function regionWithoutDashes(scope: Construct): string {
  const region = Stack.of(scope).region;
  return Token.isUnresolved(region) ? Fn.join('', Fn.split('-', region)) : region.replace(/-/g, '');
}
