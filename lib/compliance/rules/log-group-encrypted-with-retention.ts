import { CfnResource, Stack } from 'aws-cdk-lib';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { NagRuleCompliance } from 'cdk-nag';

/** Log groups are encrypted with a customer-managed key and expire: logs describe data and must not grow forever. */
export function LogGroupEncryptedWithRetention(node: CfnResource): NagRuleCompliance {
  if (!(node instanceof CfnLogGroup)) return NagRuleCompliance.NOT_APPLICABLE;
  const retention = Stack.of(node).resolve(node.retentionInDays) as unknown;
  return node.kmsKeyId !== undefined && typeof retention === 'number' && retention > 0
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
