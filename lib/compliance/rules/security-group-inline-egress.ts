import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { SECURITY_GROUP } from './security-group-view';
import { templateProperties } from './template-view';

/**
 * Every security group declares its egress inline. A group created without `SecurityGroupEgress` gets EC2's
 * allow-all egress rules, and `AWS::EC2::SecurityGroupEgress` resources only add to them; with CDK,
 * `allowAllOutbound: false` writes the inline placeholder that prevents them.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
 * (The VPC's default group is not an `AWS::EC2::SecurityGroup` of the template; SecureNetwork closes it.)
 */
export function SecurityGroupInlineEgress(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== SECURITY_GROUP) return NagRuleCompliance.NOT_APPLICABLE;
  const egress = templateProperties(node).SecurityGroupEgress;
  return Array.isArray(egress) && egress.length > 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
