/**
 * The whole pipeline for a list of datasets: keys, network, buckets, database, stream, secrets, stages, detection
 * and audit. Every part is exposed so a team stack can extend it; the shareable parts can be brought.
 */
import { Duration, NestedStack, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Classification, CLASSIFICATIONS } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { DatasetsConfig, Profile, validatePipelineConfig } from '../../config';
import { AuditTrail, AuditTrailProps } from '../audit/audit-trail';
import { encryptedDeadLetterQueue } from '../common/dead-letter-queue';
import { applyProfileToRemoval, dataRemovalPolicy, destroyDataAllowed } from '../common/removal';
import { tagClassification } from '../common/tags';
import { PipelineFunction } from '../compute/pipeline-function';
import { SecureDatabase } from '../database/secure-database';
import { ThreatDetection } from '../detection/threat-detection';
import { DataKeyRole, DataKeys } from '../keys/data-keys';
import { SecureNetwork } from '../network/secure-network';
import { ApiCredential } from '../secrets/api-credential';
import { AccessLogBucket } from '../storage/access-log-bucket';
import { SecureBucket } from '../storage/secure-bucket';
import { SecureStream } from '../streaming/secure-stream';
import { IngestStage } from './ingest-stage';
import { LoadStage } from './load-stage';
import { validateTemplateLimits } from './stack-limits';
import { StoreStage } from './store-stage';

export interface SecurePipelineProps {
  readonly profile: Profile;
  readonly datasets: DatasetsConfig;
  /** Keys you manage, by role (see DataKeys). @default new keys */
  readonly existingKeys?: Partial<Record<DataKeyRole, IKey>>;
  /** A VPC you manage, with isolated subnet groups `data` and `compute` and an egress tier for the ingest stages. @default a new VPC */
  readonly existingVpc?: IVpc;
  /** With `existingVpc`: the security group of its interface endpoints (see SecureNetwork). @default none (refused with existingVpc) */
  readonly existingEndpointSecurityGroup?: ISecurityGroup;
  /** The region's S3 prefix list id; required with `existingVpc` (see SecureNetwork). @default looked up at deploy time */
  readonly s3PrefixListId?: string;
  /** Zone IDs for the new VPC's subnets, `profile.azCount` of them (see SecureNetwork). @default zones picked by name */
  readonly availabilityZoneIds?: readonly string[];
  /** Email subscribed to security alerts. @default none */
  readonly alarmEmail?: string;
  /** The account's GuardDuty detector, adopted without a deploy-time lookup. @default adopt the account's detector if it has one, else create one */
  readonly existingDetectorId?: string;
  /** Adopt an existing or organization trail (existingTrail / useOrganizationTrail + existingLogGroup). @default create a trail */
  readonly auditTrail?: Pick<AuditTrailProps, 'existingTrail' | 'useOrganizationTrail' | 'existingLogGroup' | 'objectLock' | 'trailRetentionDays'>;
}

export class SecurePipeline extends Construct {
  public readonly keys: DataKeys;
  public readonly network: SecureNetwork;
  /** The nested stack of each dataset group (datasets with a `group`). */
  public readonly groups: ReadonlyMap<string, NestedStack>;
  public readonly accessLogs: AccessLogBucket;
  /** One curated bucket per classification that some dataset uses. */
  public readonly curatedBuckets: ReadonlyMap<Classification, SecureBucket>;
  /** Records that failed validation: may hold anything, so it is Restricted. */
  public readonly quarantineBucket: SecureBucket;
  public readonly database: SecureDatabase;
  /** The source credential of each dataset whose source authenticates, by dataset name. */
  public readonly credentials: ReadonlyMap<string, ApiCredential>;
  public readonly stream: SecureStream;
  /** High-watermarks of the ingest stages (partition key `dataset`). */
  public readonly watermarks: Table;
  /** The versioned HMAC key for `tokenize` fields (only when some dataset tokenizes). */
  public readonly tokenizationKey?: Secret;
  /** Schedule events that could not invoke an ingest function after retries. */
  public readonly scheduleDeadLetterQueue: Queue;
  /** One ingest stage per dataset, by dataset name. */
  public readonly ingest: ReadonlyMap<string, IngestStage>;
  /** One store stage per dataset, by dataset name. */
  public readonly store: ReadonlyMap<string, StoreStage>;
  public readonly load: LoadStage;
  public readonly threatDetection: ThreatDetection;
  public readonly auditTrail: AuditTrail;

  constructor(scope: Construct, id: string, props: SecurePipelineProps) {
    super(scope, id);
    // Configs built in code get the checks a loaded file gets; every part below uses the resolved copies.
    const { profile, datasets } = validatePipelineConfig(props.profile, props.datasets, `SecurePipeline ${this.node.path} props`);
    applyProfileToRemoval(this, profile);

    this.keys = new DataKeys(this, 'Keys', { ...(props.existingKeys ? { existingKeys: props.existingKeys } : {}) });
    this.network = new SecureNetwork(this, 'Network', {
      logKey: this.keys.audit,
      flowLogRetentionDays: profile.platformLogRetentionDays,
      keys: this.keys,
      profile,
      // The DNS firewall resolves only these hosts beyond the AWS names: every source and token endpoint.
      egressDomains: sourceHosts(datasets),
      // Passed on whenever given, so SecureNetwork checks them (and refuses an endpoint group without existingVpc).
      ...(props.s3PrefixListId !== undefined ? { s3PrefixListId: props.s3PrefixListId } : {}),
      ...(props.existingEndpointSecurityGroup !== undefined ? { existingEndpointSecurityGroup: props.existingEndpointSecurityGroup } : {}),
      // Passed on whenever given, so SecureNetwork checks them (and refuses them with existingVpc).
      ...(props.availabilityZoneIds !== undefined ? { availabilityZoneIds: props.availabilityZoneIds } : {}),
      ...(props.existingVpc
        ? { existingVpc: props.existingVpc }
        : {
          azCount: profile.azCount,
          // Only the stages that call source APIs need the internet; the tier exists only when a dataset has a source.
          egress: datasets.datasets.length > 0,
          natGateways: profile.natGateways,
        }),
    });
    this.accessLogs = new AccessLogBucket(this, 'AccessLogs');

    const used = CLASSIFICATIONS.filter((c) => datasets.datasets.some((d) => d.classification === c));
    this.curatedBuckets = new Map(used.map((c) => [c, new SecureBucket(this, `Curated${c}`, {
      classification: c,
      keys: this.keys,
      accessLogBucket: this.accessLogs,
    })]));
    this.quarantineBucket = new SecureBucket(this, 'Quarantine', {
      classification: Classification.RESTRICTED,
      keys: this.keys,
      accessLogBucket: this.accessLogs,
    });
    // A dataset with a group gets its own resources in the group's nested stack; the others stay in this stack.
    this.groups = new Map([...new Set(datasets.datasets.flatMap((d) => d.group ? [d.group] : []))].map((group) => [group,
      new NestedStack(this, `Datasets${pascalCase(group)}`, { description: `secure-data-pipeline: the datasets of group ${group}` })]));
    const groupOf = new Map(datasets.datasets.map((d) => [d.name, d.group ? this.groups.get(d.group) : undefined]));
    const scopeOf = (dataset: string): Construct => groupOf.get(dataset) ?? this;
    this.credentials = new Map(datasets.datasets.flatMap((d) => d.source.auth ? [[d.name, new ApiCredential(scopeOf(d.name), `${pascalCase(d.name)}Credential`, {
      keys: this.keys,
      network: this.network,
      profile,
      tokenUrl: d.source.auth.tokenUrl,
      probeUrl: d.source.url,
      ...(d.source.auth.scope !== undefined ? { scope: d.source.auth.scope } : {}),
    })] as const] : []));
    this.database = new SecureDatabase(this, 'Database', { network: this.network, keys: this.keys, profile, datasets });
    this.stream = new SecureStream(this, 'Stream', {
      network: this.network, keys: this.keys, profile, datasets, topicScope: (dataset) => groupOf.get(dataset),
    });
    this.watermarks = new Table(this, 'Watermarks', {
      partitionKey: { name: 'dataset', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.keys.internal,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !destroyDataAllowed(this),
      removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
    });
    tagClassification(this.watermarks, Classification.INTERNAL);
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acknowledge(this.watermarks, `${pack}-DynamoDBInBackupPlan`,
        'The table holds only source cursors: point-in-time recovery covers 35 days, and a lost cursor only makes the next run re-read its source, which the idempotent pipeline absorbs');
    }
    if (datasets.datasets.some((d) => d.fields.some((f) => f.handling === 'tokenize'))) {
      this.tokenizationKey = new Secret(this, 'TokenizationKey', {
        description: 'Versioned HMAC-SHA-256 key for tokenized fields: {"currentVersion": n, "key1": ..., "keys": {...}}',
        encryptionKey: this.keys.restricted,
        generateSecretString: { secretStringTemplate: JSON.stringify({ currentVersion: 1 }), generateStringKey: 'key1', passwordLength: 64, excludePunctuation: true },
        // Losing the key makes every token irreproducible: joins and lookups on tokenized fields break for good.
        removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
      });
      tagClassification(this.tokenizationKey, Classification.RESTRICTED);
      // An explicit deny in the secret's own policy beats any IAM allow, even an administrator's: deleting the key
      // takes removing this policy first (README: retention and teardown). Under the destroy opt-in it is left out,
      // or the dev teardown could not delete the secret.
      // https://docs.aws.amazon.com/secretsmanager/latest/userguide/determine-acccess_examine-iam-policies.html
      if (!destroyDataAllowed(this)) {
        this.tokenizationKey.addToResourcePolicy(new PolicyStatement({
          sid: 'NobodyDeletesTheTokenizationKey',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['secretsmanager:DeleteSecret'],
          resources: ['*'],
        }));
      }
      const noAutoRotation = 'Tokenization keys are rotated by adding a version (README: rotate the tokenization key); replacing the key automatically would break the joins that deterministic tokens exist for';
      for (const rule of ['AwsSolutions-SMG4', 'HIPAA.Security-SecretsManagerRotationEnabled', 'NIST.800.53.R5-SecretsManagerRotationEnabled']) {
        acknowledge(this.tokenizationKey, rule, noAutoRotation);
      }
    }
    this.scheduleDeadLetterQueue = encryptedDeadLetterQueue(this, 'ScheduleDeadLetterQueue', {
      key: this.keys.audit,
      classification: Classification.INTERNAL,
      receives: 'ingest schedule events that could not invoke their function after retries',
      recognisedAsDeadLetterQueue: false,
    });
    this.ingest = new Map(datasets.datasets.map((d) => [d.name, new IngestStage(scopeOf(d.name), `${pascalCase(d.name)}Ingest`, {
      dataset: d,
      keys: this.keys,
      network: this.network,
      profile,
      stream: this.stream,
      quarantine: this.quarantineBucket,
      watermarks: this.watermarks,
      scheduleDeadLetterQueue: this.scheduleDeadLetterQueue,
      ...(this.credentials.get(d.name) ? { credential: this.credentials.get(d.name)! } : {}),
      ...(this.tokenizationKey ? { tokenizationKey: this.tokenizationKey } : {}),
    })]));

    this.store = new Map(datasets.datasets.map((d) => [d.name, new StoreStage(scopeOf(d.name), `${pascalCase(d.name)}Store`, {
      dataset: d,
      keys: this.keys,
      network: this.network,
      profile,
      stream: this.stream,
      curated: this.curatedBuckets.get(d.classification)!,
      quarantine: this.quarantineBucket,
    })]));
    this.load = new LoadStage(this, 'Load', {
      keys: this.keys,
      network: this.network,
      profile,
      database: this.database,
      curatedBuckets: [...this.curatedBuckets.values()],
      quarantine: this.quarantineBucket,
    });

    this.threatDetection = new ThreatDetection(this, 'ThreatDetection', {
      keys: this.keys,
      network: this.network,
      profile,
      protectedBuckets: [this.quarantineBucket.bucket],
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.existingDetectorId ? { existingDetectorId: props.existingDetectorId } : {}),
    });
    this.auditTrail = new AuditTrail(this, 'AuditTrail', {
      ...props.auditTrail,
      keys: this.keys,
      accessLogBucket: this.accessLogs,
      profile,
      alarmTopic: this.threatDetection.alarmTopic,
      dataEventBuckets: this.buckets.map((b) => b.bucket),
      dataEventFunctions: this.lambdaFunctions,
    });

    this.network.allowBucketsThroughEndpoint(...this.buckets.map((b) => b.bucket));
    this.alarmOnDeadLetters();
    this.validateLimits(datasets);
  }

  /** Every template of the pipeline within CloudFormation's quotas (with headroom), or a synth error naming the fix. */
  private validateLimits(datasets: DatasetsConfig): void {
    const ungrouped = datasets.datasets.filter((d) => !d.group).length;
    validateTemplateLimits(Stack.of(this), () => `give datasets a "group" in the datasets config (${ungrouped} of ` +
      `${datasets.datasets.length} have none): each group deploys as a nested stack of its own; 14 datasets always fit a group ` +
      '(about 30 resources each with source auth, 24 without: up to 18). Grouping a dataset that is already deployed replaces its topics and log groups (README: Scale)');
    for (const [group, stack] of this.groups) {
      const members = datasets.datasets.filter((d) => d.group === group).length;
      validateTemplateLimits(stack, () => `group "${group}" has ${members} datasets: move some of them into another group ` +
        '(14 datasets always fit a group: about 30 resources each with source auth, 24 without)');
    }
  }

  /** Every dead-letter queue of the data path raises an alarm on the security topic as soon as it holds a message. */
  private alarmOnDeadLetters(): void {
    const queues = new Set<Queue>([this.scheduleDeadLetterQueue, this.load.deadLetterQueue, this.load.ruleDeadLetterQueue, ...this.functions.map((f) => f.deadLetterQueue)]);
    const stageAlarms = [...this.ingest.values(), ...this.store.values()].flatMap((stage) => stage.alarms);
    for (const alarm of stageAlarms) alarm.addAlarmAction(new SnsAction(this.threatDetection.alarmTopic));
    for (const queue of queues) {
      new Alarm(queue, 'NotEmptyAlarm', {
        alarmDescription: `Records or events are waiting in ${queue.node.path}: read them, fix the cause, then redrive (README: where a record ends up)`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(this.threatDetection.alarmTopic));
    }
  }

  /** All data buckets (curated and quarantine). */
  public get buckets(): SecureBucket[] {
    return [...this.curatedBuckets.values(), this.quarantineBucket];
  }

  /** Every PipelineFunction of the pipeline's stages. */
  public get functions(): PipelineFunction[] {
    return this.node.findAll().filter((c): c is PipelineFunction => c instanceof PipelineFunction);
  }

  /** The Lambda functions, for APIs that take IFunction. */
  public get lambdaFunctions(): IFunction[] {
    return this.functions.map((f) => f.function);
  }
}

/** The host of every dataset's source URL and token URL, once each. */
function sourceHosts(datasets: DatasetsConfig): string[] {
  const urls = datasets.datasets.flatMap((d) => [d.source.url, ...(d.source.auth ? [d.source.auth.tokenUrl] : [])]);
  return [...new Set(urls.map((url) => new URL(url).hostname))];
}

/** A dataset's lower_snake_case name in PascalCase (`customer_orders` → `CustomerOrders`): its part of construct ids. */
export function pascalCase(name: string): string {
  return name.split('_').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}
