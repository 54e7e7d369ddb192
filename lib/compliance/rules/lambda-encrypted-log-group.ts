import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { functionLogGroup, isLambdaFunction } from './lambda-function-view';
import { LogGroupEncryptedWithRetention } from './log-group-encrypted-with-retention';

/**
 * Every function logs to a log group of this stack that is encrypted with a customer-managed key and expires.
 * Without `LoggingConfig.LogGroup` Lambda creates `/aws/lambda/<name>` itself, unencrypted and kept forever;
 * a group we cannot see (another stack's, an imported name) cannot be checked. Both are non-compliant.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
 */
export function LambdaEncryptedLogGroup(node: CfnResource): NagRuleCompliance {
  if (!isLambdaFunction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  const group = functionLogGroup(node);
  return group !== undefined && LogGroupEncryptedWithRetention(group) === NagRuleCompliance.COMPLIANT
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
