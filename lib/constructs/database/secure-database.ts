/** RDS PostgreSQL for the curated tables: encrypted, TLS-only, IAM auth, isolated, RDS-managed rotating master secret. */
import { ArnFormat, CfnResource, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { IConnectable, InstanceType, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { BackupPlan, BackupPlanRule, BackupVault, CfnBackupSelection } from 'aws-cdk-lib/aws-backup';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Grant, IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import {
  CaCertificate,
  CfnDBInstance,
  Credentials,
  DatabaseInstance,
  DatabaseInstanceEngine,
  ParameterGroup,
  PostgresEngineVersion,
  StorageType,
} from 'aws-cdk-lib/aws-rds';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Classification, policyFor } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { DatasetsConfig, Profile, validateDatasetsConfig, validateProfile } from '../../config';
import { ConfigurationError, describeValue, ProblemCollector } from '../../errors';
import { customResourceServiceTimeout } from '../common/custom-resource';
import { deploymentUniqueName } from '../common/deployment-name';
import { encryptedLogGroup } from '../common/log-group';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { checkInstance } from '../common/prop-checks';
import { applyProfileToRemoval, dataRemovalPolicy, destroyDataAllowed } from '../common/removal';
import { DATA_TIER, tieredSecurityGroup } from '../common/security-group';
import { tagClassification } from '../common/tags';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import { grantSecret } from '../secrets/grant-secret';
import { SecureNetwork } from '../network/secure-network';
import { arnParts, findingArnPattern } from '../common/arn-parts';

export interface SecureDatabaseProps {
  readonly network: SecureNetwork;
  readonly keys: DataKeys;
  readonly profile: Profile;
  /** Database port from 1150 to 65535, not 5432: a non-default port keeps scanners for 5432 away. @default 5433 */
  readonly port?: number;
  /** Name of the database created. @default 'pipeline' */
  readonly databaseName?: string;
  /**
   * Datasets whose tables, masked views, loader login and persona roles a deploy-time custom resource creates
   * (idempotently, on every change of the config). @default no bootstrap
   */
  readonly datasets?: DatasetsConfig;
  /** Schema of the dataset tables. @default 'pipeline' */
  readonly schema?: string;
  /**
   * Most days between master password rotations. RDS manages the master secret and rotates it every
   * {@link MANAGED_ROTATION_DAYS} days; a template cannot change that period, so a value from 7 to 90 is met and has no
   * other effect, and a value below 7 is refused.
   * @deprecated RDS-managed master credentials rotate every 7 days; kept so existing callers still compile.
   * @default 7 (the RDS-managed period)
   */
  readonly rotationDays?: number;
  /**
   * AWS Backup Vault Lock on the backup vault. `GOVERNANCE`: recovery points cannot be deleted or shortened until a
   * principal with `backup:DeleteBackupVaultLockConfiguration` removes the lock. `COMPLIANCE`: the same, but after a
   * 3-day grace the lock is immutable for everyone, root included, and the vault cannot be deleted while it holds
   * recovery points. Refused under the destroy opt-in, whose teardown empties and deletes the vault.
   * @default COMPLIANCE in prod, GOVERNANCE in dev, none under the destroy opt-in
   */
  readonly backupVaultLock?: BackupVaultLockMode;
  /**
   * Settings that are refused when insecure, accepted for JavaScript callers and for clear errors:
   * `publiclyAccessible`, `storageEncrypted`, `forceSsl`, `iamAuthentication`. @default secure values
   */
  readonly publiclyAccessible?: boolean;
  readonly storageEncrypted?: boolean;
  readonly forceSsl?: boolean;
  readonly iamAuthentication?: boolean;
}

export const DEFAULT_DATABASE_PORT = 5433;

/**
 * Days between rotations of the RDS-managed master secret: RDS's default, which a template cannot change
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html).
 */
export const MANAGED_ROTATION_DAYS = 7;

/**
 * The database parameter group (family postgres18). PostgreSQL 18 turned `log_connections` from a boolean into a
 * list of connection stages; `all` logs every stage (receipt, authentication, authorization, setup durations).
 * Every entry but `rds.*` is a PostgreSQL setting, checked against a real PostgreSQL 18 in the tests.
 */
export const DATABASE_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({
  'rds.force_ssl': '1',
  'ssl_min_protocol_version': 'TLSv1.2',
  'password_encryption': 'scram-sha-256',
  'log_connections': 'all',
  'log_disconnections': '1',
  'log_statement': 'ddl',
  'log_min_duration_statement': '1000',
});

/** Longest DB instance identifier RDS accepts (letters, digits and hyphens, a letter first). */
const INSTANCE_IDENTIFIER_MAX_LENGTH = 63;
/** Longest backup vault name AWS Backup accepts (^[a-zA-Z0-9\-\_]{2,50}$). */
const BACKUP_VAULT_NAME_MAX_LENGTH = 50;

export type BackupVaultLockMode = 'GOVERNANCE' | 'COMPLIANCE';
const VAULT_LOCK_MODES: readonly string[] = ['GOVERNANCE', 'COMPLIANCE'];
/** Days AWS Backup keeps each daily recovery point (the plan's rule and the vault lock's minimum). */
export const BACKUP_PLAN_RETENTION_DAYS = 35;
/**
 * Longest retention the locked vault accepts, for on-demand backups (before an upgrade): a point kept longer, or
 * forever, would hold Restricted data past any erasure request, and in COMPLIANCE mode nobody could delete it.
 */
export const MAX_RECOVERY_POINT_RETENTION_DAYS = 365;
/** The shortest grace AWS Backup allows before a COMPLIANCE lock becomes immutable. */
const COMPLIANCE_LOCK_GRACE_DAYS = 3;
const POSTGRES_DEFAULT_PORT = 5432;

/**
 * RDS refuses a DBName that is a word the engine reserves
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, DBName); these are
 * PostgreSQL's reserved key words (https://www.postgresql.org/docs/current/sql-keywords-appendix.html).
 */
const POSTGRES_RESERVED_WORDS: ReadonlySet<string> = new Set([
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'authorization', 'binary', 'both', 'case',
  'cast', 'check', 'collate', 'collation', 'column', 'concurrently', 'constraint', 'create', 'cross', 'current_catalog',
  'current_date', 'current_role', 'current_schema', 'current_time', 'current_timestamp', 'current_user', 'default',
  'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'freeze', 'from',
  'full', 'grant', 'group', 'having', 'ilike', 'in', 'initially', 'inner', 'intersect', 'into', 'is', 'isnull', 'join',
  'lateral', 'leading', 'left', 'like', 'limit', 'localtime', 'localtimestamp', 'natural', 'not', 'notnull', 'null',
  'offset', 'on', 'only', 'or', 'order', 'outer', 'overlaps', 'placing', 'primary', 'references', 'returning', 'right',
  'select', 'session_user', 'similar', 'some', 'symmetric', 'system_user', 'table', 'tablesample', 'then', 'to',
  'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'verbose', 'when', 'where', 'window', 'with',
]);
const MASTER_USER = 'pipeline_admin';

export class SecureDatabase extends Construct {
  public readonly instance: DatabaseInstance;
  /**
   * The master credentials RDS generates, keeps in Secrets Manager under the Restricted key and rotates every 7 days
   * (`{ username, password }` only; host, port and database come from the instance). Its ARN is known at deploy time.
   */
  public readonly secret: ISecret;
  public readonly securityGroup: SecurityGroup;
  public readonly port: number;
  public readonly databaseName: string;
  /** The deploy-time schema bootstrap (undefined without `datasets`). */
  public readonly bootstrap?: CustomResource;
  /** The IAM-authenticated login the load stage uses. */
  public readonly loaderUser = 'pipeline_loader';
  /** Schema of the dataset tables. */
  public readonly schema: string;
  /** AWS Backup plan that copies the instance into a CMK-encrypted vault daily, beside RDS automated backups. */
  public readonly backupPlan: BackupPlan;

  constructor(scope: Construct, id: string, props: SecureDatabaseProps) {
    super(scope, id);
    applyProfileToRemoval(this, props?.profile);
    const problems = new ProblemCollector(`SecureDatabase ${this.node.path}`);
    problems.checkPropsObject(props);
    if (props.datasets !== undefined) problems.collect(() => validateDatasetsConfig(props.datasets, 'datasets'));
    const refuse = (prop: keyof SecureDatabaseProps, insecure: boolean, problem: string) => {
      if (problems.checkBoolean(prop, props[prop]) && props[prop] === insecure) {
        problems.add(prop, problem, `remove ${prop}; the secure setting is enforced`);
      }
    };
    refuse('publiclyAccessible', true, 'would give the database a public address');
    refuse('storageEncrypted', false, 'would store data unencrypted');
    refuse('forceSsl', false, 'would accept connections without TLS');
    refuse('iamAuthentication', false, 'would leave passwords as the only way to connect');
    checkInstance(problems, 'network', props.network, SecureNetwork, 'pass the SecureNetwork of the stack');
    checkInstance(problems, 'keys', props.keys, DataKeys, 'pass the DataKeys of the stack');
    // The instance class is checked against what RDS offers for PostgreSQL 18 here, not at deploy.
    problems.collect(() => validateProfile(props.profile, 'profile'));
    this.port = props.port ?? DEFAULT_DATABASE_PORT;
    if (!Number.isInteger(this.port) || this.port < 1150 || this.port > 65535) {
      problems.add('port', `${describeValue(this.port)} is outside what RDS accepts`, 'use a port from 1150 to 65535');
    } else if (this.port === POSTGRES_DEFAULT_PORT) {
      // AwsSolutions-RDS11 fails a database on its engine's default port.
      problems.add('port', `${POSTGRES_DEFAULT_PORT} is PostgreSQL's default port, which scanners try first and the AwsSolutions pack refuses`,
        `leave it out (${DEFAULT_DATABASE_PORT}) or pick another port from 1150 to 65535`);
    }
    this.databaseName = props.databaseName ?? 'pipeline';
    this.schema = props.schema ?? 'pipeline';
    // The same rules the deploy-time bootstrap applies (lambda/db-bootstrap/sql.ts), so they fail here first.
    if (typeof this.schema !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(this.schema) || ['public', 'information_schema'].includes(this.schema)
      || this.schema.startsWith('pg_')) {
      problems.add('schema', `${describeValue(this.schema)} cannot hold the dataset tables`, 'use lower_snake_case, not public, information_schema or pg_*');
    }
    if (typeof this.databaseName !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(this.databaseName) || POSTGRES_RESERVED_WORDS.has(this.databaseName)) {
      problems.add('databaseName', `${describeValue(this.databaseName)} is not a valid database name`,
        'use lower_snake_case starting with a letter, not a PostgreSQL reserved word');
    }
    const rotationDays = props.rotationDays ?? MANAGED_ROTATION_DAYS;
    if (!Number.isInteger(rotationDays) || rotationDays < 1 || rotationDays > 90) {
      problems.add('rotationDays', `${describeValue(rotationDays)} days between rotations`, 'rotate at least every 90 days, as a whole number of days');
    } else if (rotationDays < MANAGED_ROTATION_DAYS) {
      problems.add('rotationDays', `${rotationDays} days between rotations is shorter than the ${MANAGED_ROTATION_DAYS} days RDS rotates the master secret it manages, which a template cannot change`,
        `leave it out (RDS rotates every ${MANAGED_ROTATION_DAYS} days)`);
    }
    const destroy = destroyDataAllowed(this);
    if (props.backupVaultLock !== undefined && !VAULT_LOCK_MODES.includes(props.backupVaultLock)) {
      problems.add('backupVaultLock', `${describeValue(props.backupVaultLock)} is not a Vault Lock mode`, 'use GOVERNANCE or COMPLIANCE, or leave it out for the profile default');
    } else if (props.backupVaultLock !== undefined && destroy) {
      problems.add('backupVaultLock', 'a locked vault cannot be emptied, so the teardown -c destroyData=true asks for could not complete',
        'leave it out (the destroy opt-in deploys no lock), or deploy without -c destroyData=true');
    }
    problems.throwIfAny();

    const { network, keys, profile } = props;
    const key = keys.keyFor(Classification.RESTRICTED);
    const removalPolicy = dataRemovalPolicy(this, undefined, 'removalPolicy');
    // Physical names carry the stack id's UUID: the instance, its log groups and the vault are retained, and a stack
    // created again after a failed first create (or a deletion) must not meet them with "already exists".
    const base = `${Stack.of(this).stackName}-${id}`;
    // RDS wants a letter first; deploymentUniqueName keeps only [a-z0-9-], collapses and trims hyphens.
    const identifier = deploymentUniqueName(/^[a-z]/i.test(base) ? base : `db-${base}`, INSTANCE_IDENTIFIER_MAX_LENGTH);

    this.securityGroup = tieredSecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: `PostgreSQL ${this.node.path}: no ingress except from granted security groups`,
      tier: DATA_TIER,
    });
    const engine = DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_18 });
    const parameterGroup = new ParameterGroup(this, 'Parameters', {
      engine,
      description: 'TLS forced, connections and slow or DDL statements logged',
      parameters: { ...DATABASE_PARAMETERS },
    });

    // RDS creates /aws/rds/instance/<id>/<log> itself, unencrypted and kept forever, unless the group exists first.
    const retention = policyFor(Classification.RESTRICTED).logRetentionDays;
    const logGroups = ['postgresql', 'upgrade'].map((log) => encryptedLogGroup(this, `${log.charAt(0).toUpperCase()}${log.slice(1)}Logs`, {
      key: keys.audit,
      retentionDays: retention,
      logGroupName: `/aws/rds/instance/${identifier}/${log}`,
    }));

    this.instance = new DatabaseInstance(this, 'Instance', {
      engine,
      instanceIdentifier: identifier,
      instanceType: new InstanceType(profile.databaseInstanceType),
      vpc: network.vpc,
      vpcSubnets: network.dataSubnets,
      securityGroups: [this.securityGroup],
      port: this.port,
      databaseName: this.databaseName,
      // RDS generates the master password, keeps it in Secrets Manager under the Restricted key and rotates it every
      // 7 days itself: no rotation function (whose hosted Python runtime CDK cannot choose) and no route to it.
      credentials: Credentials.fromUsername(MASTER_USER, { encryptionKey: key }),
      manageMasterUserPassword: true,
      storageEncrypted: true,
      storageEncryptionKey: key,
      storageType: StorageType.GP3,
      allocatedStorage: profile.databaseAllocatedStorageGiB,
      maxAllocatedStorage: profile.databaseAllocatedStorageGiB * 4,
      parameterGroup,
      iamAuthentication: true,
      publiclyAccessible: false,
      multiAz: profile.databaseMultiAz,
      autoMinorVersionUpgrade: true,
      backupRetention: Duration.days(profile.backupRetentionDays),
      copyTagsToSnapshot: true,
      deletionProtection: !destroy,
      monitoringInterval: Duration.seconds(60),
      monitoringRole: this.monitoringRole(),
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: key,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      caCertificate: CaCertificate.RDS_CA_RSA2048_G1,
      removalPolicy,
    });
    for (const group of logGroups) this.instance.node.addDependency(group);
    // CDK gives the instance's subnet group DeletionPolicy Delete unless the instance's policy is a plain RETAIN: on stack
    // deletion CloudFormation would try to delete a subnet group the retained instance still uses, and fail. It shares
    // the instance's policy (it has no name of its own, so keeping it never blocks a new stack).
    const subnetGroup = this.instance.node.tryFindChild('SubnetGroup')?.node.defaultChild;
    if (subnetGroup instanceof CfnResource) subnetGroup.applyRemovalPolicy(removalPolicy);
    // The managed secret lives and dies with the instance (RDS deletes it with the instance), so it is retained with it.
    this.secret = this.instance.secret!;
    tagClassification(this.instance, Classification.RESTRICTED);

    const vaultLock = destroy ? undefined : props.backupVaultLock ?? (profile.name === 'prod' ? 'COMPLIANCE' : 'GOVERNANCE');
    this.backupPlan = this.addBackupPlan(key, removalPolicy, vaultLock);
    if (props.datasets) this.bootstrap = this.addBootstrap(props, key);

    const cfn = this.instance.node.defaultChild as CfnDBInstance;
    if (!profile.databaseMultiAz) {
      const reason = `The ${profile.name} profile runs one instance to keep cost down; the prod profile is Multi-AZ and automated backups cover this one`;
      acknowledge(cfn, 'AwsSolutions-RDS3', reason);
      for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) acknowledge(cfn, `${pack}-RDSMultiAZSupport`, reason);
    }
    if (destroy) {
      const reason = 'Deletion protection is off only under the app-level teardown opt-in (-c profile=dev -c destroyData=true), so that cdk destroy can delete this dev database; every other synth keeps it on';
      for (const rule of ['AwsSolutions-RDS10', 'HIPAA.Security-RDSInstanceDeletionProtectionEnabled', 'NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled']) {
        acknowledge(cfn, rule, reason);
      }
    }
  }

  /**
   * Runs lambda/db-bootstrap at deploy time from the isolated compute tier: it reads the master secret and connects
   * with TLS verify-full. Delete does nothing: tables outlive the resource.
   */
  private addBootstrap(props: SecureDatabaseProps, key: IKey): CustomResource {
    const fn = new PipelineFunction(this, 'Bootstrap', {
      builtInHandler: 'db-bootstrap',
      classification: Classification.RESTRICTED,
      network: props.network,
      keys: props.keys,
      profile: props.profile,
      timeout: Duration.minutes(5),
      memorySize: 512,
      concurrencyBound: { by: 'custom-resource' },
      // Fn::GetAtt <instance>.MasterUserSecret.SecretArn: the secret RDS created for this instance.
      environment: { DB_SECRET_ARN: this.secret.secretArn },
      description: `Creates the schema, tables and roles of ${this.node.path}`,
    });
    // GetSecretValue on that one secret, and kms:Decrypt on the Restricted key through Secrets Manager only.
    grantSecret(this, this.secret, key, fn, ['secretsmanager:GetSecretValue']);
    this.securityGroup.connections.allowFrom(fn, Port.tcp(this.port), 'Schema bootstrap');
    const resource = new CustomResource(this, 'Schema', {
      serviceToken: fn.functionArn,
      serviceTimeout: customResourceServiceTimeout(fn.function.timeout!),
      resourceType: 'Custom::PipelineSchema',
      // The managed secret holds the user name and password only: what to connect to comes from here. A replaced
      // instance changes Host, so the bootstrap runs again on the new one.
      properties: {
        Datasets: JSON.stringify(props.datasets), Schema: this.schema, LoaderUser: this.loaderUser,
        Database: this.databaseName, Host: this.instance.dbInstanceEndpointAddress, Port: String(this.port),
      },
    });
    resource.node.addDependency(this.instance, fn.role.policy);
    return resource;
  }

  /**
   * Enhanced monitoring publishes OS metrics to the RDSOSMetrics log group. A customer-managed policy scoped to that
   * group replaces the AWS-managed AmazonRDSEnhancedMonitoringRole.
   */
  private monitoringRole(): ManagedPolicyRole {
    const { partition, region, account } = arnParts(this);
    const role = new ManagedPolicyRole(this, 'MonitoringRole', {
      assumedBy: new ServicePrincipal('monitoring.rds.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': account } }),
      description: 'RDS enhanced monitoring: OS metrics to the RDSOSMetrics log group only',
    });
    const group = `arn:${partition}:logs:${region}:${account}:log-group:RDSOSMetrics`;
    acknowledge(role.policy, findingArnPattern(this, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:RDSOSMetrics:log-stream:*]'),
      'RDS names each OS-metrics stream after the DbiResourceId of the instance, which exists only after this role; the grant stays inside the one RDSOSMetrics group');
    role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
      resources: [group, `${group}:log-stream:*`],
    }));
    return role;
  }

  /**
   * A daily AWS Backup of the instance into a vault under the Restricted key, with its own least-privilege role.
   * With `lock`, the vault refuses to delete or shorten recovery points: Vault Lock (the minimum is the plan's own
   * retention) and an access policy denying DeleteRecoveryPoint and UpdateRecoveryPointLifecycle to every principal.
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html
   */
  private addBackupPlan(key: IKey, removalPolicy: RemovalPolicy, lock: BackupVaultLockMode | undefined): BackupPlan {
    const { partition, region, account } = arnParts(this);
    const backupSnapshots = `arn:${partition}:rds:${region}:${account}:snapshot:awsbackup:*`;
    const vault = new BackupVault(this, 'BackupVault', {
      // Without a name CDK derives a fixed one from the construct path, which a retained vault would block.
      backupVaultName: deploymentUniqueName(`${Stack.of(this).stackName}-${this.node.id}-backup`, BACKUP_VAULT_NAME_MAX_LENGTH),
      encryptionKey: key,
      removalPolicy,
      ...(lock ? {
        // The access policy itself stays changeable: denying PutBackupVaultAccessPolicy to everyone would lock out
        // CloudFormation too, and no template could ever lift the deny again.
        blockRecoveryPointDeletion: true,
        lockConfiguration: {
          minRetention: Duration.days(BACKUP_PLAN_RETENTION_DAYS),
          maxRetention: Duration.days(MAX_RECOVERY_POINT_RETENTION_DAYS),
          // A grace period is what makes the lock COMPLIANCE mode; without one it stays GOVERNANCE.
          ...(lock === 'COMPLIANCE' ? { changeableFor: Duration.days(COMPLIANCE_LOCK_GRACE_DAYS) } : {}),
        },
      } : {}),
    });
    const plan = new BackupPlan(this, 'BackupPlan', {
      backupVault: vault,
      backupPlanRules: [new BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: Schedule.cron({ minute: '0', hour: '3' }),
        deleteAfter: Duration.days(BACKUP_PLAN_RETENTION_DAYS),
        startWindow: Duration.hours(1),
        completionWindow: Duration.hours(4),
      })],
    });
    const role = new ManagedPolicyRole(this, 'BackupRole', {
      assumedBy: new ServicePrincipal('backup.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': account } }),
      description: 'AWS Backup: snapshots of this database instance only',
    });
    role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['rds:CreateDBSnapshot', 'rds:DescribeDBInstances', 'rds:ListTagsForResource', 'rds:AddTagsToResource'],
      resources: [this.instance.instanceArn, backupSnapshots],
    }));
    role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['rds:DescribeDBSnapshots', 'rds:DeleteDBSnapshot', 'rds:CopyDBSnapshot'],
      resources: [backupSnapshots],
    }));
    key.grant(role, 'kms:CreateGrant', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledge(role.policy, findingArnPattern(this, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:snapshot:awsbackup:*]'),
      'AWS Backup names each snapshot awsbackup:job-<id> when the job runs; the grant is limited to snapshots AWS Backup creates in this account and region');
    // CfnBackupSelection, not plan.addSelection(): the L2 attaches the AWS-managed backup policy to any role it is given.
    new CfnBackupSelection(this, 'BackupSelection', {
      backupPlanId: plan.backupPlanId,
      backupSelection: { selectionName: 'Instance', iamRoleArn: role.roleArn, resources: [this.instance.instanceArn] },
    });
    return plan;
  }

  /** Endpoint host, port and database, for clients. */
  public get endpoint(): { host: string; port: number; database: string } {
    return { host: this.instance.dbInstanceEndpointAddress, port: this.port, database: this.databaseName };
  }

  /** `arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`: what IAM database auth checks. */
  public dbUserArn(dbUser: string): string {
    return Stack.of(this).formatArn({
      service: 'rds-db',
      resource: 'dbuser',
      resourceName: `${this.instance.instanceResourceId}/${dbUser}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Lets `grantee` connect as `dbUser` with an IAM token (`rds-db:connect` on that user only) and, when it has
   * security groups, opens the database port to them.
   */
  public grantConnect(grantee: IGrantable & Partial<IConnectable>, dbUser: string): Grant {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbUser)) {
      throw new ConfigurationError(`SecureDatabase ${this.node.path}`, [{
        path: 'grantConnect.dbUser', problem: `"${dbUser}" is not a valid PostgreSQL user name`, fix: 'use lower_snake_case, e.g. pipeline_loader',
      }]);
    }
    if (grantee.connections) {
      this.securityGroup.connections.allowFrom(grantee.connections, Port.tcp(this.port), `Connects as ${dbUser}`);
    }
    return Grant.addToPrincipal({ grantee, actions: ['rds-db:connect'], resourceArns: [this.dbUserArn(dbUser)] });
  }
}
