import { CfnResource, TagManager } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { CLASSIFICATION_TAG, CLASSIFICATIONS } from '../../classification';

/** Resource types that hold data and so must say how it is classified. */
export const DATA_RESOURCE_TYPES: readonly string[] = [
  'AWS::S3::Bucket',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::MSK::Cluster',
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
];

/** Every data-holding resource carries a `data-classification` tag with a known classification. */
export function ClassificationTag(node: CfnResource): NagRuleCompliance {
  if (!DATA_RESOURCE_TYPES.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
  if (!TagManager.isTaggable(node)) return NagRuleCompliance.NON_COMPLIANT;
  const value = node.tags.tagValues()[CLASSIFICATION_TAG];
  return value !== undefined && (CLASSIFICATIONS as readonly string[]).includes(value)
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
