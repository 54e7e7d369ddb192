import { CfnDeletionPolicy, CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isJsonObject, referencedResource, templateProperties } from './template-view';

/**
 * Properties that set a resource's physical name where the name must be unique in the account and region (or
 * globally, for buckets). A name scoped to a parent the stack creates (an MSK topic in its cluster) is not listed: a
 * new parent gives it a new namespace. Types not listed here are not judged (extend the list for new types).
 */
export const PHYSICAL_NAME_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::MSK::Cluster': ['ClusterName'],
  'AWS::MSK::ServerlessCluster': ['ClusterName'],
  'AWS::MSK::Configuration': ['Name'],
  'AWS::DynamoDB::Table': ['TableName'],
  'AWS::DynamoDB::GlobalTable': ['TableName'],
  'AWS::SQS::Queue': ['QueueName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::KMS::Alias': ['AliasName'],
  'AWS::RDS::DBInstance': ['DBInstanceIdentifier'],
  'AWS::RDS::DBCluster': ['DBClusterIdentifier'],
  'AWS::RDS::DBSubnetGroup': ['DBSubnetGroupName'],
  'AWS::RDS::DBParameterGroup': ['DBParameterGroupName'],
  'AWS::RDS::DBClusterParameterGroup': ['DBClusterParameterGroupName'],
  'AWS::RDS::OptionGroup': ['OptionGroupName'],
  'AWS::Backup::BackupVault': ['BackupVaultName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::IAM::User': ['UserName'],
  'AWS::IAM::Group': ['GroupName'],
  'AWS::IAM::InstanceProfile': ['InstanceProfileName'],
  'AWS::EC2::SecurityGroup': ['GroupName'],
  'AWS::CloudTrail::Trail': ['TrailName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::Kinesis::Stream': ['Name'],
  'AWS::KinesisFirehose::DeliveryStream': ['DeliveryStreamName'],
  'AWS::ECR::Repository': ['RepositoryName'],
  'AWS::SSM::Parameter': ['Name'],
  'AWS::StepFunctions::StateMachine': ['StateMachineName'],
  'AWS::Events::EventBus': ['Name'],
  'AWS::ElastiCache::ReplicationGroup': ['ReplicationGroupId'],
  'AWS::ElastiCache::CacheCluster': ['ClusterName'],
  'AWS::OpenSearchService::Domain': ['DomainName'],
};

const RETAINING: readonly (CfnDeletionPolicy | undefined)[] = [CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE];

/**
 * A resource that outlives its stack (DeletionPolicy Retain or RetainExceptOnCreate) has no fixed physical name: the
 * stack created again (after it was deleted, or after a failed first create was cleaned up) would fail with "already
 * exists" on the leftover. Compliant: no name (CloudFormation generates a unique one), or a name that contains
 * `{"Ref": "AWS::StackId"}` (a new stack has a new id; deploymentUniqueName builds such names), or one built from a
 * resource of the same stack whose own name is unique (a log group named after a function with a generated name).
 * Literals, parameters, imports and the other pseudo parameters (stack name, region) are not unique per deployment.
 */
export function RetainedResourceUniqueName(node: CfnResource): NagRuleCompliance {
  const names = PHYSICAL_NAME_PROPERTIES[node.cfnResourceType];
  if (!names || !RETAINING.includes(node.cfnOptions.deletionPolicy)) return NagRuleCompliance.NOT_APPLICABLE;
  return hasUniqueName(node, new Set()) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** Every name property of `node` is absent or unique per deployment. `seen` stops reference cycles. */
function hasUniqueName(node: CfnResource, seen: Set<CfnResource>): boolean {
  seen.add(node);
  const properties = templateProperties(node);
  return (PHYSICAL_NAME_PROPERTIES[node.cfnResourceType] ?? [])
    .every((p) => properties[p] === undefined || containsUniquePart(node, properties[p], seen));
}

/** Whether the (resolved) value carries something that differs between two creations of the stack. */
function containsUniquePart(from: CfnResource, value: unknown, seen: Set<CfnResource>): boolean {
  if (Array.isArray(value)) return value.some((v) => containsUniquePart(from, v, seen));
  if (!isJsonObject(value)) return false;
  if (value.Ref === 'AWS::StackId') return true;
  const sub = value['Fn::Sub'];
  if (sub !== undefined) {
    const [template, variables] = Array.isArray(sub) ? [sub[0], sub[1]] : [sub, undefined];
    if (typeof template === 'string') {
      for (const [, name] of template.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        if (name === 'AWS::StackId') return true;
        if (isJsonObject(variables) && name in variables) continue; // judged below with the variables' values
        const [logicalId, attribute] = name.split('.', 2);
        const ref = attribute === undefined ? { Ref: logicalId } : { 'Fn::GetAtt': [logicalId, attribute] };
        if (referencesUniqueResource(from, ref, seen)) return true;
      }
    }
    return containsUniquePart(from, variables, seen);
  }
  if (referencesUniqueResource(from, value, seen)) return true;
  return Object.values(value).some((v) => containsUniquePart(from, v, seen));
}

/** `value` is a Ref/GetAtt to a resource of the same stack whose own name is generated or unique per deployment. */
function referencesUniqueResource(from: CfnResource, value: unknown, seen: Set<CfnResource>): boolean {
  const target = referencedResource(from, value);
  // A copy per branch: the set guards one chain of references against cycles, not siblings against each other.
  return target !== undefined && !seen.has(target) && hasUniqueName(target, new Set(seen));
}
