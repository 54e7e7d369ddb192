/** Amazon MSK for the pipeline topics: TLS only, IAM SASL only, CMK at rest, isolated brokers, topic-scoped grants. */
import { ArnFormat, CustomResource, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import { IConnectable, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Grant, IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnCluster, CfnConfiguration, CfnTopic } from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import { Classification, policyFor } from '../../classification';
import { DatasetsConfig, Profile, validateDatasetsConfig, validateProfile } from '../../config';
import { ConfigurationError, describeValue, ProblemCollector } from '../../errors';
import { customResourceServiceTimeout } from '../common/custom-resource';
import { DEPLOYMENT_SUFFIX_LENGTH, deploymentUniqueName } from '../common/deployment-name';
import { encryptedLogGroup } from '../common/log-group';
import { checkInstance } from '../common/prop-checks';
import { dataRemovalPolicy } from '../common/removal';
import { DATA_TIER, tieredSecurityGroup } from '../common/security-group';
import { tagClassification } from '../common/tags';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import { SecureNetwork } from '../network/secure-network';

/** The only listener clients reach: TLS with IAM SASL authentication. */
export const KAFKA_IAM_TLS_PORT = 9098;

/**
 * The Kafka version AWS marks "Recommended" for MSK provisioned clusters (ZooKeeper metadata mode: kafka.t3.small,
 * the dev broker type, does not run KRaft versions). The topic API behind AWS::MSK::Topic needs 3.6.0 or later.
 */
export const DEFAULT_KAFKA_VERSION = '3.8.x';

/** Oldest version accepted: AWS::MSK::Topic (the MSK topic API) needs Kafka 3.6.0 or later. */
const MIN_KAFKA_VERSION: readonly [number, number] = [3, 6];

/** MSK cluster names: letters, digits and hyphens, starting with a letter, at most 64 characters. */
const MAX_CLUSTER_NAME_LENGTH = 64;

/** Room for the given or default base once `-<suffix>` is appended. */
export const MAX_CLUSTER_NAME_BASE_LENGTH = MAX_CLUSTER_NAME_LENGTH - DEPLOYMENT_SUFFIX_LENGTH - 1;
const CLUSTER_NAME_BASE = new RegExp(`^[a-zA-Z][a-zA-Z0-9-]{0,${MAX_CLUSTER_NAME_BASE_LENGTH - 1}}$`);

/** MSK's per-cluster broker quota for ZooKeeper-mode clusters (KRaft allows more; we stay within the lower one). */
const MAX_BROKERS = 30;

/**
 * How long `<dataset>.clean` keeps records, for every classification: a replay window for the store stage after an
 * outage. The curated bucket is the system of record; keeping Restricted records longer in the broker would only
 * widen their exposure.
 */
export const CLEAN_TOPIC_RETENTION_DAYS = 7;

export type TopicKind = 'clean' | 'dlq';

/** One declared topic and the settings the construct gives it. */
export interface TopicSpec {
  /** `<dataset>.clean` or `<dataset>.dlq`. */
  readonly name: string;
  readonly dataset: string;
  readonly kind: TopicKind;
  readonly classification: Classification;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level Kafka configuration (string values, as Kafka takes them). */
  readonly configs: Readonly<Record<string, string>>;
}

/** Replication settings that let one broker be down without losing acknowledged writes or availability. */
export interface ReplicationSettings {
  readonly replicationFactor: number;
  readonly minInSyncReplicas: number;
}

/**
 * Replication from the broker count: RF = min(3, brokers); min.insync.replicas = RF - 1, at least 1.
 * 2 brokers (dev): RF 2, minISR 1 — a broker can restart without stopping producers. 3 brokers (prod): RF 3, minISR 2.
 */
export function replicationFor(brokerCount: number): ReplicationSettings {
  const replicationFactor = Math.min(3, brokerCount);
  return { replicationFactor, minInSyncReplicas: Math.max(1, replicationFactor - 1) };
}

/**
 * Retention of a topic, in days. Clean topics: {@link CLEAN_TOPIC_RETENTION_DAYS} for every classification.
 * Dead-letter topics hold records that failed processing until someone looks at them: they stay recoverable as long
 * as the classification keeps a deleted object version recoverable (`objectRetentionDays`: 30 / 90 / 365 days).
 */
export function topicRetentionDays(classification: Classification, kind: TopicKind): number {
  return kind === 'clean' ? CLEAN_TOPIC_RETENTION_DAYS : policyFor(classification).objectRetentionDays;
}

/** The topics of a datasets config: `<dataset>.clean` and `<dataset>.dlq` for each dataset. Pure. */
export function topicSpecs(datasets: DatasetsConfig, partitions: number, replication: ReplicationSettings): TopicSpec[] {
  return datasets.datasets.flatMap((d) => (['clean', 'dlq'] as const).map((kind): TopicSpec => ({
    name: `${d.name}.${kind}`,
    dataset: d.name,
    kind,
    classification: d.classification,
    partitions,
    replicationFactor: replication.replicationFactor,
    configs: {
      'cleanup.policy': 'delete',
      'retention.ms': String(Duration.days(topicRetentionDays(d.classification, kind)).toMilliseconds()),
      'min.insync.replicas': String(replication.minInSyncReplicas),
      'unclean.leader.election.enable': 'false',
    },
  })));
}

export interface SecureStreamProps {
  /** Brokers go in `network.dataSubnets` (isolated, 2 or 3 zones). */
  readonly network: SecureNetwork;
  /** The Restricted key encrypts broker volumes; the audit key encrypts broker logs. */
  readonly keys: DataKeys;
  /** Broker type, brokers per zone, storage and partitions per topic. */
  readonly profile: Profile;
  /** Every dataset gets `<dataset>.clean` and `<dataset>.dlq`. */
  readonly datasets: DatasetsConfig;
  /**
   * Base of the cluster name: letters, digits and hyphens, starting with a letter, at most
   * {@link MAX_CLUSTER_NAME_BASE_LENGTH}. The cluster is named `<base>-<8 hex of the stack id>` (lower-cased), so a
   * cluster retained from an earlier stack never blocks this one with "already exists".
   * @default `<stack name>-<id>`, lower-cased and cut to fit
   */
  readonly clusterName?: string;
  /** An MSK Kafka version, 3.6.0 or later (the topic API needs it). @default {@link DEFAULT_KAFKA_VERSION} */
  readonly kafkaVersion?: string;
  /**
   * Settings that are refused when insecure, accepted for JavaScript callers and for clear errors:
   * `clientBroker` (only `TLS`), `inClusterEncryption` (only true), `unauthenticated`, `scram`,
   * `tlsClientCertificates` and `publicAccess` (only false). @default the secure value
   */
  readonly clientBroker?: string;
  readonly inClusterEncryption?: boolean;
  readonly unauthenticated?: boolean;
  readonly scram?: boolean;
  readonly tlsClientCertificates?: boolean;
  readonly publicAccess?: boolean;
  /**
   * Where each dataset's topic resources are created (SecurePipeline passes the nested stack of the dataset's group).
   * @default this construct
   */
  readonly topicScope?: (dataset: string) => Construct | undefined;
}

export class SecureStream extends Construct {
  public readonly cluster: CfnCluster;
  public readonly configuration: CfnConfiguration;
  /** Admits TCP 9098 from security groups given a grant, nothing else. */
  public readonly securityGroup: SecurityGroup;
  /** `<base>-<8 hex of the stack id>`: a token, resolved at deploy time (see deploymentUniqueName). */
  public readonly clusterName: string;
  public readonly kafkaVersion: string;
  /** Brokers: data subnets × `profile.brokersPerAz`. */
  public readonly brokerCount: number;
  public readonly replication: ReplicationSettings;
  /** Every declared topic, in datasets order. */
  public readonly topics: readonly TopicSpec[];
  private readonly topicResources = new Map<string, CfnTopic>();
  private eventSourcesAllowed = false;
  /**
   * Comma-separated SASL/IAM bootstrap brokers (port 9098), looked up from the cluster at deploy time by a custom
   * resource, because CloudFormation does not return them.
   */
  public readonly bootstrapBrokersSaslIam: string;

  constructor(scope: Construct, id: string, props: SecureStreamProps) {
    super(scope, id);
    const problems = new ProblemCollector(`SecureStream ${this.node.path}`);
    problems.checkPropsObject(props);
    problems.collect(() => validateDatasetsConfig(props.datasets, 'datasets'));
    refuseInsecure(props, problems);
    if (props.topicScope !== undefined && typeof props.topicScope !== 'function') {
      problems.add('topicScope', `${describeValue(props.topicScope)} is not a function`, 'pass (dataset) => the construct to create its topics in, or leave it out');
    }
    const networkUsable = checkReferences(props, problems);
    const { network, keys, profile, datasets } = props;
    // An invalid profile is already reported; the checks below only need to read it without crashing.
    const profileReadable = typeof profile === 'object' && profile !== null;

    this.kafkaVersion = props.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
    checkKafkaVersion(this.kafkaVersion, profileReadable ? profile.brokerInstanceType : undefined, problems);
    // The cluster is retained: a fixed name would make a stack created again (after a deleted stack or a failed first
    // create) fail on the name. A given name is the base of the unique one, never used as is, so switching the
    // destroy opt-in or redeploying never renames (and so never replaces) the cluster.
    const nameBase: unknown = props.clusterName ?? defaultClusterNameBase(this, id);
    const baseValid = typeof nameBase === 'string' && !Token.isUnresolved(nameBase) && CLUSTER_NAME_BASE.test(nameBase);
    if (!baseValid) {
      problems.add('clusterName', `${describeValue(nameBase)} is not a valid MSK cluster name base`,
        `use a literal of letters, digits and hyphens, starting with a letter, at most ${MAX_CLUSTER_NAME_BASE_LENGTH} characters `
        + `(a hyphen and ${DEPLOYMENT_SUFFIX_LENGTH} characters of the stack id are appended)`);
    }
    this.clusterName = baseValid ? deploymentUniqueName(nameBase, MAX_CLUSTER_NAME_LENGTH) : '';
    if (!networkUsable || !profileReadable) problems.throwIfAny();

    const subnetIds = network.vpc.selectSubnets(network.dataSubnets).subnetIds;
    // MSK places the same number of brokers in each client subnet, and takes 2 or 3 of them.
    if (subnetIds.length < 2 || subnetIds.length > 3) {
      problems.add('network.dataSubnets', `selects ${subnetIds.length} subnets`,
        'give the data tier 2 or 3 subnets, each in its own availability zone');
    }
    if (!Number.isInteger(profile.brokersPerAz) || profile.brokersPerAz < 1) {
      problems.add('profile.brokersPerAz', `${describeValue(profile.brokersPerAz)} brokers per zone`, 'use a whole number of at least 1');
    }
    this.brokerCount = subnetIds.length * (Number.isInteger(profile.brokersPerAz) ? profile.brokersPerAz : Number.NaN);
    if (this.brokerCount > MAX_BROKERS) {
      problems.add('profile.brokersPerAz', `${describeValue(profile.brokersPerAz)} brokers in each of ${subnetIds.length} zones is ${this.brokerCount} brokers`,
        `stay within ${MAX_BROKERS} brokers per cluster`);
    }
    if (!Number.isInteger(profile.topicPartitions) || profile.topicPartitions < 1) {
      problems.add('profile.topicPartitions', `${describeValue(profile.topicPartitions)} partitions per topic`, 'use a whole number of at least 1');
    }
    if (!Number.isInteger(profile.brokerStorageGiB) || profile.brokerStorageGiB < 1 || profile.brokerStorageGiB > 16384) {
      problems.add('profile.brokerStorageGiB', `${describeValue(profile.brokerStorageGiB)} GiB per broker`, 'use 1 to 16384 GiB');
    }
    problems.throwIfAny();

    this.replication = replicationFor(this.brokerCount);
    this.topics = topicSpecs(datasets, profile.topicPartitions, this.replication);
    const removalPolicy = dataRemovalPolicy(this, undefined, 'removalPolicy');
    const restricted = Classification.RESTRICTED;

    this.securityGroup = tieredSecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: `MSK brokers ${this.node.path}: TLS ${KAFKA_IAM_TLS_PORT} with IAM auth from granted security groups only`,
      tier: DATA_TIER,
    });
    // A retained cluster keeps its network interfaces, and with them this group.
    this.securityGroup.applyRemovalPolicy(removalPolicy);

    this.configuration = new CfnConfiguration(this, 'Configuration', {
      // Retained with the cluster: unique per deployment through the cluster name.
      name: `${this.clusterName}-config`,
      description: 'No topic auto-creation, no unclean leader election, replication suited to the broker count',
      kafkaVersionsList: [this.kafkaVersion],
      serverProperties: serverProperties(this.replication, profile.topicPartitions),
    });
    this.configuration.applyRemovalPolicy(removalPolicy);

    // Broker logs may name clients and topics (never record values); kept like the cluster's own classification.
    const brokerLogs = encryptedLogGroup(this, 'BrokerLogs', {
      key: keys.audit,
      retentionDays: policyFor(restricted).logRetentionDays,
      // /aws/vendedlogs/ keeps vended-log delivery clear of the 5120-character Logs resource-policy limit; unique through the cluster name.
      logGroupName: `/aws/vendedlogs/msk/${this.clusterName}/broker`,
      removalPolicy,
    });

    this.cluster = new CfnCluster(this, 'Cluster', {
      clusterName: this.clusterName,
      kafkaVersion: this.kafkaVersion,
      numberOfBrokerNodes: this.brokerCount,
      brokerNodeGroupInfo: {
        instanceType: profile.brokerInstanceType,
        clientSubnets: subnetIds,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: profile.brokerStorageGiB } },
        connectivityInfo: { publicAccess: { type: 'DISABLED' } },
      },
      encryptionInfo: {
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
        encryptionAtRest: { dataVolumeKmsKeyId: keys.keyFor(restricted).keyArn },
      },
      clientAuthentication: {
        sasl: { iam: { enabled: true }, scram: { enabled: false } },
        tls: { enabled: false },
        unauthenticated: { enabled: false },
      },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
      enhancedMonitoring: 'PER_BROKER',
      configurationInfo: { arn: this.configuration.attrArn, revision: this.configuration.attrLatestRevisionRevision },
    });
    this.cluster.applyRemovalPolicy(removalPolicy);
    tagClassification(this.cluster, restricted);

    for (const topic of this.topics) {
      const resource = new CfnTopic(props.topicScope?.(topic.dataset) ?? this, `Topic-${topic.name}`, {
        clusterArn: this.cluster.attrArn,
        topicName: topic.name,
        partitionCount: topic.partitions,
        replicationFactor: topic.replicationFactor,
        configs: encodeTopicConfigs(topic.configs),
      });
      // Deleting a topic deletes its records: topics follow the data removal policy like the cluster.
      resource.applyRemovalPolicy(removalPolicy);
      this.topicResources.set(topic.name, resource);
    }
    this.bootstrapBrokersSaslIam = this.lookUpBootstrapBrokers(network, keys, profile);
  }

  private lookUpBootstrapBrokers(network: SecureNetwork, keys: DataKeys, profile: Profile): string {
    const fn = new PipelineFunction(this, 'BrokersLookup', {
      builtInHandler: 'msk-bootstrap',
      classification: Classification.INTERNAL,
      network,
      keys,
      profile,
      concurrencyBound: { by: 'custom-resource' },
      description: `Returns the SASL/IAM bootstrap brokers of ${this.node.path}`,
    });
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kafka:GetBootstrapBrokers'], resources: [this.clusterArn] }));
    const lookup = new CustomResource(this, 'BootstrapBrokers', {
      serviceToken: fn.functionArn,
      serviceTimeout: customResourceServiceTimeout(fn.function.timeout!),
      resourceType: 'Custom::MskBootstrapBrokers',
      properties: { ClusterArn: this.clusterArn },
    });
    lookup.node.addDependency(fn.role.policy);
    return lookup.getAttString('BootstrapBrokerStringSaslIam');
  }

  /** The cluster ARN, `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`. */
  public get clusterArn(): string {
    return this.cluster.attrArn;
  }

  /** Names of the declared topics. */
  public get topicNames(): string[] {
    return this.topics.map((t) => t.name);
  }

  /** The CfnTopic of a declared topic. */
  public topicResource(topic: string): CfnTopic {
    this.requireTopic('topicResource', topic);
    return this.topicResources.get(topic)!;
  }

  /** `arn:<partition>:kafka:<region>:<account>:topic/<clusterName>/<clusterUuid>/<topic>` of a declared topic. */
  public topicArn(topic: string): string {
    this.requireTopic('topicArn', topic);
    return this.kafkaArn('topic', topic);
  }

  /** `arn:<partition>:kafka:<region>:<account>:group/<clusterName>/<clusterUuid>/<group>`. */
  public groupArn(group: string): string {
    this.requireGroup('groupArn', group);
    return this.kafkaArn('group', group);
  }

  /**
   * Lets `grantee` produce to one declared topic over IAM: Connect, DescribeCluster and WriteDataIdempotently on this
   * cluster, DescribeTopic and WriteData on that topic only; opens port 9098 to the grantee's security groups.
   */
  public grantProduce(grantee: IGrantable & Partial<IConnectable>, topic: string): Grant {
    this.requireTopic('grantProduce', topic);
    this.admit(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
      resourceArns: [this.clusterArn],
    }).combine(Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      resourceArns: [this.topicArn(topic)],
    }));
  }

  /**
   * Lets `grantee` consume one declared topic as one consumer group over IAM: Connect, DescribeCluster and
   * DescribeClusterDynamicConfiguration on this cluster, plus the control-plane reads a Lambda event source mapping
   * makes with the function's role (kafka:DescribeClusterV2, kafka:GetBootstrapBrokers) on this cluster only;
   * DescribeTopic and ReadData on that topic; DescribeGroup and AlterGroup on that group. Opens port 9098 to the
   * grantee's security groups.
   */
  public grantConsume(grantee: IGrantable & Partial<IConnectable>, topic: string, consumerGroup: string): Grant {
    this.requireTopic('grantConsume', topic);
    this.requireGroup('grantConsume', consumerGroup);
    this.admit(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: [
        'kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:DescribeClusterDynamicConfiguration',
        'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers',
      ],
      resourceArns: [this.clusterArn],
    }).combine(Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      resourceArns: [this.topicArn(topic)],
    })).combine(Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
      resourceArns: [this.groupArn(consumerGroup)],
    }));
  }

  /**
   * Topic and group ARNs carry the cluster name and UUID as the cluster ARN (`…:cluster/<name>/<uuid>`) has them; the
   * UUID exists only once the cluster does, so both are split from the ARN.
   */
  private kafkaArn(resource: 'topic' | 'group', name: string): string {
    const arnParts = Fn.split('/', this.clusterArn);
    return Stack.of(this).formatArn({
      service: 'kafka',
      resource,
      resourceName: `${Fn.select(1, arnParts)}/${Fn.select(2, arnParts)}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * A Lambda event source mapping polls the cluster from network interfaces that carry the cluster's own security
   * group: let that group reach the brokers on 9098 and the AWS API endpoints (Lambda, STS) on 443. Idempotent.
   */
  public allowLambdaEventSources(endpointSecurityGroup?: IConnectable): void {
    if (this.eventSourcesAllowed) return;
    this.eventSourcesAllowed = true;
    this.securityGroup.addIngressRule(this.securityGroup, Port.tcp(KAFKA_IAM_TLS_PORT), 'Lambda event source pollers (cluster security group)');
    this.securityGroup.addEgressRule(this.securityGroup, Port.tcp(KAFKA_IAM_TLS_PORT), 'Lambda event source pollers to the brokers');
    if (endpointSecurityGroup) {
      this.securityGroup.connections.allowTo(endpointSecurityGroup, Port.tcp(443), 'Lambda event source pollers to the Lambda and STS endpoints');
    }
  }

  private admit(grantee: Partial<IConnectable>): void {
    if (grantee.connections) {
      // From the grantee's side: when it is in another stack (a dataset group's nested stack), both rules (its egress,
      // the cluster group's ingress) are created in the grantee's stack, so the main stack does not grow with every
      // client. In the same stack the rules and their ids are the same either way.
      grantee.connections.allowTo(this.securityGroup, Port.tcp(KAFKA_IAM_TLS_PORT), 'Kafka over TLS with IAM auth');
    }
  }

  private requireTopic(method: string, topic: string): void {
    if (!this.topicResources.has(topic)) {
      const declared = this.topicNames;
      throw new ConfigurationError(`SecureStream ${this.node.path}`, [{
        path: `${method}.topic`,
        problem: `"${topic}" is not a declared topic (declared: ${declared.length > 0 ? declared.join(', ') : 'none'})`,
        fix: 'use one of the declared topics; topics come from the datasets config as <dataset>.clean and <dataset>.dlq',
      }]);
    }
  }

  private requireGroup(method: string, group: string): void {
    // No IAM wildcards (* ?) and nothing that could change the ARN's shape.
    if (Token.isUnresolved(group) || !/^[a-zA-Z0-9._-]{1,200}$/.test(group)) {
      throw new ConfigurationError(`SecureStream ${this.node.path}`, [{
        path: `${method}.consumerGroup`,
        problem: `"${group}" is not a valid consumer group name`,
        fix: 'use 1 to 200 letters, digits, ".", "_" or "-" (no wildcards), e.g. patient_visits.store',
      }]);
    }
  }
}

function refuseInsecure(props: SecureStreamProps, problems: ProblemCollector): void {
  const fix = (prop: string) => `remove ${prop}; the secure setting is enforced`;
  if (props.clientBroker !== undefined && props.clientBroker !== 'TLS') {
    problems.add('clientBroker', `${describeValue(props.clientBroker)} would open a plaintext listener`, fix('clientBroker'));
  }
  const flags: ReadonlyArray<[keyof SecureStreamProps, boolean, string]> = [
    ['inClusterEncryption', false, 'would replicate between brokers in plaintext'],
    ['unauthenticated', true, 'would let any client on the network connect without credentials'],
    ['scram', true, 'would add password logins that IAM topic grants do not govern'],
    ['tlsClientCertificates', true, 'would add certificate logins that IAM topic grants do not govern'],
    ['publicAccess', true, 'would give the brokers public addresses'],
  ];
  for (const [prop, insecure, problem] of flags) {
    // `=== true` alone would let `'true'` or `1` from a JavaScript caller through silently.
    if (problems.checkBoolean(prop, props[prop]) && props[prop] === insecure) problems.add(prop, problem, fix(prop));
  }
}

/** The network, keys and profile the cluster is built from, checked before anything reads them; whether the network is usable. */
function checkReferences(props: SecureStreamProps, problems: ProblemCollector): boolean {
  const network = checkInstance(problems, 'network', props.network, SecureNetwork, 'pass the SecureNetwork of the stack');
  checkInstance(problems, 'keys', props.keys, DataKeys, 'pass the DataKeys of the stack');
  problems.collect(() => validateProfile(props.profile, 'profile'));
  if (props.kafkaVersion !== undefined && typeof props.kafkaVersion !== 'string') {
    problems.add('kafkaVersion', `${describeValue(props.kafkaVersion)} is not a version string`, `use a version MSK lists, e.g. "${DEFAULT_KAFKA_VERSION}"`);
  }
  return network;
}

function checkKafkaVersion(version: string, instanceType: unknown, problems: ProblemCollector): void {
  if (typeof version !== 'string') return;
  const m = /^(\d+)\.(\d+)\.(\d+|x)(\.kraft)?$/.exec(version);
  if (!m) {
    problems.add('kafkaVersion', `"${version}" is not an MSK Kafka version`, `use a version MSK lists, e.g. "${DEFAULT_KAFKA_VERSION}"`);
    return;
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < MIN_KAFKA_VERSION[0] || (major === MIN_KAFKA_VERSION[0] && minor < MIN_KAFKA_VERSION[1])) {
    problems.add('kafkaVersion', `${version} is older than ${MIN_KAFKA_VERSION.join('.')}.0, which AWS::MSK::Topic needs`,
      `use ${DEFAULT_KAFKA_VERSION} or later`);
  }
  if (m[4] && typeof instanceType === 'string' && instanceType.startsWith('kafka.t3.')) {
    problems.add('kafkaVersion', `${version} runs in KRaft mode, which ${instanceType} brokers do not support`,
      `use ${DEFAULT_KAFKA_VERSION} or an m5/m7g broker type`);
  }
}

function serverProperties(replication: ReplicationSettings, partitions: number): string {
  const rf = String(replication.replicationFactor);
  const minIsr = String(replication.minInSyncReplicas);
  return [
    // Topics exist only as declared (AWS::MSK::Topic); a typo in a client never creates one.
    'auto.create.topics.enable=false',
    // No effect while IAM is the only authentication (MSK authorizes IAM clients by policy); it keeps any
    // other listener ever enabled deny-by-default.
    'allow.everyone.if.no.acl.found=false',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    `num.partitions=${partitions}`,
    `offsets.topic.replication.factor=${rf}`,
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'unclean.leader.election.enable=false',
  ].join('\n');
}

/** AWS::MSK::Topic `Configs`: the topic settings as a JSON object of strings, Base64-encoded (as the MSK topic API takes them). */
export function encodeTopicConfigs(configs: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(configs), 'utf8').toString('base64');
}

/** `<stack name>-<id>` cleaned into a valid base (the stack name is the readable part; the suffix makes it unique). */
function defaultClusterNameBase(scope: Construct, id: string): string {
  const stackName = Stack.of(scope).stackName;
  const base = Token.isUnresolved(stackName) ? id : `${stackName}-${id}`;
  const clean = base.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^[^a-z]+/, '')
    .slice(0, MAX_CLUSTER_NAME_BASE_LENGTH).replace(/-+$/, '');
  return clean || 'stream';
}
