import { CfnDeletionPolicy, CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { destroyDataAllowed } from '../../constructs/common/removal';

/**
 * Resource types whose deletion loses data or breaks what depends on them. Queues hold records in flight and
 * dead letters; the SNS topic is included because the security topic's subscriptions (confirmed by hand) and
 * ARN (in alarms and EventBridge targets) would be lost with it.
 */
export const STATEFUL_RESOURCE_TYPES: readonly string[] = [
  'AWS::S3::Bucket',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::DynamoDB::Table',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::SQS::Queue',
  'AWS::Logs::LogGroup',
  'AWS::MSK::Cluster',
  'AWS::Backup::BackupVault',
  'AWS::SNS::Topic',
];

/**
 * Stateful resources survive stack deletion and replacement, and never outlive a failed create: `DeletionPolicy`
 * RetainExceptOnCreate, `UpdateReplacePolicy` Retain (what CDK's RETAIN_ON_UPDATE_OR_DELETE writes; RetainExceptOnCreate
 * is a deletion policy only, CloudFormation's replace policy knows Delete, Retain and Snapshot). Plain Retain is
 * non-compliant: it keeps what a failed first deploy created, and a leftover with a fixed name blocks the retry.
 * Read from the L1's options, whatever construct made it. Not applicable when the app opted in twice to destroying data.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html
 */
export function StatefulResourceRetained(node: CfnResource): NagRuleCompliance {
  if (!STATEFUL_RESOURCE_TYPES.includes(node.cfnResourceType) || destroyDataAllowed(node)) return NagRuleCompliance.NOT_APPLICABLE;
  const { deletionPolicy, updateReplacePolicy } = node.cfnOptions;
  return deletionPolicy === CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE && updateReplacePolicy === CfnDeletionPolicy.RETAIN
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
