import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { listAcknowledgements } from '../../lib/compliance';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import {
  BACKUP_PLAN_RETENTION_DAYS, MANAGED_ROTATION_DAYS, MAX_RECOVERY_POINT_RETENTION_DAYS, SecureDatabase, SecureDatabaseProps,
} from '../../lib/constructs/database/secure-database';
import { EXAMPLE_DATASETS, testApp, testStack } from '../helpers/app';

function build(profileName = 'dev', extra: Partial<SecureDatabaseProps> = {}, context: Record<string, unknown> = {}) {
  const stack = testStack(context);
  const keys = new DataKeys(stack, 'Keys');
  const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, s3PrefixListId: 'pl-6da54004' });
  const db = new SecureDatabase(stack, 'Database', { network, keys, profile: resolveProfile(profileName), ...extra });
  return { stack, keys, network, db };
}

describe('SecureDatabase', () => {
  const { stack, keys, db } = build();
  const loader = new LambdaFunction(stack, 'Loader', {
    runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x'), vpc: (stack.node.findChild('Net') as SecureNetwork).vpc,
  });
  db.grantConnect(loader, 'pipeline_loader');
  const template = Template.fromStack(stack);
  const restrictedKey = { 'Fn::GetAtt': [stack.getLogicalId(keys.restricted.node.defaultChild as never), 'Arn'] };

  test('PostgreSQL 18, encrypted with the Restricted CMK, IAM auth, private, in the data subnets', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^18'),
      StorageEncrypted: true,
      KmsKeyId: restrictedKey,
      EnableIAMDatabaseAuthentication: true,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      MultiAZ: false,
      Port: '5433',
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: restrictedKey,
      MonitoringInterval: 60,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      Tags: Match.arrayWith([{ Key: 'data-classification', Value: 'Restricted' }]),
    });
    const subnetGroup = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0]!;
    const subnetIds = JSON.stringify(subnetGroup.Properties.SubnetIds);
    expect(subnetIds).toMatch(/dataSubnet/);
    expect(subnetIds).not.toMatch(/compute/);
    expect(Object.values(template.findResources('AWS::RDS::DBInstance'))[0]).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate' });
  });

  test('parameter group forces TLS 1.2+ and logs connections (a PostgreSQL 18 list value) and statements', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres18',
      Parameters: Match.objectLike({
        'rds.force_ssl': '1', ssl_min_protocol_version: 'TLSv1.2', log_connections: 'all', log_disconnections: '1', log_statement: 'ddl', log_min_duration_statement: '1000',
      }),
    });
  });

  /** `<base>-<first 8 hex digits of the stack id's UUID>`, as deploymentUniqueName renders it. */
  const uniqueName = (base: string) => ({ 'Fn::Join': ['-', [base, {
    'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }],
  }]] });

  test('instance identifier and backup vault name are unique per deployment, so a retained one never blocks a retry', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: uniqueName('teststack-database') });
    template.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: uniqueName('teststack-database-backup') });
  });

  test('a long stack name is cut to what RDS (63) and AWS Backup (50) accept, ending in a letter or digit before the suffix', () => {
    const stack2 = new Stack(testApp({}), 'A-very-long-stack-name-that-goes-on-and-on-and-on-for-the-sake-of-the-test');
    const keys2 = new DataKeys(stack2, 'Keys');
    const network2 = new SecureNetwork(stack2, 'Net', { logKey: keys2.audit, flowLogRetentionDays: 90 });
    new SecureDatabase(stack2, 'Database', { network: network2, keys: keys2, profile: resolveProfile('dev') });
    const t = Template.fromStack(stack2).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const base = (type: string, prop: string) => {
      const r = Object.values(t).find((x) => x.Type === type)!;
      return ((r.Properties[prop] as { 'Fn::Join': [string, [string, unknown]] })['Fn::Join'][1][0]);
    };
    const instanceBase = base('AWS::RDS::DBInstance', 'DBInstanceIdentifier');
    const vaultBase = base('AWS::Backup::BackupVault', 'BackupVaultName');
    expect(instanceBase.length + 9).toBeLessThanOrEqual(63);
    expect(vaultBase.length + 9).toBeLessThanOrEqual(50);
    expect(instanceBase).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
    expect(instanceBase).not.toMatch(/--/);
    expect(vaultBase).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  test('log exports land in KMS-encrypted log groups with retention, named after the unique identifier, created before the instance', () => {
    const instanceId = stack.getLogicalId(db.instance.node.defaultChild as never);
    for (const log of ['postgresql', 'upgrade']) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: { 'Fn::Join': ['', ['/aws/rds/instance/', uniqueName('teststack-database'), `/${log}`]] },
        KmsKeyId: Match.anyValue(),
        RetentionInDays: 731,
      });
    }
    // The group RDS writes to is the one of this instance: same identifier expression on both sides.
    const instance = template.toJSON().Resources[instanceId];
    expect(instance.Properties.DBInstanceIdentifier).toEqual(uniqueName('teststack-database'));
    expect((instance.DependsOn as string[]).filter((d) => /Logs/.test(d))).toHaveLength(2);
  });

  test('master credentials: managed by RDS, the secret under the Restricted CMK; no generated secret, rotation function or SAM transform', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      MasterUsername: 'pipeline_admin',
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: restrictedKey },
    });
    const instance = Object.values(template.findResources('AWS::RDS::DBInstance'))[0]!;
    expect(instance.Properties).not.toHaveProperty('MasterUserPassword');
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    template.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 0);
    template.resourceCountIs('AWS::Serverless::Application', 0);
    expect(template.toJSON().Transform).toBeUndefined();
    expect(stack.resolve(db.secret.secretArn)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(db.instance.node.defaultChild as never), 'MasterUserSecret.SecretArn'] });
    expect(MANAGED_ROTATION_DAYS).toBe(7);
  });

  test('security groups: ingress only from granted functions, on the database port, from named groups', () => {
    const dbSgId = stack.getLogicalId(db.securityGroup.node.defaultChild as never);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(dbSgId));
    // The loader granted above; nothing for a rotation function any more.
    expect(ingress).toHaveLength(1);
    for (const r of ingress) {
      expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 5433, ToPort: 5433, SourceSecurityGroupId: expect.anything() });
      expect(r.Properties.CidrIp).toBeUndefined();
    }
    expect(JSON.stringify(template.findResources('AWS::EC2::SecurityGroup'))).not.toMatch(/rotation/i);
  });

  test('grantConnect names the exact rds-db:connect ARN of the user', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statement = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).find((s) => s.Action === 'rds-db:connect');
    const instanceId = stack.getLogicalId(db.instance.node.defaultChild as never);
    expect(statement.Resource).toEqual({ 'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':rds-db:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':dbuser:',
      { 'Fn::GetAtt': [instanceId, 'DbiResourceId'] }, '/pipeline_loader',
    ]] });
    expect(() => db.grantConnect(new Role(stack, 'R', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }), 'Bad-User'))
      .toThrow(/grantConnect\.dbUser: "Bad-User" is not a valid PostgreSQL user name/);
  });

  test('an AWS Backup plan copies the instance daily into a CMK-encrypted vault with a least-privilege role', () => {
    template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: restrictedKey });
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: { SelectionName: 'Instance', IamRoleArn: Match.anyValue(), Resources: [Match.anyValue()] },
    });
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(JSON.stringify(roles)).not.toContain('AWSBackupServiceRolePolicy');
    expect(JSON.stringify(roles)).not.toContain('AmazonRDSEnhancedMonitoringRole');
  });

  test('without datasets there is no bootstrap', () => {
    expect(db.bootstrap).toBeUndefined();
    template.resourceCountIs('Custom::PipelineSchema', 0);
  });

  test('with datasets, a deploy-time bootstrap reads the managed master secret, connects to the named database and reaches the database port only', () => {
    const datasets = loadDatasetsConfig(EXAMPLE_DATASETS);
    const b = build('dev', { datasets });
    const t = Template.fromStack(b.stack);
    const lid = (c: unknown) => b.stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);
    t.hasResourceProperties('Custom::PipelineSchema', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseBootstrapFunction'), 'Arn'] },
      Datasets: JSON.stringify(datasets),
      Schema: 'pipeline',
      LoaderUser: 'pipeline_loader',
      // Named explicitly: the managed secret carries no database, and the loader connects to this one.
      Database: 'pipeline',
      Host: { 'Fn::GetAtt': [lid(b.db.instance), 'Endpoint.Address'] },
      Port: '5433',
    });
    const fn = Object.entries(t.findResources('AWS::Lambda::Function')).find(([k]) => k.startsWith('DatabaseBootstrapFunction'))![1];
    const secretArn = { 'Fn::GetAtt': [lid(b.db.instance), 'MasterUserSecret.SecretArn'] };
    expect(fn.Properties.Environment.Variables.DB_SECRET_ARN).toEqual(secretArn);
    expect(fn.Properties.Timeout).toBe(300);
    const statements = Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
      .filter((p) => /Database\/Bootstrap\/Role$/.test(p.Properties.Description))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown; Condition?: unknown }>);
    const onSecret = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(onSecret).toEqual([expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: secretArn })]);
    const viaSecretsManager = statements.filter((s) => JSON.stringify(s.Condition ?? {}).includes('secretsmanager.'));
    expect(viaSecretsManager).toEqual([expect.objectContaining({
      Resource: { 'Fn::GetAtt': [b.stack.getLogicalId(b.keys.restricted.node.defaultChild as never), 'Arn'] },
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
    })]);
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(lid(b.db.securityGroup)));
    expect(ingress).toEqual(expect.arrayContaining([expect.objectContaining({
      FromPort: 5433, ToPort: 5433, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseBootstrapSecurityGroup/), 'GroupId'] },
    })]));
    const resource = Object.values(t.findResources('Custom::PipelineSchema'))[0]!;
    expect(resource.DependsOn).toEqual(expect.arrayContaining([lid(b.db.instance)]));
  });

  test('prod is Multi-AZ with 35-day backups', () => {
    const t = Template.fromStack(build('prod').stack);
    t.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, BackupRetentionPeriod: 35, DeletionProtection: true });
  });

  test('insecure props are refused together', () => {
    expect(() => build('dev', { publiclyAccessible: true, storageEncrypted: false, forceSsl: false, iamAuthentication: false, port: 80, rotationDays: 365 }))
      .toThrow(/6 problems[\s\S]*publiclyAccessible[\s\S]*storageEncrypted[\s\S]*forceSsl[\s\S]*iamAuthentication[\s\S]*port[\s\S]*rotationDays/);
  });

  test('rotationDays: a period RDS-managed rotation meets is accepted, a shorter one is refused naming the 7 days', () => {
    expect(() => build('dev', { rotationDays: 30 })).not.toThrow();
    expect(() => build('dev', { rotationDays: 3 }))
      .toThrow(/rotationDays: 3 days between rotations is shorter than the 7 days RDS rotates the master secret it manages[\s\S]*leave it out/);
  });

  test('deletion protection lifts only with the double opt-in', () => {
    const t = Template.fromStack(build('dev', {}, { profile: 'dev', destroyData: 'true' }).stack);
    t.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: false });
    expect(Stack.isStack(stack)).toBe(true);
  });

  test('the default PostgreSQL port, an instance class RDS does not offer for PostgreSQL 18 and truthy non-booleans are refused', () => {
    // Each synthesized before: 5432 failed AwsSolutions-RDS11 at synth, db.t3.micro failed at deploy, and
    // `publiclyAccessible: 'yes'` passed an `=== true` check.
    const attempt = (extra: Record<string, unknown>, profile = resolveProfile('dev')) => {
      const stack = testStack();
      const keys = new DataKeys(stack, 'Keys');
      const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90 });
      return () => new SecureDatabase(stack, 'Database', { network, keys, profile, ...extra });
    };
    expect(attempt({ port: 5432 })).toThrow(/port: 5432 is PostgreSQL's default port/);
    expect(attempt({}, { ...resolveProfile('dev'), databaseInstanceType: 't3.micro' }))
      .toThrow(/profile\.databaseInstanceType: is not an instance class RDS offers for PostgreSQL 18/);
    expect(attempt({ publiclyAccessible: 'yes', storageEncrypted: 0, schema: ['pipeline'] }))
      .toThrow(/3 problems[\s\S]*publiclyAccessible: "yes" is not a boolean[\s\S]*storageEncrypted: 0 is not a boolean[\s\S]*schema: \["pipeline"\] cannot hold/);
  });

  test('a datasets config built in code is validated like one loaded from a file', () => {
    const config = loadDatasetsConfig(EXAMPLE_DATASETS);
    const [first, ...rest] = config.datasets;
    const careless = { datasets: [{ ...first!, source: { ...first!.source, url: 'http://admin:pw@api.example.com/x?api_key=1' } }, ...rest] };
    expect(() => build('dev', { datasets: careless }))
      .toThrow(/SecureDatabase TestStack\/Database: 3 problems[\s\S]*datasets\[0\] "weather_observations"\.source\.url: uses http, not HTTPS[\s\S]*contains credentials[\s\S]*"api_key" looks like a credential/);
  });
});

describe('SecureDatabase backups and removal', () => {
  type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
  const DESTROY = { profile: 'dev', destroyData: 'true' };
  function synth(profileName: string, extra: Partial<SecureDatabaseProps> = {}, context: Record<string, unknown> = {}) {
    const b = build(profileName, extra, context);
    const resources = Template.fromStack(b.stack).toJSON().Resources as Record<string, Resource>;
    const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
    const vault = ofType('AWS::Backup::BackupVault')[0]!;
    const stateful = ['AWS::RDS::DBInstance', 'AWS::RDS::DBSubnetGroup', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup', 'AWS::Backup::BackupVault']
      .flatMap((t) => ofType(t)).filter((r) => r.Type !== 'AWS::Logs::LogGroup' || String(JSON.stringify(r.Properties.LogGroupName)).includes('/aws/rds/'));
    const deletionProtectionAcks = listAcknowledgements(b.stack).filter((a) => /RDS10|DeletionProtection/.test(a.id));
    return { ...b, resources, ofType, vault, stateful, deletionProtectionAcks };
  }
  const dev = synth('dev');
  const prod = synth('prod');
  const destroy = synth('dev', {}, DESTROY);
  const denyRecoveryPointDeletion = {
    Effect: 'Deny', Principal: { AWS: '*' }, Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'], Resource: '*',
  };

  test('dev: a GOVERNANCE vault lock (no grace period) from the plan retention up to a year', () => {
    expect(dev.vault.Properties.LockConfiguration).toEqual({ MinRetentionDays: BACKUP_PLAN_RETENTION_DAYS, MaxRetentionDays: MAX_RECOVERY_POINT_RETENTION_DAYS });
  });

  test('prod: a COMPLIANCE vault lock, immutable after the 3-day grace', () => {
    expect(prod.vault.Properties.LockConfiguration).toEqual({
      MinRetentionDays: BACKUP_PLAN_RETENTION_DAYS, MaxRetentionDays: MAX_RECOVERY_POINT_RETENTION_DAYS, ChangeableForDays: 3,
    });
  });

  test('the lock minimum is what the plan keeps each daily recovery point', () => {
    Template.fromStack(prod.stack).hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: [Match.objectLike({ Lifecycle: { DeleteAfterDays: BACKUP_PLAN_RETENTION_DAYS } })] },
    });
  });

  test.each([['dev', dev], ['prod', prod]] as const)('%s: every principal is denied deleting recovery points or shortening their lifecycle', (_, s) => {
    expect(s.vault.Properties.AccessPolicy).toEqual({ Version: '2012-10-17', Statement: [denyRecoveryPointDeletion] });
  });

  test.each([['dev', dev], ['prod', prod]] as const)('%s: instance (and with it the secret RDS manages), its subnet group, RDS log groups and vault are retained except on a failed create, deletion protection on, nothing acknowledged', (_, s) => {
    // The subnet group too: the retained instance still uses it, so deleting it with the stack would fail.
    expect(s.stateful).toHaveLength(5);
    expect(s.stateful.filter((r) => r.DeletionPolicy !== 'RetainExceptOnCreate' || r.UpdateReplacePolicy !== 'Retain').map((r) => r.Type)).toEqual([]);
    expect(s.ofType('AWS::RDS::DBInstance')[0]!.Properties.DeletionProtection).toBe(true);
    expect(s.deletionProtectionAcks).toEqual([]);
  });

  test('a team may choose GOVERNANCE for prod', () => {
    expect(synth('prod', { backupVaultLock: 'GOVERNANCE' }).vault.Properties.LockConfiguration).not.toHaveProperty('ChangeableForDays');
  });

  describe('under the double opt-in (-c profile=dev -c destroyData=true)', () => {
    test('no vault lock and no access policy, so the teardown can empty and delete the vault', () => {
      expect(destroy.vault.Properties).not.toHaveProperty('LockConfiguration');
      expect(destroy.vault.Properties).not.toHaveProperty('AccessPolicy');
    });

    test('instance, subnet group, RDS log groups and vault are deleted with the stack (RDS deletes the secret it manages with the instance)', () => {
      expect(destroy.stateful).toHaveLength(5);
      expect(destroy.stateful.filter((r) => (r.DeletionPolicy ?? 'Delete') !== 'Delete').map((r) => r.Type)).toEqual([]);
    });

    test('deletion protection is off and acknowledged, for the three rules that require it, on the instance alone', () => {
      expect(destroy.ofType('AWS::RDS::DBInstance')[0]!.Properties.DeletionProtection).toBe(false);
      const instancePath = destroy.db.instance.node.defaultChild!.node.path;
      expect(destroy.deletionProtectionAcks.map((a) => [a.id, a.path])).toEqual([
        ['AwsSolutions::AwsSolutions-RDS10', instancePath],
        ['HIPAA.Security::HIPAA.Security-RDSInstanceDeletionProtectionEnabled', instancePath],
        ['NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled', instancePath],
      ]);
      for (const a of destroy.deletionProtectionAcks) expect(a.reason).toMatch(/-c profile=dev -c destroyData=true/);
    });
  });

  test('a prod database under -c destroyData=true without -c profile=prod keeps everything: the profile vetoes the opt-in', () => {
    const s = synth('prod', {}, { destroyData: 'true' });
    expect(s.stateful.filter((r) => r.DeletionPolicy !== 'RetainExceptOnCreate').map((r) => r.Type)).toEqual([]);
    expect(s.ofType('AWS::RDS::DBInstance')[0]!.Properties.DeletionProtection).toBe(true);
    expect(s.vault.Properties.LockConfiguration).toHaveProperty('ChangeableForDays', 3);
  });

  test('backupVaultLock: a value that is no mode, and any lock under the destroy opt-in, are refused', () => {
    const refused = (extra: Partial<SecureDatabaseProps>, context: Record<string, unknown> = {}) => {
      try {
        build('dev', extra, context);
      } catch (e) {
        if (e instanceof ConfigurationError) return e.problems;
        throw e;
      }
      throw new Error('expected a ConfigurationError');
    };
    expect(refused({ backupVaultLock: 'LEGAL_HOLD' as never })).toEqual([expect.objectContaining({ path: 'backupVaultLock', problem: expect.stringMatching(/not a Vault Lock mode/) })]);
    expect(refused({ backupVaultLock: 'GOVERNANCE' }, DESTROY)).toEqual([expect.objectContaining({ path: 'backupVaultLock', problem: expect.stringMatching(/teardown/) })]);
  });
});
