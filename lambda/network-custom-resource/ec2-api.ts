/**
 * The part of the EC2 API these custom resources call, typed narrowly so the logic takes any client with these
 * methods: the SDK's aggregated `EC2` client in the function, a fake in tests.
 */
export interface IpPermission {
  readonly IpProtocol: string;
  readonly IpRanges?: Array<{ CidrIp: string }>;
  readonly Ipv6Ranges?: Array<{ CidrIpv6: string }>;
  readonly UserIdGroupPairs?: Array<{ GroupId: string; UserId?: string }>;
}

export interface RevokeOutput {
  readonly Return?: boolean;
  /** Permissions the call named that the group does not have (newer EC2 answers instead of failing). */
  readonly UnknownIpPermissions?: readonly unknown[];
}

export interface Ec2Api {
  describeManagedPrefixLists(input: {
    Filters: Array<{ Name: string; Values: string[] }>;
  }): Promise<{ PrefixLists?: Array<{ PrefixListId?: string; PrefixListName?: string; OwnerId?: string }> }>;
  revokeSecurityGroupIngress(input: { GroupId: string; IpPermissions: IpPermission[] }): Promise<RevokeOutput>;
  revokeSecurityGroupEgress(input: { GroupId: string; IpPermissions: IpPermission[] }): Promise<RevokeOutput>;
}
