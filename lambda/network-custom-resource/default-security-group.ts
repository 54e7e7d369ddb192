/**
 * Closes a VPC's default security group: revokes the rules EC2 gives every default group (all traffic in from the
 * group itself, all traffic out). Nothing of the pipeline uses the default group; closing it keeps anything placed
 * in it by mistake from talking to anything.
 */
import type { Ec2Api, IpPermission, RevokeOutput } from './ec2-api';

export const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
export const ACCOUNT_ID = /^\d{12}$/;

/** The rules EC2 creates in a default security group (https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html). */
export function defaultRules(groupId: string, account: string): { ingress: IpPermission[]; egress: IpPermission[] } {
  return {
    ingress: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId, UserId: account }] }],
    egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }, { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
  };
}

/** Revokes each default rule on its own, so a rule already gone (or never there, like ::/0 without IPv6) is no error. */
export async function closeDefaultSecurityGroup(ec2: Ec2Api, groupId: string, account: string): Promise<void> {
  if (!SECURITY_GROUP_ID.test(groupId)) throw new Error(`"${groupId}" is not a security group id`);
  if (!ACCOUNT_ID.test(account)) throw new Error(`"${account}" is not an AWS account id`);
  const { ingress, egress } = defaultRules(groupId, account);
  for (const permission of ingress) {
    await revoke(() => ec2.revokeSecurityGroupIngress({ GroupId: groupId, IpPermissions: [permission] }));
  }
  for (const permission of egress) {
    await revoke(() => ec2.revokeSecurityGroupEgress({ GroupId: groupId, IpPermissions: [permission] }));
  }
}

async function revoke(call: () => Promise<RevokeOutput>): Promise<void> {
  try {
    const out = await call();
    // EC2 reports a rule that was not there either as this error or as an unknown permission; both mean "closed".
    if (out.Return === false && (out.UnknownIpPermissions ?? []).length === 0) throw new Error('EC2 refused to revoke the rule');
  } catch (e) {
    if ((e as { name?: string }).name !== 'InvalidPermission.NotFound') throw e;
  }
}
