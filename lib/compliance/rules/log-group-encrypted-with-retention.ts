import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { integerValue, templateProperties } from './template-view';

/** Log groups are encrypted with a customer-managed key and expire: logs describe data and must not grow forever. */
export function LogGroupEncryptedWithRetention(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::Logs::LogGroup') return NagRuleCompliance.NOT_APPLICABLE;
  const { KmsKeyId: key, RetentionInDays: retention } = templateProperties(node);
  return key !== undefined && key !== '' && (integerValue(retention) ?? 0) > 0
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
