/**
 * The Lambda stages as the blueprint synthesizes them (dev profile, example datasets): one synth for the file,
 * assertions on the template.
 */
import { createHash } from 'node:crypto';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fc from 'fast-check';
import { Classification } from '../../lib/classification';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { readOwnedDataset } from '../../lambda/ingest/owned-config';
import { IngestStage } from '../../lib/constructs/pipeline/ingest-stage';
import {
  lagAlarmThreshold, MAX_LAG_ALARM_SHARE, MAX_RETRY_WINDOW_SHARE, retryWindow, StoreStage, StoreStageProps, storeTiming,
} from '../../lib/constructs/pipeline/store-stage';
import { ProblemCollector } from '../../lib/errors';
import { buildPipelineStack, EXAMPLE_DATASETS, testApp } from '../helpers/app';
import { loadRuleMatches, objectCreatedEvent } from '../lambda/load/support/eventbridge';

const stack = buildPipelineStack(testApp());
const { pipeline } = stack;
const template = Template.fromStack(stack);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, Json>; DependsOn?: string[] }>;
const id = (c: unknown) => {
  const construct = c as { node: { defaultChild?: unknown } };
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as never);
};
/** A role policy as (action, resource) pairs: CDK merges statements, so assertions look at the pairs. */
const grants = (policy: unknown): Array<[string, string]> =>
  (resources[id(policy)]!.Properties.PolicyDocument.Statement as Array<Record<string, Json>>).flatMap((st) =>
    [st.Action].flat().flatMap((action: string) => [st.Resource].flat().map((r: unknown): [string, string] => [action, JSON.stringify(r)])));

describe('custom resources', () => {
  test('each has a ServiceTimeout of its function timeout plus one minute, far below the default hour', () => {
    // Ours are served by PipelineFunctions: the schema, the brokers lookup and the network's deploy-time work.
    const ours = new Set(pipeline.functions.map((f) => id(f.function)));
    const custom = Object.values(resources).filter((r) => r.Type.startsWith('Custom::')
      && ours.has((r.Properties.ServiceToken as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0] ?? ''));
    expect(custom.map((r) => r.Type).sort()).toEqual([
      'Custom::GuardDutyDetector', 'Custom::GuardDutyMalwareProtectionPlan',
      'Custom::MskBootstrapBrokers', 'Custom::PipelineSchema', 'Custom::S3PrefixList', 'Custom::VpcRestrictDefaultSG',
    ]);
    for (const resource of custom) {
      const fnId = (resource.Properties.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const timeout = resources[fnId]!.Properties.Timeout as number;
      // CDK renders it as a string, as every custom-resource property.
      expect(resource.Properties.ServiceTimeout).toBe(String(timeout + 60));
    }
    template.hasResourceProperties('Custom::PipelineSchema', { ServiceTimeout: '360' });
    template.hasResourceProperties('Custom::MskBootstrapBrokers', { ServiceTimeout: '90' });
    template.hasResourceProperties('Custom::S3PrefixList', { ServiceTimeout: '90' });
    template.hasResourceProperties('Custom::VpcRestrictDefaultSG', { ServiceTimeout: '90' });
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

describe('store stage: bounded retries, failed batches kept with their records, lag alarmed before retention', () => {
  const orders = pipeline.store.get('customer_orders')!;
  const retention = Duration.days(7);

  test('the mapping gives up after bounded retries inside half the retention and writes the whole batch to the quarantine bucket', () => {
    expect(resources[id(orders.eventSourceMapping)]!.Properties).toMatchObject({
      MaximumRetryAttempts: 100,
      MaximumRecordAgeInSeconds: 302_400,
      BisectBatchOnFunctionError: false,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [id(pipeline.quarantineBucket.bucket), 'Arn'] } } },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3, PollerGroupName: expect.stringMatching(/^[A-Za-z0-9-]{1,48}-store$/) },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
    // Every store of the stream shares one poller group.
    const groups = new Set([...pipeline.store.values()].map((s) => resources[id(s.eventSourceMapping)]!.Properties.ProvisionedPollerConfig.PollerGroupName));
    expect(groups.size).toBe(1);
  });

  test('the store role may write failed batches under aws/lambda/ of the quarantine bucket and list it, nothing more of it', () => {
    const quarantine = JSON.stringify({ 'Fn::GetAtt': [id(pipeline.quarantineBucket.bucket), 'Arn'] });
    const onQuarantine = grants(orders.function.role.policy).filter(([, r]) => r.includes(id(pipeline.quarantineBucket.bucket)));
    expect(onQuarantine.sort()).toEqual([
      ['s3:ListBucket', quarantine],
      ['s3:PutObject', JSON.stringify({ 'Fn::Join': ['', [JSON.parse(quarantine), '/aws/lambda/*']] })],
      ['s3:PutObject', JSON.stringify({ 'Fn::Join': ['', [JSON.parse(quarantine), '/dataset=customer_orders/*']] })],
    ]);
    // Data keys of the quarantine bucket's (Restricted) key, only through S3.
    const statements = resources[id(orders.function.role.policy)]!.Properties.PolicyDocument.Statement as Array<Record<string, Json>>;
    const restricted = statements.find((st) => JSON.stringify(st.Resource).includes(id(pipeline.keys.restricted)))!;
    expect(restricted).toMatchObject({ Action: 'kms:GenerateDataKey', Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } } });
  });

  test('consumer lag alarms at an hour (a quarter of the retention at most), given-up batches at the first one; both to the security topic', () => {
    const alarm = (logicalId: string) => resources[logicalId]!.Properties;
    const [lag, givenUp] = orders.alarms.map((a) => alarm(id(a)));
    expect(lag).toMatchObject({
      Namespace: 'AWS/Kafka',
      MetricName: 'EstimatedMaxTimeLag',
      Dimensions: expect.arrayContaining([
        { Name: 'Consumer Group', Value: 'customer_orders.store' },
        { Name: 'Topic', Value: 'customer_orders.clean' },
        { Name: 'Cluster Name', Value: stack.resolve(pipeline.stream.clusterName) },
      ]),
      Threshold: 3600,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: expect.stringMatching(/^PipelineThreatDetectionAlerts/) }],
    });
    expect(lag.Threshold).toBeLessThanOrEqual(retention.toSeconds() / 4);
    expect(givenUp).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'DroppedEventCount',
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { 'Fn::GetAtt': [id(orders.eventSourceMapping), 'Id'] } }],
      Threshold: 1,
      AlarmActions: [{ Ref: expect.stringMatching(/^PipelineThreatDetectionAlerts/) }],
    });
  });

  test('the timing is derived from the deployed topic retention: the defaults always fit, the alarm always comes first', () => {
    expect(lagAlarmThreshold(retention).toSeconds()).toBe(3600);
    expect(retryWindow(retention).toSeconds()).toBe(302_400);
    expect(lagAlarmThreshold(Duration.hours(2)).toSeconds()).toBe(1800);
    expect(retryWindow(Duration.days(30)).toSeconds()).toBe(604_800);
    fc.assert(fc.property(fc.integer({ min: 240, max: 400 * 86_400 }), (seconds) => {
      const r = Duration.seconds(seconds);
      const problems = new ProblemCollector('test');
      const timing = storeTiming(r, {}, problems);
      expect(problems.count).toBe(0);
      expect(timing.lagAlarmThreshold.toSeconds()).toBeLessThanOrEqual(seconds * MAX_LAG_ALARM_SHARE);
      expect(timing.retryWindow.toSeconds()).toBeLessThanOrEqual(seconds * MAX_RETRY_WINDOW_SHARE);
      expect(timing.lagAlarmThreshold.toSeconds()).toBeLessThan(timing.retryWindow.toSeconds());
    }));
  });

  test('a stage whose retry window or lag threshold does not fit the topic retention is refused, naming the prop and the fix', () => {
    const build = (extra: Partial<StoreStageProps>, name: string) => () => new StoreStage(stack, name, {
      dataset: loadDatasetsConfig(EXAMPLE_DATASETS).datasets.find((d) => d.name === 'customer_orders')!,
      keys: pipeline.keys, network: pipeline.network, profile: resolveProfile('dev'), stream: pipeline.stream,
      curated: pipeline.curatedBuckets.get(Classification.INTERNAL)!, quarantine: pipeline.quarantineBucket, ...extra,
    });
    expect(build({ retryWindow: Duration.days(5) }, 'TooLongRetries')).toThrow(
      /retryWindow: 5 days does not fit in 0\.5 of the topic retention \(7 days\).*Fix: use at most 3\.5 days, or lengthen the topic retention/s);
    expect(build({ lagAlarmThreshold: Duration.days(2) }, 'LateAlarm')).toThrow(/lagAlarmThreshold: 2 days is more than 0\.25 of the topic retention/);
    expect(build({ retryWindow: Duration.hours(1), lagAlarmThreshold: Duration.hours(2) }, 'AlarmAfterGivingUp')).toThrow(
      /lagAlarmThreshold: 0\.083 days is not shorter than the retry window \(0\.042 days\)/);
    expect(build({ maxRetryAttempts: -1 }, 'EndlessRetries')).toThrow(/maxRetryAttempts: -1 is not a whole number from 0 to 10000/);
    expect(build({ retryWindow: Duration.seconds(30) }, 'TooShort')).toThrow(/retryWindow: 30 s is outside what Lambda accepts/);
  });
});

describe('ingest stage: the function owns its dataset config', () => {
  const datasets = loadDatasetsConfig(EXAMPLE_DATASETS).datasets;

  test('the schedule sends only a marker naming the dataset, never the config', () => {
    for (const d of datasets) {
      const stage = pipeline.ingest.get(d.name)!;
      const targets = resources[id(stage.schedule)]!.Properties.Targets as Array<Record<string, Json>>;
      expect(targets).toHaveLength(1);
      expect(JSON.parse(targets[0]!.Input)).toEqual({ dataset: d.name });
      expect(targets[0]!.Input).not.toContain(d.source.url);
    }
  });

  test('the function environment carries the validated config and its SHA-256, which the handler reads back as the same config', () => {
    for (const d of datasets) {
      const env = resources[id(pipeline.ingest.get(d.name)!.function.function)]!.Properties.Environment.Variables as Record<string, string>;
      expect(env.DATASET_CONFIG).toBe(JSON.stringify(d));
      expect(env.DATASET_CONFIG_SHA256).toBe(createHash('sha256').update(env.DATASET_CONFIG!).digest('hex'));
      // The contract between construct and handler: lambda/ingest/owned-config.ts accepts exactly this.
      expect(readOwnedDataset(env)).toEqual({ dataset: d, sha256: env.DATASET_CONFIG_SHA256 });
    }
  });

  test('refused events and cross-origin links raise an alarm on the security topic; every stage logs and counts under its own service name', () => {
    const visits = pipeline.ingest.get('patient_visits')!;
    expect(resources[id(visits.alarms[0])]!.Properties).toMatchObject({
      Namespace: 'SecureDataPipeline',
      MetricName: 'SecurityEvents',
      Dimensions: expect.arrayContaining([{ Name: 'service', Value: 'ingest-patient_visits' }, { Name: 'dataset', Value: 'patient_visits' }]),
      Threshold: 1,
      AlarmActions: [{ Ref: expect.stringMatching(/^PipelineThreatDetectionAlerts/) }],
    });
    const serviceOf = (fn: unknown) => resources[id(fn)]!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME;
    expect(serviceOf(visits.function.function)).toBe('ingest-patient_visits');
    expect(serviceOf(pipeline.store.get('patient_visits')!.function.function)).toBe('store-patient_visits');
    expect(serviceOf(pipeline.load.function.function)).toBe('load');
  });

  test('a dataset whose config would not fit in the function environment is refused at synth, naming the fix', () => {
    const orders = datasets.find((d) => d.name === 'customer_orders')!;
    const huge = {
      ...orders,
      fields: [...orders.fields, ...Array.from({ length: 40 }, (_, i) => ({
        name: `extra_field_${i}`, type: 'string' as const, handling: 'keep' as const, classification: Classification.INTERNAL, required: false,
        description: 'A field with a long description that is copied into the environment of the ingest function',
      }))],
    };
    expect(() => new IngestStage(stack, 'HugeIngest', {
      dataset: huge, keys: pipeline.keys, network: pipeline.network, profile: resolveProfile('dev'), stream: pipeline.stream,
      quarantine: pipeline.quarantineBucket, watermarks: pipeline.watermarks, scheduleDeadLetterQueue: pipeline.scheduleDeadLetterQueue,
      credential: pipeline.credentials.get('customer_orders')!, tokenizationKey: pipeline.tokenizationKey!,
    })).toThrow(/dataset: the environment that carries dataset "customer_orders" would be about \d+ bytes .*above Lambda's 4096-byte limit\. Fix: shorten the descriptions/s);
  });
});
