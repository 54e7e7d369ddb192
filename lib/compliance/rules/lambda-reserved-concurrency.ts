import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isLambdaFunction } from './lambda-function-view';
import { integerValue, templateProperties } from './template-view';

/**
 * Every function has reserved concurrency of at least 1: a bound on what it can cost and on the load it puts on
 * the database and the broker, and capacity no other function of the account can take away. A value that is not
 * a literal integer (a parameter) cannot be checked and is non-compliant.
 */
export function LambdaReservedConcurrency(node: CfnResource): NagRuleCompliance {
  if (!isLambdaFunction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  return (integerValue(templateProperties(node).ReservedConcurrentExecutions) ?? 0) >= 1
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
