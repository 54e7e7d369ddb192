import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CfnTrail } from 'aws-cdk-lib/aws-cloudtrail';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Classification } from '../../lib/classification';
import { resolveProfile } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { AuditTrail, AuditTrailProps } from '../../lib/constructs/audit/audit-trail';
import { SECURITY_ALARM_NAMES, SECURITY_ALARMS } from '../../lib/constructs/audit/security-alarms';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { AccessLogBucket } from '../../lib/constructs/storage/access-log-bucket';
import { SecureBucket } from '../../lib/constructs/storage/secure-bucket';
import { matchesFilterPattern } from '../helpers/filter-pattern';
import { testStack } from '../helpers/app';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: Record<string, unknown> };

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:ingest';

function setup(profileName = 'dev', context: Record<string, unknown> = {}) {
  const stack = testStack(context);
  const keys = new DataKeys(stack, 'Keys');
  const logs = new AccessLogBucket(stack, 'AccessLogs');
  const topic = new Topic(stack, 'Alerts', { masterKey: keys.audit });
  const profile = resolveProfile(profileName);
  return { stack, keys, logs, topic, profile };
}

function build(profileName = 'dev', extra: Partial<AuditTrailProps> = {}, context: Record<string, unknown> = {}) {
  const { stack, keys, logs, topic, profile } = setup(profileName, context);
  const curated = new SecureBucket(stack, 'Curated', { classification: Classification.RESTRICTED, keys, accessLogBucket: logs });
  const ingest = LambdaFunction.fromFunctionArn(stack, 'Ingest', FUNCTION_ARN);
  const audit = new AuditTrail(stack, 'Audit', {
    keys, accessLogBucket: logs, profile, alarmTopic: topic, dataEventBuckets: [curated.bucket], dataEventFunctions: [ingest], ...extra,
  });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  return { stack, keys, logs, topic, curated, audit, template, resources, id };
}

function ofType(resources: Record<string, Resource>, type: string): Array<[string, Resource]> {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

const TRAIL_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':trail/TestStack-Audit']] };

describe('AuditTrail creating a trail (dev)', () => {
  const { stack, keys, topic, curated, audit, template, resources, id } = build('dev');
  const auditKeyArn = { 'Fn::GetAtt': [id(keys.audit as Key), 'Arn'] };
  const [[trailId, trail]] = ofType(resources, 'AWS::CloudTrail::Trail') as [[string, Resource]];

  test('multi-region, global service events, file validation, encrypted with the audit key, to the trail bucket and log group', () => {
    expect(trail.Properties).toMatchObject({
      TrailName: 'TestStack-Audit',
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: auditKeyArn,
      S3BucketName: { Ref: id(audit.trailBucket!.bucket) },
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [id(audit.logGroup as LogGroup), 'Arn'] },
      CloudWatchLogsRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^AuditLogsRole/), 'Arn'] },
    });
    expect(stack.resolve(audit.trailArn)).toEqual({ 'Fn::GetAtt': [trailId, 'Arn'] });
  });

  test('records all management events and data events of the given buckets and functions', () => {
    expect(trail.Properties.EventSelectors).toEqual([{
      IncludeManagementEvents: true,
      ReadWriteType: 'All',
      DataResources: [
        { Type: 'AWS::S3::Object', Values: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(curated.bucket), 'Arn'] }, '/']] }] },
        { Type: 'AWS::Lambda::Function', Values: [FUNCTION_ARN] },
      ],
    }]);
  });

  test('no Insights in dev', () => {
    expect(trail.Properties.InsightSelectors).toBeUndefined();
  });

  test('the trail waits for its bucket policy and its delivery role policy', () => {
    const bucketPolicyId = ofType(resources, 'AWS::S3::BucketPolicy')
      .find(([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: id(audit.trailBucket!.bucket) }))![0];
    expect(trail.DependsOn).toEqual(expect.arrayContaining([bucketPolicyId, expect.stringMatching(/^AuditLogsRolePolicy/)]));
  });

  test('the trail bucket is a Restricted SecureBucket under the audit key, retained, expiring files after a year', () => {
    const bucket = resources[id(audit.trailBucket!.bucket)]!;
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: auditKeyArn } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      Tags: expect.arrayContaining([{ Key: 'data-classification', Value: 'Restricted' }]),
    });
    expect((bucket.Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules).toContainEqual({ Id: 'ExpireTrailFiles', ExpirationInDays: 365, Status: 'Enabled' });
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(audit.trailBucket!.classification).toBe(Classification.RESTRICTED);
    expect(audit.trailBucket!.encryptionKey).toBe(keys.audit);
  });

  test('the trail bucket admits CloudTrail for this trail only, and keeps refusing uploads under another key', () => {
    const policy = ofType(resources, 'AWS::S3::BucketPolicy')
      .find(([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: id(audit.trailBucket!.bucket) }))![1];
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    const bucketArn = { 'Fn::GetAtt': [id(audit.trailBucket!.bucket), 'Arn'] };
    expect(bySid.CloudTrailChecksBucketAcl).toEqual({
      Sid: 'CloudTrailChecksBucketAcl', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl', Resource: bucketArn, Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN } },
    });
    expect(bySid.CloudTrailWritesLogFiles).toEqual({
      Sid: 'CloudTrailWritesLogFiles', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [bucketArn, '/AWSLogs/', { Ref: 'AWS::AccountId' }, '/*']] },
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL_ARN } },
    });
    // CloudTrail writes with the audit key, which is this bucket's key: the deny on other keys stays in force.
    expect(bySid.DenyPutWithOtherKey).toMatchObject({ Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': auditKeyArn } } });
    expect(stack.resolve(TRAIL_ARN)).toEqual(TRAIL_ARN);
  });

  test('the audit key lets CloudTrail decrypt (needed with the trail bucket\'s S3 Bucket Key) for this trail of this account only', () => {
    const keyPolicy = resources[id(keys.audit as Key)]!.Properties.KeyPolicy as { Statement: Statement[] };
    const decrypts = keyPolicy.Statement.filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudtrail.amazonaws.com' })
      && [s.Action].flat().includes('kms:Decrypt'));
    expect(decrypts).toEqual([{
      Sid: 'CloudTrailAuditDecryptsWithBucketKey', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:Decrypt', Resource: '*',
      Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN, 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }]);
    // The trail is created after the key (and so after its policy): it names the key.
    expect(JSON.stringify(trail.Properties.KMSKeyId)).toContain(id(keys.audit as Key));
  });

  test('the log group is encrypted with the audit key, keeps the profile retention and is retained', () => {
    const logGroup = resources[id(audit.logGroup as LogGroup)]!;
    expect(logGroup.Properties).toMatchObject({ KmsKeyId: auditKeyArn, RetentionInDays: 90 });
    expect(logGroup.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  test('CloudTrail delivers to the log group through a role with a customer-managed policy on that group only', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const [[roleId, role]] = ofType(resources, 'AWS::IAM::Role').filter(([k]) => k.startsWith('AuditLogsRole')) as [[string, Resource]];
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'cloudtrail.amazonaws.com' } }] });
    expect(role.Properties.Policies).toBeUndefined();
    const policyId = (role.Properties.ManagedPolicyArns as Array<{ Ref: string }>)[0]!.Ref;
    expect(resources[policyId]!.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Sid: 'DeliverTrailEvents', Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [id(audit.logGroup as LogGroup), 'Arn'] },
      }],
    });
    expect(trail.Properties.CloudWatchLogsRoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
  });

  test('one metric filter per security alarm, with the pattern of the table, on the trail log group', () => {
    const filters = ofType(resources, 'AWS::Logs::MetricFilter');
    expect(filters).toHaveLength(SECURITY_ALARM_NAMES.length);
    for (const name of SECURITY_ALARM_NAMES) {
      const def = SECURITY_ALARMS[name];
      const filter = resources[id(audit.metricFilters[name])]!;
      expect(filter.Properties).toEqual({
        LogGroupName: { Ref: id(audit.logGroup as LogGroup) },
        FilterPattern: def.pattern,
        MetricTransformations: [{ MetricNamespace: 'SecureDataPipeline/Audit/TestStack', MetricName: def.metricName, MetricValue: '1' }],
      });
    }
  });

  test('each alarm sums its metric over 5 minutes, fires at its threshold, stays quiet without data, and notifies the topic', () => {
    for (const name of SECURITY_ALARM_NAMES) {
      const def = SECURITY_ALARMS[name];
      const alarm = resources[id(audit.alarms[name])]!.Properties;
      expect(JSON.stringify(alarm.AlarmDescription)).toContain(`${def.description} (CIS ${def.cisControl})`);
      expect(alarm).toMatchObject({
        Namespace: 'SecureDataPipeline/Audit/TestStack',
        MetricName: def.metricName,
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: def.threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: id(topic) }],
      });
    }
    expect(SECURITY_ALARMS.ConsoleSignInFailures.threshold).toBe(3);
  });

  test('a trail that stops delivering raises an alarm', () => {
    expect(resources[id(audit.deliveryStoppedAlarm)]!.Properties).toMatchObject({
      Namespace: 'AWS/Logs',
      MetricName: 'IncomingLogEvents',
      Dimensions: [{ Name: 'LogGroupName', Value: { Ref: id(audit.logGroup as LogGroup) } }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: id(topic) }],
    });
  });

  test('the deployed patterns are the ones the sample events were checked against', () => {
    // A pattern the template carries must still raise on a StopLogging call: the wiring is the table, not a copy.
    const deployed = resources[id(audit.metricFilters.CloudTrailConfigurationChanges)]!.Properties.FilterPattern as string;
    expect(matchesFilterPattern(deployed, { eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' })).toBe(true);
  });
});

describe('AuditTrail retention in dev', () => {
  test('no Object Lock: a torn-down dev stack must not leave locked files behind', () => {
    const { resources, audit, id } = build('dev');
    expect(resources[id(audit.trailBucket!.bucket)]!.Properties).not.toHaveProperty('ObjectLockConfiguration');
    expect(resources[id(audit.trailBucket!.bucket)]!.Properties).not.toHaveProperty('ObjectLockEnabled');
  });

  test('under the double opt-in the trail bucket and its log group are deleted with the stack', () => {
    const { resources, audit, id } = build('dev', {}, { profile: 'dev', destroyData: 'true' });
    for (const r of [resources[id(audit.trailBucket!.bucket)]!, resources[id(audit.logGroup as LogGroup)]!]) expect(r.DeletionPolicy).toBe('Delete');
  });
});

describe('AuditTrail in prod', () => {
  test('Insights for API call and error rates, six years of trail files, a year of logs', () => {
    const { resources, audit, id } = build('prod');
    const [[, trail]] = ofType(resources, 'AWS::CloudTrail::Trail') as [[string, Resource]];
    expect(trail.Properties.InsightSelectors).toEqual([{ InsightType: 'ApiCallRateInsight' }, { InsightType: 'ApiErrorRateInsight' }]);
    const bucket = resources[id(audit.trailBucket!.bucket)]!;
    expect((bucket.Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules).toContainEqual({ Id: 'ExpireTrailFiles', ExpirationInDays: 2192, Status: 'Enabled' });
    expect(resources[id(audit.logGroup as LogGroup)]!.Properties.RetentionInDays).toBe(365);
  });

  test('trail files are locked by default: GOVERNANCE, for as long as the trail keeps them', () => {
    const { resources, audit, id } = build('prod');
    expect(resources[id(audit.trailBucket!.bucket)]!.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2192 } } },
    });
    const longer = build('prod', { trailRetentionDays: 3650 });
    expect(longer.resources[longer.id(longer.audit.trailBucket!.bucket)]!.Properties.ObjectLockConfiguration)
      .toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 3650 } } });
  });

  test('a prod trail under -c destroyData=true without -c profile=prod keeps its bucket and log group: the profile vetoes the opt-in', () => {
    const { resources, audit, id } = build('prod', {}, { destroyData: 'true' });
    for (const r of [resources[id(audit.trailBucket!.bucket)]!, resources[id(audit.logGroup as LogGroup)]!]) expect(r.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  test.each([['GOVERNANCE', 'GOVERNANCE'], ['COMPLIANCE', 'COMPLIANCE']] as const)('object lock in %s mode', (mode, expected) => {
    const { resources, audit, id } = build('prod', { objectLock: { mode, days: 365 } });
    expect(resources[id(audit.trailBucket!.bucket)]!.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: expected, Days: 365 } } },
    });
  });

  test('a longer retention and a custom metric namespace', () => {
    const { resources, audit, id } = build('prod', { trailRetentionDays: 3650, metricNamespace: 'Security/Trail' });
    expect((resources[id(audit.trailBucket!.bucket)]!.Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules)
      .toContainEqual({ Id: 'ExpireTrailFiles', ExpirationInDays: 3650, Status: 'Enabled' });
    expect(resources[id(audit.alarms.RootAccountUsage)]!.Properties.Namespace).toBe('Security/Trail');
  });
});

describe('AuditTrail adopting an existing trail', () => {
  function adopt(kind: 'trail' | 'organization') {
    const { stack, keys, logs, topic, profile } = setup('prod');
    const logGroup = LogGroup.fromLogGroupName(stack, 'OrgTrailLogs', 'aws-controltower/CloudTrailLogs');
    const audit = new AuditTrail(stack, 'Audit', {
      keys, accessLogBucket: logs, profile, alarmTopic: topic, existingLogGroup: logGroup,
      ...(kind === 'trail'
        ? { existingTrail: CfnTrail.fromTrailArn(stack, 'Existing', 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org') }
        : { useOrganizationTrail: true }),
    });
    return { stack, audit, template: Template.fromStack(stack), topic };
  }

  test.each(['trail', 'organization'] as const)('%s: no trail, bucket, log group or delivery role is created', (kind) => {
    const { audit, template } = adopt(kind);
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
    // Only the access-log bucket of the test stack remains.
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect(audit.trail).toBeUndefined();
    expect(audit.trailBucket).toBeUndefined();
  });

  test.each(['trail', 'organization'] as const)('%s: the alarms are put on the given log group', (kind) => {
    const { stack, audit, template, topic } = adopt(kind);
    template.resourceCountIs('AWS::Logs::MetricFilter', SECURITY_ALARM_NAMES.length);
    template.allResourcesProperties('AWS::Logs::MetricFilter', { LogGroupName: 'aws-controltower/CloudTrailLogs' });
    template.resourceCountIs('AWS::CloudWatch::Alarm', SECURITY_ALARM_NAMES.length + 1);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as never) }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IncomingLogEvents', Dimensions: [{ Name: 'LogGroupName', Value: 'aws-controltower/CloudTrailLogs' }],
    });
    expect(audit.trailArn).toBe(kind === 'trail' ? 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org' : undefined);
  });
});

describe('AuditTrail with an imported audit key', () => {
  test('the key policy cannot be changed, so a warning names the kms:Decrypt statement to add', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys', { existingKeys: { audit: Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab') } });
    const logs = new AccessLogBucket(stack, 'AccessLogs');
    const topic = new Topic(stack, 'Alerts', { masterKey: keys.audit });
    new AuditTrail(stack, 'Audit', { keys, accessLogBucket: logs, profile: resolveProfile('dev'), alarmTopic: topic });
    const warnings = Annotations.fromStack(stack).findWarning('/TestStack/Audit', Match.stringLikeRegexp('kms:Decrypt.*cloudtrail\\.amazonaws\\.com.*trail/TestStack-Audit'));
    expect(warnings).toHaveLength(1);
  });
});

describe('AuditTrail refusals', () => {
  function refused(profileName: string, make: (s: ReturnType<typeof setup>) => Partial<AuditTrailProps>): ConfigurationError {
    const s = setup(profileName);
    try {
      new AuditTrail(s.stack, 'Audit', { keys: s.keys, accessLogBucket: s.logs, profile: s.profile, alarmTopic: s.topic, ...make(s) });
    } catch (e) {
      if (e instanceof ConfigurationError) return e;
      throw e;
    }
    throw new Error('expected a ConfigurationError');
  }
  const existingTrail = (stack: Stack) => CfnTrail.fromTrailName(stack, 'T', 'org');
  const logGroup = (stack: Stack) => LogGroup.fromLogGroupName(stack, 'L', 'trail-logs');

  test('adopting a trail without the log group it delivers to', () => {
    for (const props of [(s: ReturnType<typeof setup>) => ({ existingTrail: existingTrail(s.stack) }), () => ({ useOrganizationTrail: true })]) {
      const error = refused('dev', props);
      expect(error.problems.map((p) => p.path)).toEqual(['existingLogGroup']);
      expect(error.message).toMatch(/nothing to put the alarms on/);
    }
  });

  test('a log group without an adopted trail', () => {
    const error = refused('dev', (s) => ({ existingLogGroup: logGroup(s.stack) }));
    expect(error.problems.map((p) => p.path)).toEqual(['existingLogGroup']);
    expect(error.message).toMatch(/no trail is adopted/);
  });

  test('every problem of an adopted trail at once: both adopt props, and trail settings that would be ignored', () => {
    const error = refused('prod', (s) => ({
      existingTrail: existingTrail(s.stack), useOrganizationTrail: true, existingLogGroup: logGroup(s.stack),
      dataEventBuckets: [], dataEventFunctions: [], trailRetentionDays: 400, objectLock: { mode: 'GOVERNANCE', days: 30 },
    }));
    expect(error.problems.map((p) => p.path)).toEqual(['useOrganizationTrail', 'dataEventBuckets', 'dataEventFunctions', 'objectLock', 'trailRetentionDays']);
  });

  test('retention under a year, object lock in dev, and a lock longer than the retention', () => {
    expect(refused('dev', () => ({ trailRetentionDays: 90 })).problems.map((p) => p.path)).toEqual(['trailRetentionDays']);
    expect(refused('dev', () => ({ objectLock: { mode: 'GOVERNANCE', days: 30 } })).message).toMatch(/objectLock: is only for the prod profile/);
    expect(refused('prod', () => ({ objectLock: { mode: 'COMPLIANCE', days: 3000 } })).problems.map((p) => p.path)).toEqual(['objectLock.days']);
    expect(refused('prod', () => ({ objectLock: { mode: 'LEGAL_HOLD' as never, days: 30 } })).problems.map((p) => p.path)).toEqual(['objectLock.mode']);
  });

  test('more data resources than even advanced selectors hold (500 values), and a reserved metric namespace', () => {
    const error = refused('dev', (s) => ({
      dataEventFunctions: Array.from({ length: 498 }, (_, i) => LambdaFunction.fromFunctionArn(s.stack, `F${i}`, `${FUNCTION_ARN}-${i}`)),
      metricNamespace: 'AWS/Logs',
    }));
    expect(error.problems.map((p) => p.path)).toEqual(['dataEventFunctions', 'metricNamespace']);
    expect(error.message).toMatch(/498 functions and 0 buckets need 501 event selector values; a trail takes at most 500/);
  });

  test('beyond 250 data resources the same events are selected with advanced selectors', () => {
    const s = setup('dev');
    const functions = Array.from({ length: 260 }, (_, i) => LambdaFunction.fromFunctionArn(s.stack, `F${i}`, `${FUNCTION_ARN}-${i}`));
    new AuditTrail(s.stack, 'Audit', { keys: s.keys, accessLogBucket: s.logs, profile: s.profile, alarmTopic: s.topic, dataEventFunctions: functions, dataEventBuckets: [s.logs.bucket] });
    const trail = Object.values(Template.fromStack(s.stack).findResources('AWS::CloudTrail::Trail'))[0]!.Properties;
    expect(trail.EventSelectors).toBeUndefined();
    const selectors = trail.AdvancedEventSelectors as { Name: string; FieldSelectors: { Field: string; Equals?: unknown[]; StartsWith?: unknown[] }[] }[];
    expect(selectors.map((x) => x.Name)).toEqual(['Management events', 'Object events of the pipeline buckets', 'Invocations of the pipeline functions']);
    expect(selectors[0]!.FieldSelectors).toEqual([{ Field: 'eventCategory', Equals: ['Management'] }]);
    expect(selectors[1]!.FieldSelectors.find((f) => f.Field === 'resources.ARN')!.StartsWith).toHaveLength(1);
    const arns = selectors[2]!.FieldSelectors.find((f) => f.Field === 'resources.ARN')!.Equals!;
    expect(arns).toHaveLength(260);
    expect(arns).toContain(`${FUNCTION_ARN}-259`);
  });

  test('no trail or alarm resources are left behind by a refusal', () => {
    const s = setup('dev');
    expect(() => new AuditTrail(s.stack, 'Audit', { keys: s.keys, accessLogBucket: s.logs, profile: s.profile, alarmTopic: s.topic, trailRetentionDays: 1 }))
      .toThrow(ConfigurationError);
    const template = Template.fromStack(s.stack);
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });
});
