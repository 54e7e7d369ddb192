/** Finds the id of the region's AWS-managed S3 prefix list, which CloudFormation cannot return. */
import type { Ec2Api } from './ec2-api';

export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * The AWS-managed prefix list of S3 in `region`: `com.amazonaws.<region>.s3` (`cn.com.amazonaws.<region>.s3` in
 * the China regions). Exactly one AWS-owned list must match, or the lookup fails: a security group rule must never
 * point at a list someone else created with a look-alike name.
 */
export async function lookUpS3PrefixListId(ec2: Ec2Api, region: string): Promise<string> {
  if (!REGION.test(region)) throw new Error(`"${region}" is not an AWS region name`);
  const names = [`com.amazonaws.${region}.s3`, `cn.com.amazonaws.${region}.s3`];
  const out = await ec2.describeManagedPrefixLists({ Filters: [{ Name: 'prefix-list-name', Values: names }] });
  const lists = (out.PrefixLists ?? []).filter((l) => l.OwnerId === 'AWS' && l.PrefixListName !== undefined && names.includes(l.PrefixListName));
  if (lists.length !== 1 || !lists[0]!.PrefixListId || !/^pl-[0-9a-f]+$/.test(lists[0]!.PrefixListId)) {
    throw new Error(`expected one AWS-managed prefix list named ${names.join(' or ')}, found ${lists.length}`);
  }
  return lists[0]!.PrefixListId;
}
