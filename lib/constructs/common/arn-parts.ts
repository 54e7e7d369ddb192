import { Aws, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Partition, region and account of a construct's stack, for ARNs in policies and conditions. */
export function arnParts(scope: IConstruct): { partition: string; region: string; account: string } {
  const stack = Stack.of(scope);
  return { partition: Aws.PARTITION, region: stack.region, account: stack.account };
}

/**
 * An ARN pattern written with the placeholders cdk-nag prints for pseudo parameters (`<AWS::Region>`,
 * `<AWS::AccountId>`), turned into what cdk-nag prints for this stack: a region or account pinned at synth
 * (`-c region=…`, `env`) appears as its literal value in the policy, so an acknowledgement's finding must name it so.
 */
export function findingArnPattern(scope: IConstruct, pattern: string): string {
  const { region, account } = arnParts(scope);
  return pattern
    .replace(/<AWS::Region>/g, Token.isUnresolved(region) ? '<AWS::Region>' : region)
    .replace(/<AWS::AccountId>/g, Token.isUnresolved(account) ? '<AWS::AccountId>' : account);
}
