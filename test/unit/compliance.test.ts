import { App, Stack } from 'aws-cdk-lib';
import { CfnSecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Function as LambdaFunction, Code, Runtime, CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, CfnLogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { NagRuleCompliance } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  acknowledge,
  ClassificationTag,
  DATA_PIPELINE_RULES,
  listAcknowledgements,
  LogGroupEncryptedWithRetention,
  NoSecretInLambdaEnvironment,
  parseRuleId,
  qualifiedRuleId,
} from '../../lib/compliance';
import { synthWithCompliance, testStack } from '../helpers/app';

const REASON = 'A reason long enough that says why the resource cannot be fixed';

describe('acknowledge() refuses what must be fixed instead', () => {
  test.each([
    ['AwsSolutions-S10'],
    ['HIPAA.Security-S3BucketSSLRequestsOnly'],
    ['NIST.800.53.R5-S3BucketPublicReadProhibited'],
    ['PCI.DSS.321::PCI.DSS.321-S3BucketPublicWriteProhibited'],
    ['AwsSolutions-S2'],
    ['AwsSolutions-RDS2'],
    ['HIPAA.Security-RDSStorageEncrypted'],
    ['NIST.800.53.R5-CloudWatchLogGroupEncrypted'],
    ['AwsSolutions-MSK2'],
    ['DataPipeline-ClassificationTag'],
  ])('%s is never acknowledgeable', (rule) => {
    const bucket = new Bucket(testStack(), 'B');
    expect(() => acknowledge(bucket, rule, REASON)).toThrow(/cannot be acknowledged.*fix the resource instead/);
  });

  // Derived from the pack, so a rule added later is covered without touching this test.
  test.each(DATA_PIPELINE_RULES.map((spec) => [`DataPipeline-${spec.name ?? spec.rule.name}`]))('our own %s is never acknowledgeable', (rule) => {
    const stack = testStack();
    const group = new CfnSecurityGroup(stack, 'G', { groupDescription: 'x' });
    expect(() => acknowledge(group, rule, REASON)).toThrow(/cannot be acknowledged.*fix the resource instead/);
    expect(() => acknowledge(group, `DataPipeline::${rule}`, REASON)).toThrow(/cannot be acknowledged/);
    expect(listAcknowledgements(stack)).toEqual([]);
  });

  test.each([[''], ['   '], ['not needed'], ['False positive'], ['short but not 25 chars']])('reason %j is refused', (reason) => {
    const bucket = new Bucket(testStack(), 'B');
    expect(() => acknowledge(bucket, 'AwsSolutions-S1', reason)).toThrow(/needs a reason of at least 25 characters/);
  });

  test('App, Stage and Stack scopes are refused: an acknowledgement covers one resource', () => {
    const stack = testStack();
    expect(() => acknowledge(stack, 'AwsSolutions-S1', REASON)).toThrow(/acknowledge on the one resource/);
    expect(() => acknowledge(stack.node.root, 'AwsSolutions-S1', REASON)).toThrow(/App, Stage or Stack/);
  });

  test('an L2 resolves to its L1; a construct without one is refused', () => {
    const stack = testStack();
    const bucket = new Bucket(stack, 'B');
    acknowledge(bucket, 'AwsSolutions-S1', REASON);
    expect(listAcknowledgements(stack)).toEqual([{ id: 'AwsSolutions::AwsSolutions-S1', path: 'TestStack/B/Resource', reason: REASON }]);
    expect(() => acknowledge(bucket, 'AwsSolutions-S1', REASON)).toThrow(/already acknowledged/);
    const group = new Construct(stack, 'Group');
    expect(() => acknowledge(group, 'AwsSolutions-S1', REASON)).toThrow(/not a CloudFormation resource/);
  });

  test('rule ids: short, pack-qualified and finding-qualified forms parse; unknown packs are refused', () => {
    expect(parseRuleId('AwsSolutions-S1')).toEqual({ pack: 'AwsSolutions', rule: 'S1' });
    expect(parseRuleId('HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled')).toEqual({ pack: 'HIPAA.Security', rule: 'S3BucketLoggingEnabled' });
    expect(qualifiedRuleId('AwsSolutions-IAM5[Resource::*]')).toBe('AwsSolutions::AwsSolutions-IAM5[Resource::*]');
    expect(() => parseRuleId('S1')).toThrow(/not a rule id of a known pack/);
    expect(() => parseRuleId('HIPAA.Security::AwsSolutions-S1')).toThrow(/belongs to "AwsSolutions"/);
  });
});

describe('enforcement at synth', () => {
  /** Two buckets with the same single AwsSolutions finding (no access logs) and nothing else wrong... except what default buckets get. */
  function twoBuckets(ackId?: string) {
    return synthWithCompliance((app: App) => {
      const stack = new Stack(app, 'Ack');
      const a = new Bucket(stack, 'A');
      new Bucket(stack, 'B');
      if (ackId) acknowledge(a, ackId, REASON);
    });
  }

  test('an insecure bucket makes synth fail, with rule, path and message', () => {
    const result = twoBuckets();
    expect(result.error).toBeDefined();
    expect(result.error!.name).toBe('ValidationFailed');
    expect(result.error!.message).toContain('Ack/A/Resource');
    expect(result.error!.message).toContain('AwsSolutions::AwsSolutions-S10');
    expect(result.error!.message).toContain('does not require requests to use SSL');
    const rules = new Set(result.findings.map((f) => f.ruleId));
    for (const r of ['AwsSolutions-S1', 'AwsSolutions-S10', 'HIPAA.Security-S3DefaultEncryptionKMS', 'NIST.800.53.R5-S3BucketVersioningEnabled', 'PCI.DSS.321-S3BucketLoggingEnabled', 'DataPipeline-ClassificationTag']) {
      expect(rules).toContain(r);
    }
  });

  test.each([['AwsSolutions-S1'], ['AwsSolutions::AwsSolutions-S1']])('acknowledging %s silences exactly one finding', (id) => {
    const before = twoBuckets().findings;
    const after = twoBuckets(id).findings;
    const key = (f: { ruleId: string; path: string }) => `${f.ruleId} ${f.path}`;
    const removed = before.map(key).filter((k) => !after.map(key).includes(k));
    expect(removed).toEqual(['AwsSolutions-S1 Ack/A/Resource']);
    expect(after).toHaveLength(before.length - 1);
    expect(after.map(key)).toContain('AwsSolutions-S1 Ack/B/Resource');
  });
});

describe('DataPipelineChecks rules', () => {
  test('LogGroupEncryptedWithRetention needs a key and a retention', () => {
    const stack = testStack();
    const plain = new LogGroup(stack, 'Plain', { retention: RetentionDays.INFINITE });
    const ok = new CfnLogGroup(stack, 'Ok', { kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abc', retentionInDays: 90 });
    const noRetention = new CfnLogGroup(stack, 'NoRetention', { kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abc' });
    expect(LogGroupEncryptedWithRetention(plain.node.defaultChild as CfnLogGroup)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(LogGroupEncryptedWithRetention(ok)).toBe(NagRuleCompliance.COMPLIANT);
    expect(LogGroupEncryptedWithRetention(noRetention)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(LogGroupEncryptedWithRetention(new CfnBucket(stack, 'X'))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test.each([
    [{ DB_PASSWORD: 'hunter2hunter2' }, NagRuleCompliance.NON_COMPLIANT],
    [{ SETTING: 'AKIAABCDEFGHIJKLMNOP' }, NagRuleCompliance.NON_COMPLIANT],
    [{ API_TOKEN: 'abc' }, NagRuleCompliance.NON_COMPLIANT],
    [{ API_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:x' }, NagRuleCompliance.COMPLIANT],
    [{ SECRET_NAME: 'pipeline/api' }, NagRuleCompliance.COMPLIANT],
    [{ LOG_LEVEL: 'INFO' }, NagRuleCompliance.COMPLIANT],
  ])('NoSecretInLambdaEnvironment %j', (variables, expected) => {
    const stack = testStack();
    const fn = new LambdaFunction(stack, 'Fn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x'), environment: variables });
    expect(NoSecretInLambdaEnvironment(fn.node.defaultChild as CfnFunction)).toBe(expected);
  });

  test('ClassificationTag wants a known classification on data resources only', () => {
    const stack = testStack();
    const tagged = new CfnBucket(stack, 'Tagged', { tags: [{ key: 'data-classification', value: 'Internal' }] });
    const wrong = new CfnBucket(stack, 'Wrong', { tags: [{ key: 'data-classification', value: 'Secret' }] });
    const none = new CfnBucket(stack, 'None');
    expect(ClassificationTag(tagged)).toBe(NagRuleCompliance.COMPLIANT);
    expect(ClassificationTag(wrong)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(ClassificationTag(none)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(ClassificationTag(new CfnLogGroup(stack, 'L'))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});
