import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { CLASSIFICATION_TAG, CLASSIFICATIONS } from '../../classification';
import { tagValue } from './template-view';

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

/**
 * Every data-holding resource carries a `data-classification` tag with a known classification. The tag is read
 * from the template, so a plain `CfnResource` (which Tags.of() cannot reach) is judged by what it declares.
 */
export function ClassificationTag(node: CfnResource): NagRuleCompliance {
  if (!DATA_RESOURCE_TYPES.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
  const value = tagValue(node, CLASSIFICATION_TAG);
  return value !== undefined && (CLASSIFICATIONS as readonly string[]).includes(value)
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
