import { CfnDeletionPolicy, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DESTROY_DATA_CONTEXT, PROFILE_CONTEXT } from '../../../lib/constructs/common/removal';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'StatefulResourceRetained';

/** A plain L1 of `type` with the given deletion and replace policies, as another library might declare it. */
function plain(scope: Construct, id: string, type: string, deletion: CfnDeletionPolicy, replace: CfnDeletionPolicy): CfnResource {
  const resource = new CfnResource(scope, id, { type });
  resource.cfnOptions.deletionPolicy = deletion;
  resource.cfnOptions.updateReplacePolicy = replace;
  return resource;
}

/** Stateful resources left to their defaults or half-retained. */
function unretained(scope: Construct): void {
  new Queue(scope, 'QueueL2Default'); // the L2 default is DESTROY
  new Secret(scope, 'SecretL2Default');
  new CfnBucket(scope, 'BucketNoPolicy'); // CloudFormation's default is Delete
  new CfnBucket(scope, 'RetainedButReplaceable').applyRemovalPolicy(RemovalPolicy.RETAIN, { applyToUpdateReplacePolicy: false });
  plain(scope, 'PlainTopic', 'AWS::SNS::Topic', CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.DELETE);
  plain(scope, 'ReplacePolicyNotAnOption', 'AWS::Logs::LogGroup', CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE);
  // Plain Retain keeps what a failed first deploy created: the retry meets the leftover.
  new CfnBucket(scope, 'PlainRetain').applyRemovalPolicy(RemovalPolicy.RETAIN);
  plain(scope, 'PlainRetainKey', 'AWS::KMS::Key', CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN);
  plain(scope, 'SnapshotDatabase', 'AWS::RDS::DBInstance', CfnDeletionPolicy.SNAPSHOT, CfnDeletionPolicy.RETAIN);
}

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      new CfnBucket(compliant, 'Retained').applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
      new CfnQueue(compliant, 'RetainedExceptOnCreate').applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
      plain(compliant, 'PlainKey', 'AWS::KMS::Key', CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE, CfnDeletionPolicy.RETAIN);
      new CfnRole(compliant, 'NotStateful', { assumeRolePolicyDocument: {} }).applyRemovalPolicy(RemovalPolicy.DESTROY);

      unretained(new Stack(app, 'NonCompliant'));

      // The double opt-in (-c profile=dev -c destroyData=true), here on the stack's node so one app holds all cases.
      const optedIn = new Stack(app, 'OptedIn');
      optedIn.node.setContext(PROFILE_CONTEXT, 'dev');
      optedIn.node.setContext(DESTROY_DATA_CONTEXT, true);
      unretained(optedIn);

      const prodOptIn = new Stack(app, 'ProdOptIn');
      prodOptIn.node.setContext(PROFILE_CONTEXT, 'prod');
      prodOptIn.node.setContext(DESTROY_DATA_CONTEXT, true);
      new CfnBucket(prodOptIn, 'BucketNoPolicy');
    });
  });

  test('RetainExceptOnCreate with a Retain replace policy is compliant; other types are not judged', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('defaults that delete, a replace policy that deletes, RetainExceptOnCreate as replace policy, plain Retain and Snapshot are non-compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('NonCompliant/'))).toEqual([
      'NonCompliant/BucketNoPolicy',
      'NonCompliant/PlainRetain',
      'NonCompliant/PlainRetainKey',
      'NonCompliant/PlainTopic',
      'NonCompliant/QueueL2Default/Resource',
      'NonCompliant/ReplacePolicyNotAnOption',
      'NonCompliant/RetainedButReplaceable',
      'NonCompliant/SecretL2Default/Resource',
      'NonCompliant/SnapshotDatabase',
    ]);
  });

  test('with both -c profile=dev and -c destroyData=true the rule does not apply; destroyData alone in prod does not count', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('OptedIn/'))).toEqual([]);
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('ProdOptIn/'))).toEqual(['ProdOptIn/BucketNoPolicy']);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
