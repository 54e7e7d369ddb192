import { Aws, CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Connections, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { IGrantable, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Classification } from '../../lib/classification';
import { DatasetConfig, DatasetsConfig, Profile, resolveProfile } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { ManagedPolicyRole } from '../../lib/constructs/common/managed-policy-role';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import {
  CLEAN_TOPIC_RETENTION_DAYS,
  KAFKA_IAM_TLS_PORT,
  replicationFor,
  SecureStream,
  SecureStreamProps,
  topicRetentionDays,
} from '../../lib/constructs/streaming/secure-stream';
import { testApp, testStack } from '../helpers/app';

/** The test's own datasets, one per classification (topics depend only on names and classifications). */
const dataset = (name: string, classification: Classification): DatasetConfig => ({
  name, classification, idField: 'id',
  // SecureStream validates its datasets like a loaded config: an id and one more field at least.
  fields: (['id', 'value'] as const).map((field) => ({ name: field, type: 'string', handling: 'tokenize', classification, required: true })),
  source: { url: `https://example.com/${name}`, schedule: 'rate(1 hour)', maxResponseBytes: 1024 * 1024 },
});
const DATASETS: DatasetsConfig = { datasets: [
  dataset('weather_observations', Classification.PUBLIC),
  dataset('customer_orders', Classification.INTERNAL),
  dataset('patient_visits', Classification.RESTRICTED),
] };
const DAY_MS = 24 * 60 * 60 * 1000;

function build(profile: Profile = resolveProfile('dev'), extra: Partial<SecureStreamProps> = {}, context: Record<string, unknown> = {}) {
  const stack = testStack(context);
  const keys = new DataKeys(stack, 'Keys');
  const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, s3PrefixListId: 'pl-6da54004' });
  const stream = new SecureStream(stack, 'Stream', { network, keys, profile, datasets: DATASETS, ...extra });
  return { stack, keys, network, stream };
}

/** A grantee with a managed-policy role and its own security group, as a pipeline function would be. */
function client(stack: Stack, network: SecureNetwork, id: string): IGrantable & { connections: Connections; role: ManagedPolicyRole; sg: SecurityGroup } {
  const role = new ManagedPolicyRole(stack, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  const sg = new SecurityGroup(stack, `${id}Sg`, { vpc: network.vpc, allowAllOutbound: false, description: `${id} client` });
  return { grantPrincipal: role, connections: new Connections({ securityGroups: [sg] }), role, sg };
}

/** Logical id of an L1, or of an L2's default child. */
const logicalId = (stack: Stack, c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);

function statementsOf(template: Template, policyLogicalId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const policy = template.toJSON().Resources[policyLogicalId];
  return policy.Properties.PolicyDocument.Statement;
}

function decodeConfigs(b64: string): Record<string, string> {
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
}

describe('SecureStream (dev)', () => {
  const { stack, keys, network, stream } = build();
  const producer = client(stack, network, 'Producer');
  const consumer = client(stack, network, 'Consumer');
  stream.grantProduce(producer, 'patient_visits.clean');
  stream.grantConsume(consumer, 'patient_visits.clean', 'patient_visits.store');
  // An unrelated security group that was never granted anything.
  const bystander = new SecurityGroup(stack, 'BystanderSg', { vpc: network.vpc, allowAllOutbound: false, description: 'never granted' });
  const template = Template.fromStack(stack);
  const clusterId = stack.getLogicalId(stream.cluster);
  const restrictedKeyArn = { 'Fn::GetAtt': [logicalId(stack, keys.restricted), 'Arn'] };

  test('TLS-only between clients and brokers and between brokers; volumes under the Restricted CMK', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      EncryptionInfo: {
        EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
        EncryptionAtRest: { DataVolumeKMSKeyId: restrictedKeyArn },
      },
    });
  });

  test('IAM SASL is the only authentication: no unauthenticated access, SCRAM or client certificates; no public access', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: {
        Sasl: { Iam: { Enabled: true }, Scram: { Enabled: false } },
        Tls: { Enabled: false },
        Unauthenticated: { Enabled: false },
      },
      BrokerNodeGroupInfo: Match.objectLike({ ConnectivityInfo: { PublicAccess: { Type: 'DISABLED' } } }),
    });
  });

  test('a current Kafka version, dev brokers (kafka.t3.small, 2 = 2 zones × 1) in the isolated data subnets, EBS from the profile', () => {
    const cluster = template.toJSON().Resources[clusterId];
    expect(cluster.Properties).toMatchObject({
      KafkaVersion: '3.8.x',
      NumberOfBrokerNodes: 2,
      EnhancedMonitoring: 'PER_BROKER',
      BrokerNodeGroupInfo: { InstanceType: 'kafka.t3.small', StorageInfo: { EBSStorageInfo: { VolumeSize: 20 } } },
    });
    const subnets = JSON.stringify(cluster.Properties.BrokerNodeGroupInfo.ClientSubnets);
    expect(cluster.Properties.BrokerNodeGroupInfo.ClientSubnets).toHaveLength(2);
    expect(subnets).toMatch(/dataSubnet/);
    expect(subnets).not.toMatch(/compute/);
    expect(cluster.Properties.BrokerNodeGroupInfo.SecurityGroups).toEqual([{ 'Fn::GetAtt': [logicalId(stack, stream.securityGroup), 'GroupId'] }]);
    expect(cluster).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  test('prod brokers: kafka.m7g.large, 500 GiB, one per data subnet', () => {
    // Env-agnostic stacks see 2 zones, so a 3-zone profile still gets one broker per data subnet that exists.
    const prod = build(resolveProfile('prod'));
    const t = Template.fromStack(prod.stack);
    t.hasResourceProperties('AWS::MSK::Cluster', {
      NumberOfBrokerNodes: prod.network.vpc.selectSubnets(prod.network.dataSubnets).subnetIds.length,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.m7g.large', StorageInfo: { EBSStorageInfo: { VolumeSize: 500 } } }),
    });
  });

  test('bootstrap brokers are looked up at deploy time by a custom resource allowed to ask about this cluster only', () => {
    template.hasResourceProperties('Custom::MskBootstrapBrokers', {
      ClusterArn: { 'Fn::GetAtt': [clusterId, 'Arn'] },
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamBrokersLookupFunction'), 'Arn'] },
    });
    expect(stack.resolve(stream.bootstrapBrokersSaslIam)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StreamBootstrapBrokers/), 'BootstrapBrokerStringSaslIam'] });
    const lookupPolicy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .find((p) => JSON.stringify(p.Properties.PolicyDocument).includes('kafka:GetBootstrapBrokers') && !JSON.stringify(p.Properties.PolicyDocument).includes('kafka-cluster'))!;
    expect(lookupPolicy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'kafka:GetBootstrapBrokers', Resource: { 'Fn::GetAtt': [clusterId, 'Arn'] } }),
    ]));
  });

  test('the cluster is tagged Restricted', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', { Tags: Match.objectLike({ 'data-classification': 'Restricted' }) });
  });

  test('broker logs go to a log group encrypted with the audit key, with the Restricted retention', () => {
    const auditKeyArn = { 'Fn::GetAtt': [logicalId(stack, keys.audit), 'Arn'] };
    // Named after the cluster, so unique per deployment like it (a retained group never blocks a new stack).
    const brokerLogGroupName = { 'Fn::Join': ['', ['/aws/vendedlogs/msk/', stack.resolve(stream.clusterName), '/broker']] };
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: brokerLogGroupName,
      KmsKeyId: auditKeyArn,
      RetentionInDays: 731,
    });
    const logGroupId = Object.entries(template.findResources('AWS::Logs::LogGroup'))
      .find(([, r]) => JSON.stringify(r.Properties.LogGroupName) === JSON.stringify(brokerLogGroupName))![0];
    template.hasResourceProperties('AWS::MSK::Cluster', {
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: { Ref: logGroupId } } } },
    });
  });

  test('the configuration forbids topic auto-creation, open ACLs and unclean elections, with RF 2 / minISR 1 for 2 brokers', () => {
    const configs = Object.values(template.findResources('AWS::MSK::Configuration'));
    expect(configs).toHaveLength(1);
    const props = Object.fromEntries((configs[0]!.Properties.ServerProperties as string).split('\n').map((l) => l.split('=') as [string, string]));
    expect(props).toEqual({
      'auto.create.topics.enable': 'false',
      'allow.everyone.if.no.acl.found': 'false',
      'default.replication.factor': '2',
      'min.insync.replicas': '1',
      'num.partitions': '3',
      'offsets.topic.replication.factor': '2',
      'transaction.state.log.replication.factor': '2',
      'transaction.state.log.min.isr': '1',
      'unclean.leader.election.enable': 'false',
    });
    expect(configs[0]!.Properties.KafkaVersionsList).toEqual(['3.8.x']);
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ConfigurationInfo: {
        Arn: { 'Fn::GetAtt': [stack.getLogicalId(stream.configuration), 'Arn'] },
        Revision: { 'Fn::GetAtt': [stack.getLogicalId(stream.configuration), 'LatestRevision.Revision'] },
      },
    });
  });

  test('replication settings follow the broker count', () => {
    expect(replicationFor(2)).toEqual({ replicationFactor: 2, minInSyncReplicas: 1 });
    expect(replicationFor(3)).toEqual({ replicationFactor: 3, minInSyncReplicas: 2 });
    expect(replicationFor(6)).toEqual({ replicationFactor: 3, minInSyncReplicas: 2 });
  });

  test('a <dataset>.clean and <dataset>.dlq topic per dataset, on this cluster, retained, with retention from the classification', () => {
    const topics = Object.values(template.findResources('AWS::MSK::Topic'));
    expect(topics.map((t) => t.Properties.TopicName).sort()).toEqual([
      'customer_orders.clean', 'customer_orders.dlq', 'patient_visits.clean', 'patient_visits.dlq',
      'weather_observations.clean', 'weather_observations.dlq',
    ]);
    expect(stream.topicNames).toHaveLength(6);
    const expectedDlqDays: Record<string, number> = { weather_observations: 30, customer_orders: 90, patient_visits: 365 };
    for (const t of topics) {
      expect(t).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
      expect(t.Properties).toMatchObject({ ClusterArn: { 'Fn::GetAtt': [clusterId, 'Arn'] }, PartitionCount: 3, ReplicationFactor: 2 });
      const [dataset, kind] = (t.Properties.TopicName as string).split('.') as [string, string];
      const days = kind === 'clean' ? CLEAN_TOPIC_RETENTION_DAYS : expectedDlqDays[dataset]!;
      expect(decodeConfigs(t.Properties.Configs)).toEqual({
        'cleanup.policy': 'delete',
        'retention.ms': String(days * DAY_MS),
        'min.insync.replicas': '1',
        'unclean.leader.election.enable': 'false',
      });
    }
    expect(topicRetentionDays(Classification.RESTRICTED, 'dlq')).toBe(365);
    expect(topicRetentionDays(Classification.RESTRICTED, 'clean')).toBe(7);
  });

  test('security group: no egress, and ingress only on 9098, only from the granted security groups, never from a CIDR', () => {
    const sgId = logicalId(stack, stream.securityGroup);
    const group = template.toJSON().Resources[sgId];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    // allowAllOutbound: false leaves CDK's "disallow all" placeholder as the only egress.
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(sgId));
    expect(ingress).toHaveLength(2);
    const sources = ingress.map((r) => r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).sort();
    expect(sources).toEqual([logicalId(stack, consumer.sg), logicalId(stack, producer.sg)].sort());
    expect(sources).not.toContain(logicalId(stack, bystander));
    for (const r of ingress) {
      expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: KAFKA_IAM_TLS_PORT, ToPort: KAFKA_IAM_TLS_PORT });
      expect(r.Properties.CidrIp).toBeUndefined();
      expect(r.Properties.CidrIpv6).toBeUndefined();
    }
    // The granted clients may leave towards the brokers on 9098 only.
    const producerEgress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(logicalId(stack, producer.sg)));
    expect(producerEgress.map((r) => [r.Properties.FromPort, r.Properties.DestinationSecurityGroupId['Fn::GetAtt'][0]]))
      .toEqual([[KAFKA_IAM_TLS_PORT, sgId]]);
  });

  // The cluster's name and UUID, both from its ARN (arn:…:cluster/<name>/<uuid>), so the grant names the real cluster.
  const clusterArnPart = (i: number) => ({ 'Fn::Select': [i, { 'Fn::Split': ['/', { 'Fn::GetAtt': [clusterId, 'Arn'] }] }] });
  const kafkaArn = (resource: string, name: string) => ({ 'Fn::Join': ['', [
    'arn:', { Ref: 'AWS::Partition' }, ':kafka:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
    `:${resource}/`, clusterArnPart(1), '/', clusterArnPart(2), `/${name}`,
  ]] });

  test('grantProduce: Connect/DescribeCluster/WriteDataIdempotently on the cluster, WriteData on the exact topic ARN', () => {
    const statements = statementsOf(template, logicalId(stack, producer.role.policy));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
        Resource: { 'Fn::GetAtt': [clusterId, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        Resource: kafkaArn('topic', 'patient_visits.clean'),
      },
    ]);
    expect(stack.resolve(stream.topicArn('patient_visits.clean'))).toEqual(kafkaArn('topic', 'patient_visits.clean'));
  });

  test('grantConsume: ReadData on the exact topic ARN and group rights on the exact group ARN, nothing else', () => {
    const statements = statementsOf(template, logicalId(stack, consumer.role.policy));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:DescribeClusterDynamicConfiguration',
          'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers',
        ],
        Resource: { 'Fn::GetAtt': [clusterId, 'Arn'] },
      },
      { Effect: 'Allow', Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], Resource: kafkaArn('topic', 'patient_visits.clean') },
      { Effect: 'Allow', Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'], Resource: kafkaArn('group', 'patient_visits.store') },
    ]);
  });

  test('no granted statement names a wildcard resource or action, and consuming one topic reaches no other topic', () => {
    const policies = [producer.role.policy, consumer.role.policy].map((p) => JSON.stringify(statementsOf(template, logicalId(stack, p))));
    for (const p of policies) {
      expect(p).not.toMatch(/\*/);
    }
    const consumed = policies[1]!;
    for (const other of stream.topicNames.filter((t) => t !== 'patient_visits.clean')) {
      expect(consumed).not.toContain(`/${other}"`);
    }
    expect(consumed).not.toContain('WriteData');
    expect(policies[0]).not.toContain('ReadData');
  });
});

describe('SecureStream refusals', () => {
  test('grants for an undeclared topic or a malformed group are refused, naming the declared topics', () => {
    const { stack, network, stream } = build();
    // A plain role: it gets a policy resource only if a statement is ever added to it.
    const otherRole = new Role(stack, 'OtherRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    const otherSg = new SecurityGroup(stack, 'OtherSg', { vpc: network.vpc, allowAllOutbound: false, description: 'refused client' });
    const other = { grantPrincipal: otherRole, connections: new Connections({ securityGroups: [otherSg] }) };
    let error: unknown;
    try {
      stream.grantConsume(other, 'patient_visits', 'g');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/grantConsume\.topic: "patient_visits" is not a declared topic \(declared: weather_observations\.clean, weather_observations\.dlq, customer_orders\.clean/);
    expect(() => stream.grantProduce(other, 'unknown.clean')).toThrow(/grantProduce\.topic: "unknown\.clean" is not a declared topic/);
    expect(() => stream.grantConsume(other, 'patient_visits.clean', '*')).toThrow(/grantConsume\.consumerGroup: "\*" is not a valid consumer group name/);
    expect(() => stream.grantConsume(other, 'patient_visits.clean', 'a/b')).toThrow(ConfigurationError);
    expect(() => stream.topicArn('nope')).toThrow(/topicArn\.topic: "nope" is not a declared topic/);
    // Refused grants leave nothing behind: no statements on the role, no ingress from its group.
    const t = Template.fromStack(stack);
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain(logicalId(stack, otherRole));
    expect(JSON.stringify(t.findResources('AWS::EC2::SecurityGroupIngress'))).not.toContain(logicalId(stack, otherSg));
  });

  test('plaintext listeners, unauthenticated, SCRAM, client certificates and public access are refused together', () => {
    let error: unknown;
    try {
      build(resolveProfile('dev'), {
        clientBroker: 'TLS_PLAINTEXT', inClusterEncryption: false, unauthenticated: true, scram: true, tlsClientCertificates: true, publicAccess: true,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const paths = (error as ConfigurationError).problems.map((p) => p.path);
    expect(paths).toEqual(['clientBroker', 'inClusterEncryption', 'unauthenticated', 'scram', 'tlsClientCertificates', 'publicAccess']);
    expect((error as Error).message).toMatch(/clientBroker: "TLS_PLAINTEXT" would open a plaintext listener\. Fix: remove clientBroker/);
  });

  test('a PLAINTEXT listener alone is refused; TLS and the secure values are accepted', () => {
    expect(() => build(resolveProfile('dev'), { clientBroker: 'PLAINTEXT' })).toThrow(/clientBroker: "PLAINTEXT" would open a plaintext listener/);
    expect(() => build(resolveProfile('dev'), {
      clientBroker: 'TLS', inClusterEncryption: true, unauthenticated: false, scram: false, tlsClientCertificates: false, publicAccess: false,
    })).not.toThrow();
  });

  test('bad broker counts, versions and names are refused', () => {
    const dev = resolveProfile('dev');
    expect(() => build({ ...dev, brokersPerAz: 0 })).toThrow(/profile\.brokersPerAz: 0 brokers per zone/);
    expect(() => build({ ...dev, brokersPerAz: 16 })).toThrow(/profile\.brokersPerAz: 16 brokers in each of 2 zones is 32 brokers/);
    expect(() => build(dev, { kafkaVersion: '2.8.1' })).toThrow(/kafkaVersion: 2\.8\.1 is older than 3\.6\.0/);
    expect(() => build(dev, { kafkaVersion: '3.9.x.kraft' })).toThrow(/KRaft mode, which kafka\.t3\.small brokers do not support/);
    expect(() => build(resolveProfile('prod'), { kafkaVersion: '3.9.x.kraft' })).not.toThrow();
    expect(() => build(dev, { clusterName: 'bad_name!' })).toThrow(/clusterName: "bad_name!" is not a valid MSK cluster name/);
  });

  describe('names unique per deployment (a retained cluster, configuration or log group never blocks a new stack)', () => {
    const suffix = { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] };
    const uniqueName = (base: string) => ({ 'Fn::Join': ['-', [base, suffix]] });
    const namesOf = (s: Stack) => {
      const t = Template.fromStack(s);
      const only = (type: string) => Object.values(t.findResources(type))[0]!.Properties;
      return {
        cluster: only('AWS::MSK::Cluster').ClusterName,
        configuration: only('AWS::MSK::Configuration').Name,
        logGroups: Object.values(t.findResources('AWS::Logs::LogGroup')).map((r) => r.Properties.LogGroupName).filter((n) => n !== undefined),
      };
    };

    test('the default cluster name is <stack>-<id> with the first 8 hex of the stack id; the configuration and broker log group follow it', () => {
      const { stack, stream } = build();
      const names = namesOf(stack);
      expect(names.cluster).toEqual(uniqueName('teststack-stream'));
      expect(stack.resolve(stream.clusterName)).toEqual(uniqueName('teststack-stream'));
      expect(names.configuration).toEqual({ 'Fn::Join': ['', [uniqueName('teststack-stream'), '-config']] });
      expect(names.logGroups).toEqual([{ 'Fn::Join': ['', ['/aws/vendedlogs/msk/', uniqueName('teststack-stream'), '/broker']] }]);
    });

    test('a given clusterName is the base of the name, never used as is, whether data is kept or destroyed', () => {
      for (const context of [{}, { profile: 'dev', destroyData: 'true' }]) {
        const { stack } = build(resolveProfile('dev'), { clusterName: 'Team-Stream' }, context);
        expect(namesOf(stack).cluster).toEqual(uniqueName('team-stream'));
      }
    });

    test('a base that leaves no room for the suffix, or a token, is refused naming clusterName', () => {
      expect(() => build(resolveProfile('dev'), { clusterName: `a${'b'.repeat(54)}` })).not.toThrow();
      expect(() => build(resolveProfile('dev'), { clusterName: `a${'b'.repeat(55)}` }))
        .toThrow(/clusterName: "ab+" is not a valid MSK cluster name base[\s\S]*at most 55 characters/);
      expect(() => build(resolveProfile('dev'), { clusterName: Aws.STACK_NAME }))
        .toThrow(/clusterName: .* is not a valid MSK cluster name base[\s\S]*use a literal/);
    });

    test('a long stack name is cut so the whole cluster name fits 64 characters', () => {
      const stack = new Stack(testApp(), `S${'x'.repeat(80)}`);
      const keys = new DataKeys(stack, 'Keys');
      const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, s3PrefixListId: 'pl-6da54004' });
      new SecureStream(stack, 'Stream', { network, keys, profile: resolveProfile('dev'), datasets: DATASETS });
      const [base] = (namesOf(stack).cluster as { 'Fn::Join': [string, [string, unknown]] })['Fn::Join'][1];
      expect(base).toMatch(/^s-?x+$/);
      expect(base.length + 1 + 8).toBeLessThanOrEqual(64);
    });
  });

  test('data subnets must be 2 or 3', () => {
    const { stack, keys, network } = build();
    const oneSubnet = new SecureNetwork(stack, 'Existing', {
      logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: network.vpc,
      dataSubnets: { subnets: [network.vpc.isolatedSubnets[0]!] }, computeSubnets: network.computeSubnets,
    });
    expect(() => new SecureStream(stack, 'OneZone', { network: oneSubnet, keys, profile: resolveProfile('dev'), datasets: DATASETS }))
      .toThrow(/network\.dataSubnets: selects 1 subnets/);
  });

  test('DESTROY only with the double opt-in', () => {
    const t = Template.fromStack(build(resolveProfile('dev'), {}, { profile: 'dev', destroyData: 'true' }).stack);
    for (const type of ['AWS::MSK::Cluster', 'AWS::MSK::Topic', 'AWS::MSK::Configuration']) {
      for (const r of Object.values(t.findResources(type))) expect(r).toMatchObject({ DeletionPolicy: 'Delete' });
    }
  });
});
