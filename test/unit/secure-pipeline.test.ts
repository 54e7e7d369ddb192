import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Classification } from '../../lib/classification';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { SecurePipeline } from '../../lib/constructs/pipeline/secure-pipeline';
import { buildPipelineStack, EXAMPLE_DATASETS, testApp, testStack } from '../helpers/app';

describe('SecurePipeline (dev blueprint)', () => {
  const stack = buildPipelineStack(testApp());
  const { pipeline } = stack;
  const template = Template.fromStack(stack);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
  type Json = any;
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, Json> }>;
  const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);

  test('exposes every part for extension', () => {
    expect(pipeline.keys).toBeDefined();
    expect(pipeline.network.vpc).toBeDefined();
    expect(pipeline.database.instance).toBeDefined();
    expect(pipeline.stream.cluster).toBeDefined();
    expect(pipeline.buckets.map((b) => b.classification).sort()).toEqual(['Internal', 'Public', 'Restricted', 'Restricted']);
    expect([...pipeline.ingest.keys()].sort()).toEqual(['customer_orders', 'patient_visits', 'weather_observations']);
    expect([...pipeline.credentials.keys()].sort()).toEqual(['customer_orders', 'patient_visits']);
    expect(pipeline.functions.length).toBeGreaterThanOrEqual(7);
  });

  test('every Lambda function in the template is a hardened PipelineFunction (no CDK provider for the default security group)', () => {
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map(([k]) => k).sort()).toEqual(pipeline.functions.map((f) => id(f.function)).sort());
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        KmsKeyArn: expect.anything(),
        LoggingConfig: { LogGroup: expect.anything() },
        VpcConfig: { SubnetIds: expect.anything(), SecurityGroupIds: expect.anything() },
        DeadLetterConfig: { TargetArn: expect.anything() },
      });
    }
    // The default security group is still closed: by the network's own PipelineFunction.
    expect(Object.values(resources).filter((r) => r.Type === 'Custom::VpcRestrictDefaultSG').map((r) => r.Properties.ServiceToken))
      .toEqual([{ 'Fn::GetAtt': [id(pipeline.network.customResources!.function.function), 'Arn'] }]);
  });

  test('each dataset is ingested on its schedule with retries and a dead-letter queue, a marker naming it as input', () => {
    for (const d of loadDatasetsConfig(EXAMPLE_DATASETS).datasets) {
      const stage = pipeline.ingest.get(d.name)!;
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: d.source.schedule,
        Targets: [Match.objectLike({
          Arn: { 'Fn::GetAtt': [id(stage.function.function), 'Arn'] },
          // The config is the function's own (test/unit/pipeline-stages.test.ts).
          Input: JSON.stringify({ dataset: d.name }),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(pipeline.scheduleDeadLetterQueue), 'Arn'] } },
        })],
      });
    }
  });

  test('ingest: produces to its own topic only, reads its own credential only, runs in the egress tier', () => {
    const orders = pipeline.ingest.get('customer_orders')!;
    const policy = resources[id(orders.function.role.policy)]!.Properties.PolicyDocument;
    const text = JSON.stringify(policy);
    expect(text).toContain('/customer_orders.clean');
    expect(text).not.toMatch(/patient_visits\.clean|weather_observations\.clean/);
    expect(text).toContain(id(pipeline.credentials.get('customer_orders')!.secret));
    expect(text).not.toContain(id(pipeline.credentials.get('patient_visits')!.secret));
    expect(text).not.toContain('"Resource":"*"');
    const fn = resources[id(orders.function.function)]!.Properties;
    expect(JSON.stringify(fn.VpcConfig.SubnetIds)).toMatch(/egress/);
    expect(Object.keys(fn.Environment.Variables).sort()).toEqual([
      'API_CREDENTIAL_SECRET_ARN', 'BOOTSTRAP_BROKERS', 'DATASET_CONFIG', 'DATASET_CONFIG_SHA256', 'NODE_OPTIONS', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME',
      'QUARANTINE_BUCKET', 'QUARANTINE_KEY_ARN', 'TOKENIZATION_KEY_SECRET_ARN', 'TOPIC', 'WATERMARK_TABLE',
    ]);
    const weather = resources[id(pipeline.ingest.get('weather_observations')!.function.function)]!.Properties;
    expect(weather.Environment.Variables.API_CREDENTIAL_SECRET_ARN).toBeUndefined();
    const visits = resources[id(pipeline.ingest.get('patient_visits')!.function.function)]!.Properties;
    expect(visits.Environment.Variables.DATA_KEY_ID).toEqual({ 'Fn::GetAtt': [id(pipeline.keys.restricted), 'Arn'] });
  });

  test('ingest: envelope data keys only for its dataset, quarantine writes only under its prefix, watermark only its own item', () => {
    const visits = pipeline.ingest.get('patient_visits')!;
    const statements = resources[id(visits.function.role.policy)]!.Properties.PolicyDocument.Statement as Array<Record<string, Json>>;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'kms:GenerateDataKey', Condition: { StringEquals: { 'kms:EncryptionContext:dataset': 'patient_visits' } } }),
      expect.objectContaining({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(pipeline.quarantineBucket.bucket), 'Arn'] }, '/dataset=patient_visits/*']] } }),
      expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['patient_visits'] } } }),
    ]));
    // It decrypts only through Secrets Manager and DynamoDB, never ciphertext of its own.
    const decrypts = statements.filter((st) => [st.Action].flat().includes('kms:Decrypt'));
    expect(decrypts.length).toBeGreaterThan(0);
    for (const st of decrypts) expect(Object.keys(st.Condition?.StringEquals ?? {})).toEqual(['kms:ViaService']);
  });

  test('store: each topic feeds its store function from the oldest record, with the profile batch and an encrypted on-failure destination', () => {
    const orders = pipeline.store.get('customer_orders')!;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(orders.function.function) },
      EventSourceArn: { 'Fn::GetAtt': [stack.getLogicalId(pipeline.stream.cluster), 'Arn'] },
      Topics: ['customer_orders.clean'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'customer_orders.store' },
      // Failed batches are kept with their records in the quarantine bucket (test/unit/pipeline-stages.test.ts).
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [id(pipeline.quarantineBucket.bucket), 'Arn'] } } },
    });
    const env = resources[id(orders.function.function)]!.Properties.Environment.Variables;
    expect(env).toMatchObject({
      DATASET: 'customer_orders',
      CURATED_BUCKET: { Ref: id(pipeline.curatedBuckets.get(Classification.INTERNAL)!.bucket) },
      CURATED_KEY_ARN: { 'Fn::GetAtt': [id(pipeline.keys.internal), 'Arn'] },
    });
    // The pollers use the cluster's security group: it admits itself on 9098, and still no CIDR.
    const clusterSg = stack.getLogicalId(pipeline.stream.securityGroup.node.defaultChild as never);
    const selfIngress = Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress'
      && JSON.stringify(r.Properties.GroupId).includes(clusterSg) && JSON.stringify(r.Properties.SourceSecurityGroupId).includes(clusterSg));
    expect(selfIngress.map((r) => r.Properties.FromPort)).toEqual([9098]);
    expect(JSON.stringify(Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify(r.Properties.GroupId).includes(clusterSg))))
      .not.toContain('CidrIp');
  });

  test('load: curated buckets notify an encrypted, TLS-only queue with a dead-letter queue; partial batch failures; IAM database login', () => {
    const { load } = pipeline;
    // Through EventBridge (the rule and queue policy are asserted in test/unit/pipeline-stages.test.ts).
    for (const bucket of pipeline.curatedBuckets.values()) {
      expect(resources[id(bucket.bucket)]!.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    }
    expect(resources[id(load.queue)]!.Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [id(pipeline.keys.audit), 'Arn'] },
      VisibilityTimeout: 720,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [id(load.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 },
    });
    const queuePolicy = Object.values(resources).find((r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties.Queues).includes(id(load.queue)))!;
    expect(JSON.stringify(queuePolicy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(load.function.function) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    const policy = JSON.stringify(resources[id(load.function.role.policy)]!.Properties.PolicyDocument);
    expect(policy).toContain('rds-db:connect');
    expect(policy).toContain('/pipeline_loader');
    expect(policy).not.toContain('s3:PutObject"],"Effect":"Allow","Resource":{"Fn::Join":["",[{"Fn::GetAtt":["PipelineCurated');
    const env = resources[id(load.function.function)]!.Properties.Environment.Variables;
    expect(env).toMatchObject({ DB_PORT: '5433', DB_NAME: 'pipeline', DB_USER: 'pipeline_loader', DB_SCHEMA: 'pipeline' });
  });

  test('every dead-letter queue alarms on the security topic as soon as it holds a message', () => {
    const queues = new Set([pipeline.scheduleDeadLetterQueue, pipeline.load.deadLetterQueue, ...pipeline.functions.map((f) => f.deadLetterQueue)]);
    expect(queues.size).toBeGreaterThanOrEqual(4);
    for (const queue of queues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(queue), 'QueueName'] } }],
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^PipelineThreatDetectionAlerts') }],
      });
    }
  });

  test('the watermark table is KMS-encrypted with point-in-time recovery and retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'dataset', KeyType: 'HASH' }],
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  test('the tokenization key secret holds a generated key in the shape the masking library reads', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { SecretStringTemplate: '{"currentVersion":1}', GenerateStringKey: 'key1', PasswordLength: 64, ExcludePunctuation: true },
      KmsKeyId: { 'Fn::GetAtt': [id(pipeline.keys.restricted), 'Arn'] },
    });
  });
});

test('bring your own VPC and keys', () => {
  const stack: Stack = testStack();
  const vpc = new Vpc(stack, 'Mine', {
    maxAzs: 2,
    subnetConfiguration: [
      { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED },
      { name: 'compute', subnetType: SubnetType.PRIVATE_ISOLATED },
      { name: 'egress', subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'nat', subnetType: SubnetType.PUBLIC },
    ],
  });
  const endpoints = new SecurityGroup(stack, 'MyEndpoints', { vpc, allowAllOutbound: false });
  const byo = { existingVpc: vpc, existingEndpointSecurityGroup: endpoints, s3PrefixListId: 'pl-6da54004' };
  const datasets = loadDatasetsConfig(EXAMPLE_DATASETS);
  const bare = new Vpc(stack, 'Bare', { maxAzs: 2, subnetConfiguration: [
    { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED }, { name: 'compute', subnetType: SubnetType.PRIVATE_ISOLATED },
  ] });
  // An existing VPC without an egress tier cannot host the ingest stages: refused with the fix.
  expect(() => new SecurePipeline(stack, 'P0', { profile: resolveProfile('dev'), datasets, ...byo, existingVpc: bare }))
    .toThrow(/internetAccess: the network has no egress tier/);
  // Without its endpoint group and the S3 prefix list, the functions could reach no AWS API and no S3: refused.
  expect(() => new SecurePipeline(stack, 'P1', { profile: resolveProfile('dev'), datasets, existingVpc: vpc }))
    .toThrow(/network: has no interface-endpoint security group[\s\S]*Fix: pass existingEndpointSecurityGroup/);
  // (In a stack of its own: this refusal comes after the database exists, and the stack is not synthesized.)
  const other = testStack();
  const otherVpc = new Vpc(other, 'Mine', { maxAzs: 2, subnetConfiguration: [
    { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED }, { name: 'compute', subnetType: SubnetType.PRIVATE_ISOLATED },
    { name: 'egress', subnetType: SubnetType.PRIVATE_WITH_EGRESS }, { name: 'nat', subnetType: SubnetType.PUBLIC },
  ] });
  const otherEndpoints = new SecurityGroup(other, 'MyEndpoints', { vpc: otherVpc });
  expect(() => new SecurePipeline(other, 'P2', { profile: resolveProfile('dev'), datasets, existingVpc: otherVpc, existingEndpointSecurityGroup: otherEndpoints }))
    .toThrow(/network: knows no S3 prefix list[\s\S]*or pass s3PrefixListId/);
  const key = new Key(stack, 'MyRestrictedKey', { enableKeyRotation: true });
  const pipeline = new SecurePipeline(stack, 'P', { profile: resolveProfile('dev'), datasets, ...byo, existingKeys: { restricted: key } });
  expect(pipeline.network.vpc).toBe(vpc);
  expect(pipeline.keys.restricted).toBe(key);
  const t = Template.fromStack(stack);
  t.resourceCountIs('AWS::EC2::VPC', 2); // only the two brought here
  t.resourceCountIs('AWS::EC2::VPCEndpoint', 0); // the VPC's endpoints stay its own
  t.hasResourceProperties('AWS::RDS::DBInstance', { KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] } });
  // Its endpoints admit the pipeline's shared client group; its default group is left alone (no network function).
  t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
    GroupId: { 'Fn::GetAtt': [stack.getLogicalId(endpoints.node.defaultChild as never), 'GroupId'] },
    SourceSecurityGroupId: { 'Fn::GetAtt': [stack.getLogicalId(pipeline.network.awsApiClientSecurityGroup!.node.defaultChild as never), 'GroupId'] },
  });
  expect(pipeline.network.customResources).toBeUndefined();
});
