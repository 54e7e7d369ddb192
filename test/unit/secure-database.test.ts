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
  BACKUP_PLAN_RETENTION_DAYS, MAX_RECOVERY_POINT_RETENTION_DAYS, SecureDatabase, SecureDatabaseProps,
} from '../../lib/constructs/database/secure-database';
import { EXAMPLE_DATASETS, testStack } from '../helpers/app';

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
    expect(Object.values(template.findResources('AWS::RDS::DBInstance'))[0]).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  test('parameter group forces TLS 1.2+ and logs connections and statements', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres18',
      Parameters: Match.objectLike({
        'rds.force_ssl': '1', ssl_min_protocol_version: 'TLSv1.2', log_connections: '1', log_disconnections: '1', log_statement: 'ddl', log_min_duration_statement: '1000',
      }),
    });
  });

  test('log exports land in KMS-encrypted log groups with retention, created before the instance', () => {
    for (const log of ['postgresql', 'upgrade']) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: Match.stringLikeRegexp(`^/aws/rds/instance/teststack-database/${log}$`),
        KmsKeyId: Match.anyValue(),
        RetentionInDays: 731,
      });
    }
    const instance = Object.values(template.findResources('AWS::RDS::DBInstance'))[0]!;
    expect((instance.DependsOn as string[]).filter((d) => /Logs/.test(d))).toHaveLength(2);
  });

  test('master secret: generated, under the Restricted CMK, rotated every 30 days by a hosted function in isolated subnets', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: restrictedKey,
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"pipeline_admin"}' }),
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      HostedRotationLambda: Match.objectLike({
        RotationType: 'PostgreSQLSingleUser',
        VpcSecurityGroupIds: Match.anyValue(),
        VpcSubnetIds: Match.anyValue(),
      }),
    });
    const rotation = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'))[0]!;
    expect(JSON.stringify(rotation.Properties.HostedRotationLambda.VpcSubnetIds)).toMatch(/compute/);
  });

  test('security groups: ingress only from the rotation function and granted functions; rotation reaches DB and endpoints only', () => {
    const dbSgId = stack.getLogicalId(db.securityGroup.node.defaultChild as never);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(dbSgId));
    expect(ingress).toHaveLength(2);
    for (const r of ingress) {
      expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 5433, ToPort: 5433, SourceSecurityGroupId: expect.anything() });
      expect(r.Properties.CidrIp).toBeUndefined();
    }
    // Its rules are separate resources: the inline "disallow all" rule keeps CloudFormation from adding allow-all.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Hosted rotation'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' })],
    });
    const rotationSgId = stack.getLogicalId(db.rotationSecurityGroup.node.defaultChild as never);
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(rotationSgId)).map((r) => r.Properties.FromPort).sort();
    expect(egress).toEqual([443, 5433]);
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

  test('with datasets, a deploy-time bootstrap reads the master secret and reaches the database port only', () => {
    const datasets = loadDatasetsConfig(EXAMPLE_DATASETS);
    const b = build('dev', { datasets });
    const t = Template.fromStack(b.stack);
    const lid = (c: unknown) => b.stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);
    t.hasResourceProperties('Custom::PipelineSchema', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseBootstrapFunction'), 'Arn'] },
      Datasets: JSON.stringify(datasets),
      Schema: 'pipeline',
      LoaderUser: 'pipeline_loader',
    });
    const fn = Object.entries(t.findResources('AWS::Lambda::Function')).find(([k]) => k.startsWith('DatabaseBootstrapFunction'))![1];
    expect(fn.Properties.Environment.Variables.DB_SECRET_ARN).toEqual({ Ref: lid(b.db.secret) });
    expect(fn.Properties.Timeout).toBe(300);
    const policies = JSON.stringify(Object.values(t.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.PolicyDocument));
    expect(policies).toContain('secretsmanager:GetSecretValue');
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
    const stateful = ['AWS::RDS::DBInstance', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup', 'AWS::Backup::BackupVault']
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

  test.each([['dev', dev], ['prod', prod]] as const)('%s: instance, master secret, RDS log groups and vault are retained, deletion protection on, nothing acknowledged', (_, s) => {
    expect(s.stateful).toHaveLength(5);
    expect(s.stateful.filter((r) => r.DeletionPolicy !== 'Retain' || r.UpdateReplacePolicy !== 'Retain').map((r) => r.Type)).toEqual([]);
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

    test('instance, master secret, RDS log groups and vault are deleted with the stack', () => {
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
    expect(s.stateful.filter((r) => r.DeletionPolicy !== 'Retain').map((r) => r.Type)).toEqual([]);
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
