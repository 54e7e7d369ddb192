import { Aws, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Partition, region and account of a construct's stack, for ARNs in policies and conditions. */
export function arnParts(scope: IConstruct): { partition: string; region: string; account: string } {
  const stack = Stack.of(scope);
  return { partition: Aws.PARTITION, region: stack.region, account: stack.account };
}
