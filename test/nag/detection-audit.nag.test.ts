/**
 * Threat detection and the audit trail under every pack: nothing unacknowledged, and every acknowledgement
 * still matches a real finding on exactly its resource (re-synthesized with acknowledgements off).
 */
import { App, Stack } from 'aws-cdk-lib';
import { CfnTrail } from 'aws-cdk-lib/aws-cloudtrail';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Classification } from '../../lib/classification';
import { resolveProfile } from '../../lib/config';
import { AuditTrail } from '../../lib/constructs/audit/audit-trail';
import { ThreatDetection } from '../../lib/constructs/detection/threat-detection';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { AccessLogBucket } from '../../lib/constructs/storage/access-log-bucket';
import { SecureBucket } from '../../lib/constructs/storage/secure-bucket';
import { ComplianceResult, expectAcknowledgementsMatchFindings, expectNoFindings, synthAndAudit } from '../helpers/app';

type Mode = 'create' | 'adopt';

function buildDetectionAudit(app: App, profileName: string, mode: Mode): void {
  const stack = new Stack(app, `DetectionAudit-${profileName}-${mode}`);
  const profile = resolveProfile(profileName);
  const keys = new DataKeys(stack, 'Keys');
  const accessLogBucket = new AccessLogBucket(stack, 'AccessLogs');
  const quarantine = new SecureBucket(stack, 'Quarantine', { classification: Classification.RESTRICTED, keys, accessLogBucket });
  const curated = new SecureBucket(stack, 'Curated', { classification: Classification.INTERNAL, keys, accessLogBucket });
  const ingest = LambdaFunction.fromFunctionArn(stack, 'Ingest', 'arn:aws:lambda:eu-west-1:111122223333:function:ingest');
  // The deploy-time GuardDuty function runs in this VPC (a known S3 prefix list keeps the network's own custom resource out).
  const network = new SecureNetwork(stack, 'Network', { logKey: keys.audit, flowLogRetentionDays: profile.platformLogRetentionDays, keys, profile, s3PrefixListId: 'pl-6da54004' });
  const detection = new ThreatDetection(stack, 'ThreatDetection', {
    keys, network, profile, protectedBuckets: [quarantine.bucket], alarmEmail: 'security@example.com',
    ...(mode === 'adopt' ? { existingDetectorId: '12abc34d567e8fa901bc2d34e56789f0' } : {}),
  });
  new AuditTrail(stack, 'AuditTrail', {
    keys, accessLogBucket, profile, alarmTopic: detection.alarmTopic,
    ...(mode === 'create'
      ? {
        dataEventBuckets: [quarantine.bucket, curated.bucket],
        dataEventFunctions: [ingest],
        ...(profileName === 'prod' ? { objectLock: { mode: 'GOVERNANCE' as const, days: 365 } } : {}),
      }
      : {
        existingTrail: CfnTrail.fromTrailArn(stack, 'OrgTrail', 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org'),
        existingLogGroup: LogGroup.fromLogGroupName(stack, 'OrgTrailLogs', 'aws-controltower/CloudTrailLogs'),
      }),
  });
}

describe.each([['dev', 'create'], ['prod', 'create'], ['prod', 'adopt']] as const)('detection and audit (%s, %s) under every pack', (profile, mode) => {
  let result: ComplianceResult;
  let audit: ComplianceResult;
  beforeAll(() => {
    ({ result, audit } = synthAndAudit((app) => buildDetectionAudit(app, profile, mode), { profile }));
  });

  test('zero unacknowledged errors and warnings', () => expectNoFindings(result));

  test('every acknowledgement silences a finding that really exists on its resource, and nothing else is found', () => {
    expect(result.acknowledgements.length).toBeGreaterThan(0);
    expectAcknowledgementsMatchFindings(result, audit);
  });

  test('acknowledgements of the detection and audit constructs (rule, resource path, reason)', () => {
    const own = result.acknowledgements.filter((a) => /\/(ThreatDetection|AuditTrail)\//.test(a.path));
    expect(own.map((a) => `${a.id} @ ${a.path}: ${a.reason}`)).toMatchSnapshot();
  });
});
