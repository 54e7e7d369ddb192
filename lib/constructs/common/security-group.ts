/**
 * The one way this project creates a security group: no allow-all egress ever, and a network-tier tag that our pack
 * rules read from the template.
 */
import { Lazy, Stack, Tags } from 'aws-cdk-lib';
import { CfnSecurityGroup, IVpc, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { EGRESS_TIER, NETWORK_TIER_TAG } from '../../compliance/markers';

/** Functions in isolated subnets (and the shared client groups they carry): no route to the internet. */
export const ISOLATED_TIER = 'isolated';
/** The interface endpoints. */
export const ENDPOINT_TIER = 'endpoint';
/** Data stores: the database and the MSK brokers. */
export const DATA_TIER = 'data';

export type NetworkTier = typeof EGRESS_TIER | typeof ISOLATED_TIER | typeof ENDPOINT_TIER | typeof DATA_TIER;

/**
 * The rule CDK itself writes when a group has no egress (`allowAllOutbound: false`): ICMP type 252 code 86 to
 * 255.255.255.255/32 matches no traffic. An inline rule is what stops CloudFormation from adding its allow-all one.
 */
export const NO_TRAFFIC_EGRESS: Readonly<CfnSecurityGroup.EgressProperty> = {
  cidrIp: '255.255.255.255/32',
  description: 'Disallow all traffic',
  ipProtocol: 'icmp',
  fromPort: 252,
  toPort: 86,
};

export interface TieredSecurityGroupProps {
  readonly vpc: IVpc;
  /** What may reach what through this group: shows in the console and in the template. */
  readonly description: string;
  /** The tier of the resources behind the group, tagged as {@link NETWORK_TIER_TAG}. */
  readonly tier: NetworkTier;
}

/**
 * A security group with no outbound rule until one is added, and always at least one inline egress rule.
 *
 * CloudFormation gives a VPC security group created without `SecurityGroupEgress` an allow-all egress rule, and
 * separate `AWS::EC2::SecurityGroupEgress` resources add to it rather than replace it. CDK drops its "disallow all"
 * placeholder as soon as any egress rule is added, also one that becomes a separate resource (security-group or
 * prefix-list peers), so such a group would silently allow everything. Here the inline list is computed at synth
 * time: the rules CDK inlined, or the placeholder when there are none.
 * (CloudFormation `AWS::EC2::SecurityGroup`, property SecurityGroupEgress: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html)
 */
export function tieredSecurityGroup(scope: Construct, id: string, props: TieredSecurityGroupProps): SecurityGroup {
  const group = new SecurityGroup(scope, id, {
    vpc: props.vpc,
    description: props.description,
    allowAllOutbound: false,
    allowAllIpv6Outbound: false,
  });
  const cfn = group.node.defaultChild as CfnSecurityGroup;
  const inline = cfn.securityGroupEgress;
  cfn.securityGroupEgress = Lazy.any({
    produce: () => {
      const rules = Stack.of(group).resolve(inline) as unknown[] | undefined;
      return rules && rules.length > 0 ? rules : [NO_TRAFFIC_EGRESS];
    },
  });
  Tags.of(group).add(NETWORK_TIER_TAG, props.tier);
  return group;
}
