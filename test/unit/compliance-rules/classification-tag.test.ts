import { CfnResource, Stack, Tags } from 'aws-cdk-lib';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { CLASSIFICATION_TAG } from '../../../lib/classification';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'ClassificationTag';

describe(`DataPipeline-${RULE} reads the tag from the template, by resource type`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      Tags.of(new CfnBucket(compliant, 'TaggedL1')).add(CLASSIFICATION_TAG, 'Internal');
      // Tags.of() cannot reach a plain CfnResource; what it declares is what counts.
      new CfnResource(compliant, 'PlainBucket', { type: 'AWS::S3::Bucket', properties: { Tags: [{ Key: CLASSIFICATION_TAG, Value: 'Restricted' }] } });
      // MSK clusters carry tags as a map.
      new CfnResource(compliant, 'PlainCluster', { type: 'AWS::MSK::Cluster', properties: { Tags: { [CLASSIFICATION_TAG]: 'Public' } } });

      const nonCompliant = new Stack(app, 'NonCompliant');
      new CfnBucket(nonCompliant, 'Untagged');
      new CfnResource(nonCompliant, 'PlainUntagged', { type: 'AWS::SQS::Queue' });
      new CfnResource(nonCompliant, 'PlainUnknownValue', { type: 'AWS::S3::Bucket', properties: { Tags: [{ Key: CLASSIFICATION_TAG, Value: 'Secret' }] } });
      new CfnResource(nonCompliant, 'PlainClusterOtherTag', { type: 'AWS::MSK::Cluster', properties: { Tags: { owner: 'Internal' } } });
    });
  });

  test('a known classification, on an L1 or a plain CfnResource, as a tag list or a tag map, is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('a data resource without the tag or with an unknown value is non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/PlainClusterOtherTag',
      'NonCompliant/PlainUnknownValue',
      'NonCompliant/PlainUntagged',
      'NonCompliant/Untagged',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
