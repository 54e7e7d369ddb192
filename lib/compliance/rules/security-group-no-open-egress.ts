import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { EGRESS_TIER, NETWORK_TIER_TAG } from '../markers';
import { cidrsOf, declaredRules, literalCidr, prefixLength } from './security-group-view';
import { integerValue, isJsonObject, tagValue } from './template-view';

/** Protocol names and numbers EC2 accepts for TCP. */
const TCP = ['tcp', '6'];
const HTTPS = 443;

function httpsOnly(rule: unknown): boolean {
  return isJsonObject(rule) && TCP.includes(String(rule.IpProtocol).toLowerCase())
    && integerValue(rule.FromPort) === HTTPS && integerValue(rule.ToPort) === HTTPS;
}

/**
 * True when the rule may reach any address: a `/0` destination, or a CIDR that is not known at synth (a parameter,
 * an import), which could be one.
 */
function reachesAnywhere(node: CfnResource, rule: unknown): boolean {
  if (!isJsonObject(rule)) return true;
  return cidrsOf(rule).some((cidr) => (prefixLength(literalCidr(node, cidr)) ?? 0) === 0);
}

/**
 * No egress to `0.0.0.0/0` or `::/0`, inline or as an `AWS::EC2::SecurityGroupEgress`, except TCP 443 from a group
 * tagged as the egress tier (the one tier with a route to NAT). A standalone rule whose group is not in this
 * stack cannot show the tag and is judged as any other group's.
 */
export function SecurityGroupNoOpenEgress(node: CfnResource): NagRuleCompliance {
  const declared = declaredRules(node, 'Egress');
  if (!declared) return NagRuleCompliance.NOT_APPLICABLE;
  const egressTier = declared.group !== undefined && tagValue(declared.group, NETWORK_TIER_TAG) === EGRESS_TIER;
  const refused = declared.rules.some((rule) => reachesAnywhere(node, rule) && !(egressTier && httpsOnly(rule)));
  return refused ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}
