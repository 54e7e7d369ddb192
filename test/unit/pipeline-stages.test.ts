/**
 * The Lambda stages as the blueprint synthesizes them (dev profile, example datasets): one synth for the file,
 * assertions on the template.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { buildPipelineStack, testApp } from '../helpers/app';
import { loadRuleMatches, objectCreatedEvent } from '../lambda/load/support/eventbridge';

const stack = buildPipelineStack(testApp());
const { pipeline } = stack;
const template = Template.fromStack(stack);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, Json>; DependsOn?: string[] }>;
const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);

describe('custom resources', () => {
  test('each has a ServiceTimeout of its function timeout plus one minute, far below the default hour', () => {
    // Ours are served by PipelineFunctions (CDK's own default-security-group resource belongs to the network).
    const ours = new Set(pipeline.functions.map((f) => id(f.function)));
    const custom = Object.values(resources).filter((r) => r.Type.startsWith('Custom::')
      && ours.has((r.Properties.ServiceToken as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0] ?? ''));
    expect(custom.map((r) => r.Type).sort()).toEqual(['Custom::MskBootstrapBrokers', 'Custom::PipelineSchema']);
    for (const resource of custom) {
      const fnId = (resource.Properties.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const timeout = resources[fnId]!.Properties.Timeout as number;
      // CDK renders it as a string, as every custom-resource property.
      expect(resource.Properties.ServiceTimeout).toBe(String(timeout + 60));
    }
    template.hasResourceProperties('Custom::PipelineSchema', { ServiceTimeout: '360' });
    template.hasResourceProperties('Custom::MskBootstrapBrokers', { ServiceTimeout: '90' });
  });
});

describe('load stage', () => {
  const { load } = pipeline;
  const curated = [...pipeline.curatedBuckets.values()];
  const policyOf = (queue: unknown) => Object.values(resources).find((r) => r.Type === 'AWS::SQS::QueuePolicy'
    && JSON.stringify(r.Properties.Queues) === JSON.stringify([{ Ref: id(queue) }]))!.Properties.PolicyDocument.Statement as Array<Record<string, Json>>;

  test('curated buckets only switch their events to EventBridge: no queue notification, nothing that refers to the queue', () => {
    for (const bucket of curated) {
      expect(resources[id(bucket.bucket)]!.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    }
    expect(resources[id(pipeline.quarantineBucket.bucket)]!.Properties.NotificationConfiguration).toBeUndefined();
  });

  test('one rule matches Object Created events of exactly the curated buckets and the curated key shape, into the queue with a DLQ', () => {
    const rule = resources[id(load.rule)]!.Properties;
    expect(rule.EventPattern).toEqual({
      'source': ['aws.s3'],
      'detail-type': ['Object Created'],
      'account': [{ Ref: 'AWS::AccountId' }],
      'region': [{ Ref: 'AWS::Region' }],
      'detail': {
        bucket: { name: curated.map((b) => ({ Ref: id(b.bucket) })) },
        object: { key: [{ wildcard: 'dataset=*/dt=*/*.jsonl.gz' }, { wildcard: 'dataset%3D*/dt%3D*/*.jsonl.gz' }] },
      },
    });
    expect(rule.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::GetAtt': [id(load.queue), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(load.ruleDeadLetterQueue), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    })]);
  });

  test('what the rule lets through: curated keys of the curated buckets, encoded or not; nothing else', () => {
    const rule = resources[id(load.rule)]!.Properties.EventPattern;
    const wildcards = (rule.detail.object.key as Array<{ wildcard: string }>).map((k) => k.wildcard);
    // Bucket names are deploy-time values: the logical id stands for each one.
    const buckets = (rule.detail.bucket.name as Array<{ Ref: string }>).map((n) => n.Ref);
    const event = (bucket: string, key: string) => objectCreatedEvent(bucket, key);
    const key = 'dataset=customer_orders/dt=2024-05-01/0-10-19.jsonl.gz';
    expect(loadRuleMatches(event(buckets[0]!, key), buckets, wildcards)).toBe(true);
    const unencoded = event(buckets[0]!, key);
    expect(loadRuleMatches({ ...unencoded, detail: { ...unencoded.detail, object: { ...unencoded.detail.object, key } } }, buckets, wildcards)).toBe(true);
    expect(loadRuleMatches(event('some-other-bucket', key), buckets, wildcards)).toBe(false);
    expect(loadRuleMatches(event(id(pipeline.quarantineBucket.bucket), key), buckets, wildcards)).toBe(false);
    for (const other of ['exports/readme.txt', 'dataset=customer_orders/dt=2024-05-01/0-10-19.json', 'x/dataset=a/dt=b/c.jsonl.gz']) {
      expect(loadRuleMatches(event(buckets[0]!, other), buckets, wildcards)).toBe(false);
    }
  });

  test('the queue admits EventBridge only for this rule, and no bucket by pattern; its DLQ too', () => {
    const statements = policyOf(load.queue);
    expect(JSON.stringify(statements)).not.toContain('s3.amazonaws.com');
    expect(JSON.stringify(statements)).not.toContain('arn:');
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([expect.objectContaining({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(load.rule), 'Arn'] } } },
    })]);
    expect(policyOf(load.ruleDeadLetterQueue).filter((s) => s.Effect === 'Allow')).toEqual([expect.objectContaining({
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(load.rule), 'Arn'] } } },
    })]);
    expect(resources[id(load.ruleDeadLetterQueue)]!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [id(pipeline.keys.audit), 'Arn'] });
  });

  test('the load role uses the audit key only through SQS (no kms:Decrypt on everything under it)', () => {
    const statements = resources[id(load.function.role.policy)]!.Properties.PolicyDocument.Statement as Array<Record<string, Json>>;
    const onAuditKey = statements.filter((s) => JSON.stringify(s.Resource).includes(id(pipeline.keys.audit)));
    expect(onAuditKey).toEqual([{
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [id(pipeline.keys.audit), 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sqs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
    }]);
    // And no KMS statement of the role is unconditioned.
    for (const s of statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('kms:')))) {
      expect(Object.keys(s.Condition?.StringEquals ?? {})).toEqual(['kms:ViaService']);
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(load.function.function) },
      EventSourceArn: { 'Fn::GetAtt': [id(load.queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  test('the rule\'s dead-letter queue alarms on the security topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(load.ruleDeadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
    });
  });
});
