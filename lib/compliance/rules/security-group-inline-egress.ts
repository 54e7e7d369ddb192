import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { SECURITY_GROUP } from './security-group-view';
import { templateProperties } from './template-view';

/**
 * Every security group declares its egress inline. EC2 gives a group created without `SecurityGroupEgress`
 * allow-all egress (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html).
 * Whatever a later `AWS::EC2::SecurityGroupEgress` does to that default (CDK relies on CloudFormation stripping it,
 * aws/aws-cdk#998; the documentation does not say so), the group is open from its creation until that rule
 * exists, and for good if the rule is removed or never created. Note that CDK's `allowAllOutbound: false`
 * writes an inline deny-all placeholder but drops it once an egress rule to another security group (always a
 * separate resource) is added. The VPC's default group is not an `AWS::EC2::SecurityGroup` of the template.
 */
export function SecurityGroupInlineEgress(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== SECURITY_GROUP) return NagRuleCompliance.NOT_APPLICABLE;
  const egress = templateProperties(node).SecurityGroupEgress;
  return Array.isArray(egress) && egress.length > 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
