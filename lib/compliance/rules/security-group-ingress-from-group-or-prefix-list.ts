import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { cidrsOf, declaredRules, prefixLength } from './security-group-view';
import { isJsonObject } from './template-view';

/**
 * A CIDR source is acceptable only when it names one host: `/32` (IPv4) or `/128` (IPv6); a literal is required
 * because a token (`vpc.vpcCidrBlock`, a parameter) is a range more often than not.
 */
function singleHost(cidr: unknown): boolean {
  if (typeof cidr !== 'string') return false;
  return prefixLength(cidr) === (cidr.includes(':') ? 128 : 32);
}

/**
 * Ingress comes from a security group or a managed prefix list, not from an address range: a range admits every
 * present and future workload in it (`0.0.0.0/0`, or the VPC's whole CIDR), a group admits exactly its members.
 * Applies to inline ingress and to `AWS::EC2::SecurityGroupIngress` resources.
 */
export function SecurityGroupIngressFromGroupOrPrefixList(node: CfnResource): NagRuleCompliance {
  const declared = declaredRules(node, 'Ingress');
  if (!declared) return NagRuleCompliance.NOT_APPLICABLE;
  const refused = declared.rules.some((rule) => !isJsonObject(rule) || !cidrsOf(rule).every(singleHost));
  return refused ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}
