/** Customer-managed KMS keys: one per classification and one for audit data and logs. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { Classification, CLASSIFICATIONS, KeyRole, policyFor } from '../../classification';
import { describeValue, ProblemCollector } from '../../errors';
import { checkKey, checkRemovalPolicy } from '../common/prop-checks';
import { dataRemovalPolicy } from '../common/removal';
import { tagClassification } from '../common/tags';
import { arnParts } from '../common/arn-parts';

export type DataKeyRole = KeyRole | 'audit';

const KEY_ROLES: readonly DataKeyRole[] = ['public', 'internal', 'restricted', 'audit'];

export interface DataKeysProps {
  /**
   * Alias prefix: keys are `alias/<prefix>/<role>`. Aliases are unique per account and region, so the default
   * includes this construct's path (stack name included). @default 'secure-data-pipeline/<construct path>'
   */
  readonly aliasPrefix?: string;
  /**
   * Keys you already manage, by role. An existing key is used as is: its rotation and key policy are yours
   * (the audit key must admit CloudWatch Logs, CloudTrail, CloudWatch alarms and EventBridge; see README).
   * @default a new key for every role
   */
  readonly existingKeys?: Partial<Record<DataKeyRole, IKey>>;
  /**
   * RETAIN_ON_UPDATE_OR_DELETE; DESTROY only with the app's double opt-in (-c profile=dev -c destroyData=true).
   * SNAPSHOT is refused (CloudFormation cannot snapshot a KMS key), and so is plain RETAIN: a key kept from a failed
   * first deploy is an orphan that costs money and must be scheduled for deletion by hand.
   * @default RETAIN_ON_UPDATE_OR_DELETE (DESTROY under the opt-in)
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Days a deleted key waits before it is gone. @default 30 */
  readonly pendingWindowDays?: number;
}

/** Rotation period of the audit key: audit data is treated as Restricted. */
const AUDIT_ROTATION_DAYS = policyFor(Classification.RESTRICTED).keyRotationDays;

export class DataKeys extends Construct {
  public readonly public: IKey;
  public readonly internal: IKey;
  public readonly restricted: IKey;
  /** Encrypts logs, the trail, security topics and other audit data. */
  public readonly audit: IKey;

  constructor(scope: Construct, id: string, props: DataKeysProps = {}) {
    super(scope, id);
    const problems = new ProblemCollector(`DataKeys ${this.node.path}`);
    problems.checkPropsObject(props);
    const prefix: unknown = props.aliasPrefix ?? `secure-data-pipeline/${this.node.path.replace(/[^a-zA-Z0-9/_-]/g, '-')}`;
    if (typeof prefix !== 'string' || !/^[a-zA-Z0-9/_-]{1,200}$/.test(prefix) || prefix.startsWith('aws') || prefix.startsWith('/')
      || prefix.endsWith('/') || prefix.includes('//')) {
      problems.add('aliasPrefix', `${describeValue(prefix)} is not a valid alias prefix`, 'use letters, digits, "/", "_" and "-", not starting with "aws" or "/"');
    }
    const pendingWindow = props.pendingWindowDays ?? 30;
    if (!Number.isInteger(pendingWindow) || pendingWindow < 7 || pendingWindow > 30) {
      problems.add('pendingWindowDays', `${describeValue(pendingWindow)} is outside 7–30`, 'use a whole number of days from 7 to 30');
    }
    const existing: unknown = props.existingKeys;
    if (existing !== undefined && (typeof existing !== 'object' || existing === null || Array.isArray(existing))) {
      problems.add('existingKeys', `${describeValue(existing)} is not an object of keys by role`, 'pass { restricted: key, ... }');
    } else {
      for (const [role, key] of Object.entries(props.existingKeys ?? {})) {
        if (!(KEY_ROLES as readonly string[]).includes(role)) {
          problems.add(`existingKeys.${role}`, 'is not a key role', `use ${KEY_ROLES.join(', ')}`);
        } else {
          checkKey(problems, `existingKeys.${role}`, key, 'pass a kms.Key or Key.fromKeyArn(...)', true);
        }
      }
    }
    const problemsBefore = problems.count;
    checkRemovalPolicy(problems, 'removalPolicy', props.removalPolicy, ['AWS::KMS::Key']);
    // DESTROY without the app's double opt-in, or plain RETAIN, is reported with the other problems (once per prop).
    const removalPolicy = problems.count === problemsBefore
      ? problems.collect(() => dataRemovalPolicy(this, props.removalPolicy, 'removalPolicy'))
      : undefined;
    problems.throwIfAny();

    const make = (role: DataKeyRole, rotationDays: number, classification: Classification, description: string): IKey => {
      const existing = props.existingKeys?.[role];
      if (existing) return existing;
      const key = new Key(this, keyId(role), {
        alias: `alias/${prefix as string}/${role}`,
        description,
        enableKeyRotation: true,
        rotationPeriod: Duration.days(rotationDays),
        pendingWindow: Duration.days(pendingWindow),
        removalPolicy,
      });
      tagClassification(key, classification);
      return key;
    };

    const [pub, internal, restricted] = CLASSIFICATIONS.map((c) =>
      make(policyFor(c).keyRole, policyFor(c).keyRotationDays, c, `Encrypts ${c} data stores, topics and secrets`),
    );
    this.public = pub!;
    this.internal = internal!;
    this.restricted = restricted!;
    this.audit = make('audit', AUDIT_ROTATION_DAYS, Classification.RESTRICTED, 'Encrypts logs, the audit trail and security topics');
    if (!props.existingKeys?.audit) {
      this.admitLogServices(this.audit);
    }
  }

  /** The key that protects data of a classification. */
  public keyFor(classification: Classification): IKey {
    const role = policyFor(classification).keyRole;
    return role === 'public' ? this.public : role === 'internal' ? this.internal : this.restricted;
  }

  /**
   * Lets the services that write logs and audit events use the audit key, each only for resources of this
   * account and region (encryption context or source ARN conditions), so no other account can use it through them.
   * ARNs are built from pseudo parameters, not from the resources, so there is no circular dependency.
   */
  private admitLogServices(key: IKey): void {
    const { partition, region, account } = arnParts(this);
    const sourceAccount = { 'aws:SourceAccount': account };

    key.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudWatchLogsEncryptsLogGroupsOfThisAccount',
      principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` } },
    }));
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudTrailEncryptsTrailsOfThisAccount',
      principals: [new ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringLike: {
          'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition}:cloudtrail:*:${account}:trail/*`,
          'aws:SourceArn': `arn:${partition}:cloudtrail:${region}:${account}:trail/*`,
        },
      },
    }));
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudTrailDescribesKey',
      principals: [new ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['kms:DescribeKey'],
      resources: ['*'],
      conditions: { StringLike: { 'aws:SourceArn': `arn:${partition}:cloudtrail:${region}:${account}:trail/*` } },
    }));
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'AlarmsPublishToEncryptedTopics',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: sourceAccount, ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` } },
    }));
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'EventBridgePublishesToEncryptedTopics',
      principals: [new ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: sourceAccount, ArnLike: { 'aws:SourceArn': `arn:${partition}:events:${region}:${account}:rule/*` } },
    }));
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'S3NotifiesEncryptedQueues',
      principals: [new ServicePrincipal('s3.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: sourceAccount, ArnLike: { 'aws:SourceArn': `arn:${partition}:s3:::*` } },
    }));
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'LogDeliveryWritesVendedLogs',
      principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: sourceAccount, ArnLike: { 'aws:SourceArn': `arn:${partition}:logs:${region}:${account}:*` } },
    }));
  }
}

function keyId(role: DataKeyRole): string {
  return `${role.charAt(0).toUpperCase()}${role.slice(1)}Key`;
}
