import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isLambdaFunction } from './lambda-function-view';
import { isJsonObject, templateProperties } from './template-view';

function nonEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/**
 * Every function runs in the VPC, with subnets and security groups: outside it, a function reaches the internet
 * and AWS APIs around our endpoints, egress rules and DNS firewall. A list given as one intrinsic (a parameter,
 * an import) cannot be checked and is non-compliant; list the subnets and groups.
 */
export function LambdaInVpc(node: CfnResource): NagRuleCompliance {
  if (!isLambdaFunction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  const vpc = templateProperties(node).VpcConfig;
  return isJsonObject(vpc) && nonEmptyList(vpc.SubnetIds) && nonEmptyList(vpc.SecurityGroupIds)
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
