import { CfnDeletionPolicy, CfnParameter, CfnResource, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { deploymentUniqueName } from '../../../lib/constructs/common/deployment-name';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'RetainedResourceUniqueName';

/** A plain L1 of `type`, retained like our data stores unless `policy` says otherwise. */
function resource(scope: Construct, id: string, type: string, properties: Record<string, unknown>, policy = CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE): CfnResource {
  const r = new CfnResource(scope, id, { type, properties });
  r.cfnOptions.deletionPolicy = policy;
  r.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  return r;
}

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      new CfnBucket(compliant, 'GeneratedName').applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
      resource(compliant, 'UniqueCluster', 'AWS::MSK::Cluster', { ClusterName: deploymentUniqueName('stream', 64) });
      resource(compliant, 'SubStackId', 'AWS::Logs::LogGroup', { LogGroupName: Fn.sub('/pipeline/${AWS::StackId}/logs') });
      resource(compliant, 'JoinStackId', 'AWS::SQS::Queue', { QueueName: Fn.join('-', ['q', Fn.select(2, Fn.split('/', Fn.ref('AWS::StackId')))]) });
      // A name derived from a resource whose own name CloudFormation generates.
      const fn = new CfnResource(compliant, 'GeneratedFunction', { type: 'AWS::Lambda::Function', properties: {} });
      resource(compliant, 'FunctionLogs', 'AWS::Logs::LogGroup', { LogGroupName: Fn.join('', ['/aws/lambda/', fn.ref]) });
      resource(compliant, 'FunctionLogsBySub', 'AWS::Logs::LogGroup', { LogGroupName: Fn.sub(`/aws/lambda/\${${compliant.resolve(fn.logicalId)}}`) });
      // Deleted with the stack: a fixed name blocks nothing.
      resource(compliant, 'DeletedWithFixedName', 'AWS::S3::Bucket', { BucketName: 'fixed-bucket' }, CfnDeletionPolicy.DELETE);
      // A name scoped to its cluster, not to the account: a new cluster is a new namespace.
      resource(compliant, 'Topic', 'AWS::MSK::Topic', { TopicName: 'orders.clean', ClusterArn: 'arn' });
      // The display name is not a physical name.
      resource(compliant, 'AlertTopic', 'AWS::SNS::Topic', { DisplayName: 'Security alerts' });

      const nonCompliant = new Stack(app, 'NonCompliant');
      resource(nonCompliant, 'LiteralBucket', 'AWS::S3::Bucket', { BucketName: 'fixed-bucket' });
      resource(nonCompliant, 'PlainRetainLogGroup', 'AWS::Logs::LogGroup', { LogGroupName: '/fixed/logs' }, CfnDeletionPolicy.RETAIN);
      resource(nonCompliant, 'LiteralCluster', 'AWS::MSK::Cluster', { ClusterName: 'stream' });
      resource(nonCompliant, 'LiteralConfiguration', 'AWS::MSK::Configuration', { Name: 'stream-config' });
      resource(nonCompliant, 'LiteralVault', 'AWS::Backup::BackupVault', { BackupVaultName: 'vault' });
      resource(nonCompliant, 'LiteralDatabase', 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'db' });
      resource(nonCompliant, 'StackNameOnly', 'AWS::SQS::Queue', { QueueName: Fn.join('-', [Fn.ref('AWS::StackName'), 'dlq']) });
      resource(nonCompliant, 'SubStackName', 'AWS::SecretsManager::Secret', { Name: Fn.sub('${AWS::StackName}/token-key') });
      const name = new CfnParameter(nonCompliant, 'TableName', { type: 'String' });
      resource(nonCompliant, 'FromParameter', 'AWS::DynamoDB::Table', { TableName: name.valueAsString });
      // A log group named after a function that has a fixed name is as fixed as the function's name.
      const named = new CfnResource(nonCompliant, 'NamedFunction', { type: 'AWS::Lambda::Function', properties: { FunctionName: 'ingest' } });
      resource(nonCompliant, 'NamedFunctionLogs', 'AWS::Logs::LogGroup', { LogGroupName: Fn.join('', ['/aws/lambda/', named.ref]) });
      resource(nonCompliant, 'ImportedName', 'AWS::S3::Bucket', { BucketName: Fn.importValue('SharedBucketName') });
    });
  });

  test('no name, a name containing the stack id, or one built on a resource with a generated name is compliant; deleted resources are not judged', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('literal names, names from the stack name, a parameter, an import or a fixed-name resource are non-compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('NonCompliant/'))).toEqual([
      'NonCompliant/FromParameter',
      'NonCompliant/ImportedName',
      'NonCompliant/LiteralBucket',
      'NonCompliant/LiteralCluster',
      'NonCompliant/LiteralConfiguration',
      'NonCompliant/LiteralDatabase',
      'NonCompliant/LiteralVault',
      'NonCompliant/NamedFunctionLogs',
      'NonCompliant/PlainRetainLogGroup',
      'NonCompliant/StackNameOnly',
      'NonCompliant/SubStackName',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
