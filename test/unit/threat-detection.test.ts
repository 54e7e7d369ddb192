import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Classification } from '../../lib/classification';
import { listAcknowledgements } from '../../lib/compliance';
import { resolveProfile } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { AccessLogBucket } from '../../lib/constructs/storage/access-log-bucket';
import { SecureBucket } from '../../lib/constructs/storage/secure-bucket';
import { SecurityAlertTopic } from '../../lib/constructs/detection/security-alert-topic';
import { ThreatDetection, ThreatDetectionProps } from '../../lib/constructs/detection/threat-detection';
import { GUARDDUTY_FUNCTION_TIMEOUT } from '../../lib/constructs/detection/guardduty-custom-resources';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { buildPipelineStack, testApp, testStack } from '../helpers/app';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: Record<string, unknown> };

/** The VPC the deploy-time GuardDuty function runs in (a known S3 prefix list: no network custom resource). */
function networkOf(stack: Stack, keys: DataKeys): SecureNetwork {
  return new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, s3PrefixListId: 'pl-6da54004' });
}

function build(profileName = 'dev', extra: Partial<ThreatDetectionProps> = {}, context: Record<string, unknown> = {}) {
  const stack = testStack(context);
  const keys = new DataKeys(stack, 'Keys');
  const network = networkOf(stack, keys);
  const logs = new AccessLogBucket(stack, 'AccessLogs');
  const quarantine = new SecureBucket(stack, 'Quarantine', { classification: Classification.RESTRICTED, keys, accessLogBucket: logs });
  const landing = new SecureBucket(stack, 'Landing', { classification: Classification.INTERNAL, keys, accessLogBucket: logs });
  const detection = new ThreatDetection(stack, 'Threats', {
    keys, network, profile: resolveProfile(profileName), protectedBuckets: [quarantine.bucket, landing.bucket], ...extra,
  });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  return { stack, keys, network, quarantine, landing, detection, template, resources, id };
}

function ofType(resources: Record<string, Resource>, type: string): Array<[string, Resource]> {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** Actions as a sorted list: CDK orders them itself. */
function actions(s: Statement | undefined): string[] {
  const a = s?.Action;
  return (Array.isArray(a) ? [...a] : [a ?? '']).sort();
}

/**
 * The IAM condition operators the threat-tag statements use, evaluated the way IAM does: StringEquals and
 * ForAnyValue:StringEquals are false when the key is absent; ArnNotEquals compares the (token) ARN exactly.
 */
function conditionsHold(conditions: Record<string, unknown>, request: Record<string, unknown>): boolean {
  return Object.entries(conditions).every(([operator, entries]) => Object.entries(entries as Record<string, unknown>).every(([key, expected]) => {
    const actual = request[key];
    switch (operator) {
      case 'StringEquals': return actual === expected;
      case 'ForAnyValue:StringEquals': return Array.isArray(actual) && actual.includes(expected);
      case 'ArnNotEquals': return JSON.stringify(actual) !== JSON.stringify(expected);
      default: throw new Error(`operator ${operator} is not evaluated by this test`);
    }
  }));
}

function functionVariables(resources: Record<string, Resource>, functionId: string): Record<string, unknown> {
  return (resources[functionId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

function bucketPolicyStatements(resources: Record<string, Resource>, bucketId: string): Statement[] {
  const policy = ofType(resources, 'AWS::S3::BucketPolicy').find(([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: bucketId }));
  return (policy![1].Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

describe('ThreatDetection, creating the detector (dev)', () => {
  const { stack, keys, quarantine, landing, detection, template, resources, id } = build('dev', { alarmEmail: 'security@example.com' });
  const auditKeyArn = { 'Fn::GetAtt': [id(keys.audit as Key), 'Arn'] };

  test('no AWS::GuardDuty::Detector: a custom resource adopts the account\'s detector or creates one with the S3, RDS, Lambda and EBS features', () => {
    template.resourceCountIs('AWS::GuardDuty::Detector', 0);
    const [[detectorId, detector]] = ofType(resources, 'Custom::GuardDutyDetector') as [[string, Resource & { UpdateReplacePolicy?: string }]];
    expect(detector.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [id(detection.customResources!.function.function), 'Arn'] },
      ServiceTimeout: String(GUARDDUTY_FUNCTION_TIMEOUT.toSeconds() + 60),
      Action: 'Detector',
      FindingPublishingFrequency: 'SIX_HOURS',
      Features: JSON.stringify([
        { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
        { Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' },
        { Name: 'LAMBDA_NETWORK_LOGS', Status: 'ENABLED' },
        { Name: 'EBS_MALWARE_PROTECTION', Status: 'ENABLED' },
      ]),
    });
    // A failed first deploy deletes what it created; stack deletion (and replacement) keeps detection running.
    expect(detector.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(detector.UpdateReplacePolicy).toBe('Retain');
    expect(detector.DependsOn).toContain(id(detection.customResources!.function.role.policy as never));
    expect(stack.resolve(detection.detectorId)).toEqual({ 'Fn::GetAtt': [detectorId, 'DetectorId'] });
    // A new logical id: the AWS::GuardDuty::Detector of earlier versions was ThreatsDetector…, and CloudFormation
    // refuses to change a resource's type under the same id (the retained old detector is adopted instead).
    expect(detectorId).toMatch(/^ThreatsAccountDetector/);
  });

  test('the GuardDuty function runs in the isolated tier, for at most ten minutes, and the VPC has a GuardDuty endpoint', () => {
    const fn = resources[id(detection.customResources!.function.function)]!;
    expect(fn.Properties.Timeout).toBe(600);
    const subnets = JSON.stringify((fn.Properties.VpcConfig as { SubnetIds: unknown }).SubnetIds);
    expect(subnets).toMatch(/compute/i);
    expect(subnets).not.toMatch(/egress/i);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.guardduty']] }, PrivateDnsEnabled: true,
    });
  });

  test('the GuardDuty function may find, create and manage detectors of this account and region, and create only GuardDuty\'s service-linked roles', () => {
    const policy = resources[id(detection.customResources!.function.role.policy as never)]!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const bySid = Object.fromEntries(statements.filter((x) => x.Sid).map((x) => [x.Sid, x]));
    expect(actions(bySid.FindOrCreateTheDetector)).toEqual(['guardduty:CreateDetector', 'guardduty:ListDetectors']);
    expect(bySid.FindOrCreateTheDetector!.Resource).toBe('*');
    // TagResource: the detector and plans are created with the owner tag.
    expect(actions(bySid.ManageDetectorsOfThisAccountAndRegion)).toEqual(['guardduty:DeleteDetector', 'guardduty:GetDetector', 'guardduty:TagResource', 'guardduty:UpdateDetector']);
    expect(bySid.ManageDetectorsOfThisAccountAndRegion!.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':guardduty:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':detector/*']] });
    expect(actions(bySid.ManageMalwareProtectionPlansOfThisAccountAndRegion)).toEqual([
      'guardduty:DeleteMalwareProtectionPlan', 'guardduty:GetMalwareProtectionPlan', 'guardduty:TagResource', 'guardduty:UpdateMalwareProtectionPlan',
    ]);
    expect(bySid.ManageMalwareProtectionPlansOfThisAccountAndRegion!.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':guardduty:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':malware-protection-plan/*']] });
    // Tagging is granted on exactly these two patterns, nowhere else.
    const tagging = statements.filter((x) => actions(x).includes('guardduty:TagResource')).map((x) => x.Sid).sort();
    expect(tagging).toEqual(['ManageDetectorsOfThisAccountAndRegion', 'ManageMalwareProtectionPlansOfThisAccountAndRegion']);
    expect(bySid.CreateGuardDutyServiceLinkedRoles).toMatchObject({
      Action: 'iam:CreateServiceLinkedRole',
      Condition: { StringEquals: { 'iam:AWSServiceName': ['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com'] } },
    });
    expect(JSON.stringify(bySid.CreateGuardDutyServiceLinkedRoles!.Resource)).toMatch(/aws-service-role\/guardduty\.amazonaws\.com\/AWSServiceRoleForAmazonGuardDuty".*AWSServiceRoleForAmazonGuardDutyMalwareProtection/);
    // PassRole only for the scanning roles, each named.
    const passRole = statements.filter((x) => actions(x).includes('iam:PassRole'));
    const passed = passRole.flatMap((x) => [x.Resource].flat()).map((r) => JSON.stringify(r)).sort();
    expect(passed).toEqual(detection.malwareProtection.map((m) => JSON.stringify({ 'Fn::GetAtt': [id(m.role), 'Arn'] })).sort());
  });

  test('the GuardDuty function knows its owner stack from its environment (the owner tag\'s value), and deletes no detector with the stack', () => {
    const fn = resources[id(detection.customResources!.function.function)]!;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.OWNER_STACK_ID).toEqual({ Ref: 'AWS::StackId' });
    expect(variables.DELETE_DETECTOR_WITH_STACK).toBe('false');
  });

  test('one malware protection plan per protected bucket, tagging results, with its own role, created after the role\'s policy', () => {
    template.resourceCountIs('AWS::GuardDuty::MalwareProtectionPlan', 0);
    const plans = ofType(resources, 'Custom::GuardDutyMalwareProtectionPlan');
    expect(plans).toHaveLength(2);
    for (const bucket of [quarantine, landing]) {
      const plan = plans.find(([, r]) => JSON.stringify(r.Properties.BucketName) === JSON.stringify({ Ref: id(bucket.bucket) }));
      expect(plan).toBeDefined();
      expect(plan![1].Properties).toMatchObject({ Action: 'MalwareProtectionPlan', Tagging: 'ENABLED', ServiceTimeout: '660' });
      const roleRef = plan![1].Properties.RoleArn as { 'Fn::GetAtt': [string, string] };
      const role = resources[roleRef['Fn::GetAtt'][0]]!;
      expect(role.Type).toBe('AWS::IAM::Role');
      // The role's managed policy exists before the plan (GuardDuty validates the permissions at creation), and the
      // handler retries while the new role propagates (test/lambda/guardduty-detector).
      const policyId = ((role.Properties.ManagedPolicyArns as Array<{ Ref: string }>)[0]!).Ref;
      expect(plan![1].DependsOn).toEqual(expect.arrayContaining([policyId, id(detection.customResources!.function.role.policy as never)]));
    }
    expect(detection.malwareProtection.map((m) => m.node.id)).toEqual(['MalwareProtectionQuarantineBucket', 'MalwareProtectionLandingBucket']);
  });

  test('the scanning role trusts only GuardDuty malware protection acting for this account', () => {
    const role = resources[id(detection.malwareProtection[0]!.role)]!;
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'malware-protection-plan.guardduty.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }],
    });
    expect(role.Properties.Policies).toBeUndefined();
  });

  test('the scanning role may do only what GuardDuty documents, on this bucket, its key and its managed rule', () => {
    const protection = detection.malwareProtection[0]!;
    const policy = resources[id(protection.role.policy)]!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const bucketArn = { 'Fn::GetAtt': [id(quarantine.bucket), 'Arn'] };
    const objects = { 'Fn::Join': ['', [bucketArn, '/*']] };
    const rule = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*']] };
    expect(Object.keys(bySid).sort()).toEqual(['CheckBucketOwnership', 'DecryptObjectsForScanning', 'ManageTheS3EventRule', 'MonitorTheS3EventRule',
      'PutValidationObject', 'ScanObjects', 'SendBucketEventsToEventBridge', 'TagScannedObjects']);
    expect(actions(bySid.ManageTheS3EventRule)).toEqual(['events:DeleteRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets']);
    expect(bySid.ManageTheS3EventRule).toMatchObject({
      Resource: rule,
      Condition: { StringLike: { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' } },
    });
    expect(actions(bySid.MonitorTheS3EventRule)).toEqual(['events:DescribeRule', 'events:ListTargetsByRule']);
    expect(bySid.MonitorTheS3EventRule).toMatchObject({ Resource: rule });
    expect(actions(bySid.TagScannedObjects)).toEqual(['s3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:PutObjectTagging', 's3:PutObjectVersionTagging']);
    expect(bySid.TagScannedObjects).toMatchObject({ Resource: objects });
    expect(actions(bySid.ScanObjects)).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(bySid.ScanObjects).toMatchObject({ Resource: objects });
    expect(actions(bySid.SendBucketEventsToEventBridge)).toEqual(['s3:GetBucketNotification', 's3:PutBucketNotification']);
    expect(bySid.SendBucketEventsToEventBridge).toMatchObject({ Resource: bucketArn });
    expect(bySid.CheckBucketOwnership).toMatchObject({ Action: 's3:ListBucket', Resource: bucketArn });
    expect(bySid.PutValidationObject).toMatchObject({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [bucketArn, '/malware-protection-resource-validation-object']] } });
    expect(actions(bySid.DecryptObjectsForScanning)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(bySid.DecryptObjectsForScanning).toMatchObject({
      Resource: { 'Fn::GetAtt': [id(keys.restricted as Key), 'Arn'] },
      Condition: { StringLike: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
    });
    // The Internal landing bucket's role decrypts with the Internal key, not the Restricted one.
    const landingPolicy = JSON.stringify(resources[id(detection.malwareProtection[1]!.role.policy)]!.Properties.PolicyDocument);
    expect(landingPolicy).toContain(id(keys.internal as Key));
    expect(landingPolicy).not.toContain(id(keys.restricted as Key));
  });

  test('each protected bucket denies reading, retagging and forging scan results to everyone but its scanning role', () => {
    const threat = { StringEquals: { 's3:ExistingObjectTag/GuardDutyMalwareScanStatus': 'THREATS_FOUND' } };
    const forged = { 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': 'GuardDutyMalwareScanStatus' } };
    const expected: Record<string, [string[], Record<string, unknown>]> = {
      DenyReadingObjectsWithThreatsFound: [['s3:GetObject', 's3:GetObjectVersion'], threat],
      DenyRetaggingObjectsWithThreatsFound: [['s3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'], threat],
      DenyForgingTheScanStatusTag: [['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'], forged],
    };
    for (const [index, bucket] of [quarantine, landing].entries()) {
      const bySid = Object.fromEntries(bucketPolicyStatements(resources, id(bucket.bucket)).filter((s) => s.Sid).map((s) => [s.Sid, s]));
      const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(bucket.bucket), 'Arn'] }, '/*']] };
      const notScanner = { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [id(detection.malwareProtection[index]!.role), 'Arn'] } } };
      for (const [sid, [acts, condition]] of Object.entries(expected)) {
        expect(actions(bySid[sid])).toEqual(acts);
        expect(bySid[sid]).toEqual({ Sid: sid, Effect: 'Deny', Principal: { AWS: '*' }, Action: expect.any(Array), Resource: objects, Condition: { ...condition, ...notScanner } });
      }
      // The bucket's own protections are still there.
      expect(Object.keys(bySid)).toEqual(expect.arrayContaining(['DenyPutWithoutKms', 'DenyPutWithOtherKey']));
    }
  });

  describe('the threat-tag statements, evaluated for requests on the quarantine bucket', () => {
    const scanner = { 'Fn::GetAtt': [id(detection.malwareProtection[0]!.role), 'Arn'] };
    const statements = bucketPolicyStatements(resources, id(quarantine.bucket)).filter((s) => s.Effect === 'Deny' && /Threat|ScanStatus/.test(s.Sid ?? ''));
    const analyst = 'arn:aws:iam::111122223333:role/Analyst';
    const infected = { 's3:ExistingObjectTag/GuardDutyMalwareScanStatus': 'THREATS_FOUND' };
    const clean = { 's3:ExistingObjectTag/GuardDutyMalwareScanStatus': 'NO_THREATS_FOUND' };
    test.each([
      ['anyone else reading an infected object', 's3:GetObject', analyst, infected, true],
      ['anyone else reading an infected version', 's3:GetObjectVersion', analyst, infected, true],
      ['anyone else reading a clean object', 's3:GetObject', analyst, clean, false],
      ['anyone else reading an object not scanned yet', 's3:GetObject', analyst, {}, false],
      ['the scanner reading an infected object', 's3:GetObject', scanner, infected, false],
      ['anyone else clearing the tags of an infected object', 's3:DeleteObjectTagging', analyst, infected, true],
      ['anyone else rewriting the tags of an infected object', 's3:PutObjectTagging', analyst, { ...infected, 's3:RequestObjectTagKeys': ['owner'] }, true],
      ['anyone else tagging a clean object with its own keys', 's3:PutObjectTagging', analyst, { ...clean, 's3:RequestObjectTagKeys': ['owner'] }, false],
      ['anyone else marking an object as scanned', 's3:PutObjectTagging', analyst, { 's3:RequestObjectTagKeys': ['owner', 'GuardDutyMalwareScanStatus'] }, true],
      ['anyone else uploading with a forged scan status', 's3:PutObject', analyst, { 's3:RequestObjectTagKeys': ['GuardDutyMalwareScanStatus'] }, true],
      ['anyone else uploading without tags', 's3:PutObject', analyst, {}, false],
      ['the scanner tagging its result', 's3:PutObjectTagging', scanner, { 's3:RequestObjectTagKeys': ['GuardDutyMalwareScanStatus'] }, false],
      ['anyone else deleting an infected object', 's3:DeleteObject', analyst, infected, false],
    ] as const)('%s → denied: %s', (_label, action, principal, context, expectedDeny) => {
      const request: Record<string, unknown> = { 'aws:PrincipalArn': principal, ...context };
      expect(statements.some((s) => actions(s).includes(action) && conditionsHold(s.Condition ?? {}, request))).toBe(expectedDeny);
    });
  });

  test('findings of severity 4 (Medium) or more go to the alert topic, with retries and a dead-letter queue', () => {
    const [[ruleId, rule]] = ofType(resources, 'AWS::Events::Rule') as [[string, Resource]];
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.guardduty'],
      'detail-type': ['GuardDuty Finding'],
      'detail': { severity: [{ numeric: ['>=', 4] }] },
    });
    expect(rule.Properties.Targets).toEqual([{
      Id: 'Target0',
      Arn: { Ref: id(detection.alerts.topic) },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(detection.alerts.deadLetterQueue), 'Arn'] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
    }]);
    expect(stack.resolve(detection.findingsRule.ruleArn)).toEqual({ 'Fn::GetAtt': [ruleId, 'Arn'] });
    expect(detection.minimumSeverity).toBe(4);
  });

  test('the topic is encrypted with the audit key and tagged Restricted', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: auditKeyArn,
      Tags: Match.arrayWith([{ Key: 'data-classification', Value: 'Restricted' }]),
    });
    expect(detection.alarmTopic).toBe(detection.alerts.topic);
  });

  test('topic policy: TLS only; EventBridge publishes only from this rule; alarms only from this account', () => {
    const [[, policy]] = ofType(resources, 'AWS::SNS::TopicPolicy') as [[string, Resource]];
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const topic = { Ref: id(detection.alerts.topic) };
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: topic, Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topic,
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(detection.findingsRule), 'Arn'] } } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
      },
    }));
    // Nothing else may publish: every Allow names a service principal with a source condition.
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      expect(s.Condition).toBeDefined();
      expect(JSON.stringify(s.Condition)).toContain('aws:Source');
    }
  });

  test('the email subscription is confirmed by its owner and dead-letters undeliverable alerts', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security@example.com',
      TopicArn: { Ref: id(detection.alerts.topic) },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [id(detection.alerts.deadLetterQueue), 'Arn'] } },
    });
  });

  test('the dead-letter queue is encrypted with the audit key, TLS only, writable by this rule and by SNS for this topic', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: auditKeyArn,
      MessageRetentionPeriod: 1209600,
      Tags: Match.arrayWith([{ Key: 'data-classification', Value: 'Restricted' }]),
    });
    const [[, policy]] = ofType(resources, 'AWS::SQS::QueuePolicy') as [[string, Resource]];
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage',
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(detection.findingsRule), 'Arn'] } } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage',
      Condition: { ArnEquals: { 'aws:SourceArn': { Ref: id(detection.alerts.topic) } } },
    }));
  });

  test('the audit key lets SNS write dead letters for topics of this account only', () => {
    const keyPolicy = resources[id(keys.audit as Key)]!.Properties.KeyPolicy as { Statement: Statement[] };
    expect(keyPolicy.Statement).toContainEqual(expect.objectContaining({
      Sid: 'SnsWritesDeadLettersOfThisAccount',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] } },
      },
    }));
  });

  test('undelivered alerts raise an alarm on the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(detection.alerts.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: id(detection.alerts.topic) }],
    });
  });

  test('no inline IAM policies', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('acknowledgements: only the two documented IAM5 wildcards per scanning role, the GuardDuty function\'s (its IAM5 and its bound concurrency), and the dead-letter queue rules', () => {
    const acks = listAcknowledgements(stack).filter((a) => a.path.includes('/Threats/'));
    expect(acks.map((a) => `${a.id} @ ${a.path.replace('TestStack/Threats/', '')}`).sort()).toEqual([
      'AwsSolutions::AwsSolutions-IAM5[Resource::*] @ CustomResources/Function/Role/Policy/Resource',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:<AWS::Region>:<AWS::AccountId>:detector/*] @ CustomResources/Function/Role/Policy/Resource',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:<AWS::Region>:<AWS::AccountId>:malware-protection-plan/*] @ CustomResources/Function/Role/Policy/Resource',
      `AwsSolutions::AwsSolutions-IAM5[Resource::<${id(landing.bucket)}.Arn>/*] @ MalwareProtectionLandingBucket/Role/Policy/Resource`,
      `AwsSolutions::AwsSolutions-IAM5[Resource::<${id(quarantine.bucket)}.Arn>/*] @ MalwareProtectionQuarantineBucket/Role/Policy/Resource`,
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*] @ MalwareProtectionLandingBucket/Role/Policy/Resource',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*] @ MalwareProtectionQuarantineBucket/Role/Policy/Resource',
      'AwsSolutions::AwsSolutions-SQS3 @ Alerts/UndeliveredAlerts/Resource',
      // No reservation: the function is invoked only by CloudFormation (LambdaBoundedConcurrency checks it).
      'HIPAA.Security::HIPAA.Security-LambdaConcurrency @ CustomResources/Function/Function/Resource',
      'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency @ CustomResources/Function/Function/Resource',
      'Serverless::Serverless-SQSRedrivePolicy @ Alerts/UndeliveredAlerts/Resource',
    ].sort());
  });
});

describe('ThreatDetection settings', () => {
  test('prod publishes finding updates every 15 minutes; an explicit frequency wins', () => {
    build('prod').template.hasResourceProperties('Custom::GuardDutyDetector', { FindingPublishingFrequency: 'FIFTEEN_MINUTES' });
    build('prod', { findingPublishingFrequency: 'ONE_HOUR' }).template.hasResourceProperties('Custom::GuardDutyDetector', { FindingPublishingFrequency: 'ONE_HOUR' });
  });

  test('a prod detector under -c destroyData=true without -c profile=prod is kept: the profile vetoes the opt-in', () => {
    const { resources, detection, id } = build('prod', {}, { destroyData: 'true' });
    const [[, detector]] = ofType(resources, 'Custom::GuardDutyDetector') as [[string, Resource]];
    expect(detector.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(functionVariables(resources, id(detection.customResources!.function.function)).DELETE_DETECTOR_WITH_STACK).toBe('false');
  });

  test('under the dev destroy opt-in a created detector goes with the stack (an adopted one never: the handler deletes only what it created)', () => {
    const { resources, detection, id } = build('dev', {}, { profile: 'dev', destroyData: 'true' });
    const [[, detector]] = ofType(resources, 'Custom::GuardDutyDetector') as [[string, Resource]];
    expect(detector.DeletionPolicy).toBe('Delete');
    // The function deletes a detector older than a rollback only under this opt-in (and only one it tagged as its own).
    const variables = functionVariables(resources, id(detection.customResources!.function.function));
    expect(variables.DELETE_DETECTOR_WITH_STACK).toBe('true');
    expect(variables.OWNER_STACK_ID).toEqual({ Ref: 'AWS::StackId' });
    // One opt-in is not enough.
    const devOnly = build('dev', {}, { profile: 'dev' });
    expect(functionVariables(devOnly.resources, devOnly.id(devOnly.detection.customResources!.function.function)).DELETE_DETECTOR_WITH_STACK).toBe('false');
  });

  test('runtime monitoring is opt-in and then manages agents on EC2, ECS Fargate and EKS', () => {
    const { resources } = build('dev', { runtimeMonitoring: true });
    const [[, detector]] = ofType(resources, 'Custom::GuardDutyDetector') as [[string, Resource]];
    expect(JSON.parse(detector.Properties.Features as string)).toContainEqual({
      Name: 'RUNTIME_MONITORING',
      Status: 'ENABLED',
      AdditionalConfiguration: [
        { Name: 'EC2_AGENT_MANAGEMENT', Status: 'ENABLED' },
        { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' },
        { Name: 'EKS_ADDON_MANAGEMENT', Status: 'ENABLED' },
      ],
    });
    const plain = ofType(build('dev').resources, 'Custom::GuardDutyDetector')[0]![1];
    expect(plain.Properties.Features).not.toContain('RUNTIME_MONITORING');
  });

  test('a custom minimum severity is matched numerically', () => {
    const { template, detection } = build('dev', { minimumSeverity: 7 });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { severity: [{ numeric: ['>=', 7] }] } }) });
    expect(detection.minimumSeverity).toBe(7);
  });

  test('a protected bucket with CDK-managed notifications keeps the EventBridge delivery GuardDuty listens to', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const logs = new AccessLogBucket(stack, 'AccessLogs');
    const curated = new SecureBucket(stack, 'Curated', { classification: Classification.INTERNAL, keys, accessLogBucket: logs });
    const plain = new SecureBucket(stack, 'Plain', { classification: Classification.INTERNAL, keys, accessLogBucket: logs });
    curated.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(new Queue(stack, 'Loads')));
    new ThreatDetection(stack, 'Threats', { keys, network: networkOf(stack, keys), profile: resolveProfile('dev'), protectedBuckets: [curated.bucket, plain.bucket] });
    const template = Template.fromStack(stack);
    // Only the bucket that already had notifications gets the custom resource, and it now includes EventBridge.
    template.resourceCountIs('Custom::S3BucketNotifications', 1);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: stack.getLogicalId(curated.bucket.node.defaultChild as never) },
      NotificationConfiguration: Match.objectLike({ EventBridgeConfiguration: {}, QueueConfigurations: Match.anyValue() }),
    });
  });

  test('no email subscription unless an address is given', () => {
    build('dev').template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('ThreatDetection adopting an existing detector', () => {
  const existing = '12abc34d567e8fa901bc2d34e56789f0';
  const { template, detection } = build('prod', { existingDetectorId: existing });

  test('no detector custom resource: the given id is used as is', () => {
    template.resourceCountIs('AWS::GuardDuty::Detector', 0);
    template.resourceCountIs('Custom::GuardDutyDetector', 0);
    expect(detection.detectorId).toBe(existing);
    expect(detection.detector).toBeUndefined();
  });

  test('still protects the buckets and alerts on findings', () => {
    template.resourceCountIs('Custom::GuardDutyMalwareProtectionPlan', 2);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('with no bucket to protect, no function and no network are needed', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const adopted = new ThreatDetection(stack, 'Threats', { keys, profile: resolveProfile('prod'), existingDetectorId: existing });
    expect(adopted.customResources).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 0);
  });
});

describe('the blueprint stack and -c guardDutyDetectorId', () => {
  const detectorResources = (context: Record<string, unknown>) => {
    const stack = buildPipelineStack(testApp(context));
    const template = Template.fromStack(stack);
    return { stack, detectors: template.findResources('Custom::GuardDutyDetector'), native: template.findResources('AWS::GuardDuty::Detector') };
  };

  test('without the context, the detector is adopted or created at deploy time; with it, that detector is used and no custom resource is made', () => {
    const byDefault = detectorResources({});
    expect(Object.keys(byDefault.native)).toEqual([]);
    expect(Object.values(byDefault.detectors).map((r) => r.DeletionPolicy)).toEqual(['RetainExceptOnCreate']);
    const given = detectorResources({ guardDutyDetectorId: '12abc34d567e8fa901bc2d34e56789f0' });
    expect(Object.keys(given.detectors)).toEqual([]);
    expect(Object.keys(given.native)).toEqual([]);
    expect(given.stack.pipeline.threatDetection.detectorId).toBe('12abc34d567e8fa901bc2d34e56789f0');
  });
});

describe('ThreatDetection refusals', () => {
  function refused(make: (stack: Stack, keys: DataKeys) => void): ConfigurationError {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    try {
      make(stack, keys);
    } catch (e) {
      if (e instanceof ConfigurationError) return e;
      throw e;
    }
    throw new Error('expected a ConfigurationError');
  }
  const profile = resolveProfile('dev');
  const ADOPTED = '12abc34d567e8fa901bc2d34e56789f0';

  test('a detector to find or create, or buckets to protect, without the network the GuardDuty function runs in', () => {
    for (const props of [{}, { existingDetectorId: ADOPTED }]) {
      const error = refused((stack, keys) => {
        const logs = new AccessLogBucket(stack, 'Logs');
        const owned = new SecureBucket(stack, 'Owned', { classification: Classification.RESTRICTED, keys, accessLogBucket: logs });
        return new ThreatDetection(stack, 'T', { keys, profile, ...props, protectedBuckets: [owned.bucket] });
      });
      expect(error.problems.map((p) => p.path)).toEqual(['network']);
      expect(error.message).toMatch(/pass the SecureNetwork/);
    }
  });

  test.each([[{}], ['vpc-123'], [42]])('a network that is not a SecureNetwork (%p) is refused by name', (network) => {
    const error = refused((stack, keys) => new ThreatDetection(stack, 'T', { keys, profile, network: network as never }));
    expect(error.problems.map((p) => p.path)).toEqual(['network']);
    expect(error.message).toMatch(/is not a SecureNetwork/);
  });

  test.each([[0], [0.5], [8], [Number.NaN]])('minimumSeverity %p', (minimumSeverity) => {
    const error = refused((stack, keys) => new ThreatDetection(stack, 'T', { keys, profile, minimumSeverity, existingDetectorId: ADOPTED }));
    expect(error.problems.map((p) => p.path)).toEqual(['minimumSeverity']);
    expect(error.message).toMatch(/would silence High findings/);
  });

  test('every problem at once: detector id, imported and duplicate buckets, frequency, email', () => {
    const error = refused((stack, keys) => {
      const logs = new AccessLogBucket(stack, 'Logs');
      const owned = new SecureBucket(stack, 'Owned', { classification: Classification.RESTRICTED, keys, accessLogBucket: logs });
      const imported = Bucket.fromBucketName(stack, 'Imported', 'someone-elses-bucket');
      return new ThreatDetection(stack, 'T', {
        keys, profile,
        existingDetectorId: 'not-a-detector',
        protectedBuckets: [owned.bucket, imported, owned.bucket],
        findingPublishingFrequency: 'DAILY' as never,
        alarmEmail: 'not-an-address',
      });
    });
    expect(error.problems.map((p) => p.path)).toEqual([
      'existingDetectorId', 'findingPublishingFrequency', 'alarmEmail', 'protectedBuckets[1]', 'protectedBuckets[2]', 'network',
    ]);
    expect(error.message).toMatch(/aws guardduty list-detectors/);
    expect(error.message).toMatch(/is imported, so its bucket policy cannot get the statements/);
    expect(error.message).toMatch(/is listed twice/);
  });

  test.each([[{}], [42], [Object.create(null)], [['security@example.com']]])('an alarmEmail that is not a string (%p) is refused by name, not a TypeError', (alarmEmail) => {
    const error = refused((stack, keys) => new ThreatDetection(stack, 'T', { keys, profile, alarmEmail: alarmEmail as never, existingDetectorId: ADOPTED }));
    expect(error.problems.map((p) => p.path)).toEqual(['alarmEmail']);
  });

  test('the alert topic on its own refuses addresses that are not emails', () => {
    const error = refused((stack, keys) => new SecurityAlertTopic(stack, 'A', { keys, alarmEmails: ['ok@example.com', 'security at example'] }));
    expect(error.problems).toEqual([expect.objectContaining({ path: 'alarmEmails[1]' })]);
  });
});
