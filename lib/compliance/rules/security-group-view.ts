/** Security-group rules as the template declares them: inline on the group, or one per standalone resource. */
import { CfnResource } from 'aws-cdk-lib';
import { isJsonObject, referencedResource, templateProperties } from './template-view';

export const SECURITY_GROUP = 'AWS::EC2::SecurityGroup';

export type Direction = 'Ingress' | 'Egress';

export interface DeclaredRules {
  /** Each rule as written; an entry that is not an object (an `Fn::If`) cannot be checked. */
  readonly rules: readonly unknown[];
  /** The group the rules belong to, when it is a group of this stack. */
  readonly group?: CfnResource;
}

/**
 * The rules of one direction that `node` declares: a group's inline list, or the single rule of an
 * `AWS::EC2::SecurityGroup<Direction>` with the group its `GroupId` names. Undefined for any other type.
 */
export function declaredRules(node: CfnResource, direction: Direction): DeclaredRules | undefined {
  const properties = templateProperties(node);
  if (node.cfnResourceType === SECURITY_GROUP) {
    const inline = properties[`SecurityGroup${direction}`];
    return { rules: Array.isArray(inline) ? inline : inline === undefined ? [] : [inline], group: node };
  }
  if (node.cfnResourceType !== `${SECURITY_GROUP}${direction}`) return undefined;
  const group = referencedResource(node, properties.GroupId);
  return { rules: [properties], ...(group?.cfnResourceType === SECURITY_GROUP ? { group } : {}) };
}

/** The CIDR sources or destinations of a rule (IPv4 and IPv6), as resolved values; [] when it names a group or prefix list. */
export function cidrsOf(rule: unknown): unknown[] {
  return isJsonObject(rule) ? [rule.CidrIp, rule.CidrIpv6].filter((c) => c !== undefined) : [];
}

/** The prefix length of a literal CIDR (`10.0.0.0/16` → 16); undefined for anything that is not one. */
export function prefixLength(cidr: unknown): number | undefined {
  if (typeof cidr !== 'string') return undefined;
  const match = /^[0-9a-fA-F:.]+\/(\d{1,3})$/.exec(cidr.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * A CIDR as a literal: the string itself, or the `CidrBlock` of a VPC of this stack named with `Fn::GetAtt`
 * (`vpc.vpcCidrBlock`) when that VPC declares it literally. Undefined when it cannot be known at synth.
 */
export function literalCidr(from: CfnResource, cidr: unknown): string | undefined {
  if (typeof cidr === 'string') return cidr;
  const vpc = referencedResource(from, cidr);
  const attribute = isJsonObject(cidr) && Array.isArray(cidr['Fn::GetAtt']) ? cidr['Fn::GetAtt'][1] : undefined;
  if (vpc?.cfnResourceType !== 'AWS::EC2::VPC' || attribute !== 'CidrBlock') return undefined;
  const block = templateProperties(vpc).CidrBlock;
  return typeof block === 'string' ? block : undefined;
}
