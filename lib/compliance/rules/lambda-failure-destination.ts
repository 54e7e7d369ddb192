import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { hasDeadLetterTarget, hasOnFailureDestination, isLambdaFunction } from './lambda-function-view';

/**
 * Every function keeps what it failed to process: a dead-letter queue or an on-failure destination for
 * asynchronous invocations, so a record is never dropped after the retries.
 */
export function LambdaFailureDestination(node: CfnResource): NagRuleCompliance {
  if (!isLambdaFunction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  return hasDeadLetterTarget(node) || hasOnFailureDestination(node)
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
