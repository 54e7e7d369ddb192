/**
 * Every security alarm's filter pattern, evaluated against CloudTrail events that must raise it and near
 * misses that must not. The events follow the CloudTrail record format (userIdentity, eventSource, eventName,
 * errorCode, responseElements, additionalEventData...).
 */
import { SECURITY_ALARM_NAMES, SECURITY_ALARMS, SecurityAlarmName } from '../../lib/constructs/audit/security-alarms';
import { matchesFilterPattern, parseFilterPattern } from '../helpers/filter-pattern';

const ACCOUNT = '111122223333';

type Event = Record<string, unknown>;

/** A management event by an assumed-role session, as CloudTrail records it. */
function apiCall(eventSource: string, eventName: string, extra: Event = {}): Event {
  return {
    eventVersion: '1.10',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:alice',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLEKEY',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, accountId: ACCOUNT, userName: 'Admin' },
        attributes: { creationDate: '2025-03-01T09:00:00Z', mfaAuthenticated: 'true' },
      },
    },
    eventTime: '2025-03-01T09:15:02Z',
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: {},
    responseElements: null,
    requestID: 'd1e2f3a4-0000-4000-8000-000000000000',
    eventID: 'a1b2c3d4-0000-4000-8000-000000000000',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...extra,
  };
}

/** A console sign-in record (signin.amazonaws.com, AwsConsoleSignIn). */
function consoleLogin(opts: { identity?: Event; result: 'Success' | 'Failure'; mfa?: 'Yes' | 'No'; errorMessage?: string }): Event {
  return {
    eventVersion: '1.09',
    userIdentity: opts.identity ?? { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/bob`, accountId: ACCOUNT, userName: 'bob' },
    eventTime: '2025-03-01T08:00:00Z',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'Mozilla/5.0',
    requestParameters: null,
    responseElements: { ConsoleLogin: opts.result },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: opts.mfa ?? 'No' },
    ...(opts.errorMessage ? { errorMessage: opts.errorMessage } : {}),
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

const ROOT = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };

const SAMPLES: Record<SecurityAlarmName, { raise: Record<string, Event>; ignore: Record<string, Event> }> = {
  UnauthorizedApiCalls: {
    raise: {
      'EC2 UnauthorizedOperation': apiCall('ec2.amazonaws.com', 'RunInstances', { errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' }),
      'S3 AccessDenied': apiCall('s3.amazonaws.com', 'GetObject', { errorCode: 'AccessDenied', errorMessage: 'Access Denied', eventCategory: 'Data' }),
      'KMS AccessDeniedException': apiCall('kms.amazonaws.com', 'Decrypt', { errorCode: 'AccessDeniedException' }),
    },
    ignore: {
      'successful call': apiCall('ec2.amazonaws.com', 'RunInstances'),
      'throttled call': apiCall('ec2.amazonaws.com', 'DescribeInstances', { errorCode: 'Client.RequestLimitExceeded' }),
      'log delivery refused': apiCall('s3.amazonaws.com', 'PutObject', { errorCode: 'AccessDenied', sourceIPAddress: 'delivery.logs.amazonaws.com' }),
      'HeadBucket probe': apiCall('s3.amazonaws.com', 'HeadBucket', { errorCode: 'AccessDenied' }),
    },
  },
  ConsoleSignInWithoutMfa: {
    raise: { 'IAM user, password only': consoleLogin({ result: 'Success', mfa: 'No' }) },
    ignore: {
      'IAM user with MFA': consoleLogin({ result: 'Success', mfa: 'Yes' }),
      'failed sign-in without MFA': consoleLogin({ result: 'Failure', mfa: 'No', errorMessage: 'Failed authentication' }),
      'federated (SSO) session': consoleLogin({ result: 'Success', mfa: 'No', identity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin/alice`, accountId: ACCOUNT } }),
    },
  },
  RootAccountUsage: {
    raise: {
      'root creates an access key': apiCall('iam.amazonaws.com', 'CreateAccessKey', { userIdentity: ROOT }),
      'root signs in': consoleLogin({ result: 'Success', mfa: 'Yes', identity: ROOT }),
    },
    ignore: {
      'service acting for root': apiCall('s3.amazonaws.com', 'GetBucketAcl', { userIdentity: { ...ROOT, invokedBy: 'support.amazonaws.com' } }),
      'service event on root': apiCall('health.amazonaws.com', 'AWSHealthEvent', { userIdentity: ROOT, eventType: 'AwsServiceEvent' }),
      'IAM user': apiCall('iam.amazonaws.com', 'CreateAccessKey', { userIdentity: { type: 'IAMUser', userName: 'bob', accountId: ACCOUNT } }),
    },
  },
  IamPolicyChanges: {
    raise: {
      PutRolePolicy: apiCall('iam.amazonaws.com', 'PutRolePolicy'),
      AttachUserPolicy: apiCall('iam.amazonaws.com', 'AttachUserPolicy'),
      CreatePolicyVersion: apiCall('iam.amazonaws.com', 'CreatePolicyVersion'),
      SetDefaultPolicyVersion: apiCall('iam.amazonaws.com', 'SetDefaultPolicyVersion'),
    },
    ignore: {
      'IAM read': apiCall('iam.amazonaws.com', 'GetRolePolicy', { readOnly: true }),
      'IAM CreateRole': apiCall('iam.amazonaws.com', 'CreateRole'),
      'CreatePolicy of IoT': apiCall('iot.amazonaws.com', 'CreatePolicy'),
    },
  },
  CloudTrailConfigurationChanges: {
    raise: {
      StopLogging: apiCall('cloudtrail.amazonaws.com', 'StopLogging'),
      DeleteTrail: apiCall('cloudtrail.amazonaws.com', 'DeleteTrail'),
      PutEventSelectors: apiCall('cloudtrail.amazonaws.com', 'PutEventSelectors'),
    },
    ignore: {
      LookupEvents: apiCall('cloudtrail.amazonaws.com', 'LookupEvents', { readOnly: true }),
      DescribeTrails: apiCall('cloudtrail.amazonaws.com', 'DescribeTrails', { readOnly: true }),
    },
  },
  ConsoleSignInFailures: {
    raise: { 'wrong password': consoleLogin({ result: 'Failure', errorMessage: 'Failed authentication' }) },
    ignore: {
      'successful sign-in': consoleLogin({ result: 'Success', mfa: 'Yes' }),
      'API call failing for another reason': apiCall('ec2.amazonaws.com', 'RunInstances', { errorMessage: 'Failed authentication' }),
    },
  },
  KmsKeyDisabledOrScheduledForDeletion: {
    raise: {
      DisableKey: apiCall('kms.amazonaws.com', 'DisableKey'),
      ScheduleKeyDeletion: apiCall('kms.amazonaws.com', 'ScheduleKeyDeletion', { requestParameters: { keyId: 'k', pendingWindowInDays: 7 } }),
    },
    ignore: {
      Decrypt: apiCall('kms.amazonaws.com', 'Decrypt', { readOnly: true }),
      EnableKey: apiCall('kms.amazonaws.com', 'EnableKey'),
      DisableKeyRotation: apiCall('kms.amazonaws.com', 'DisableKeyRotation'),
    },
  },
  S3BucketPolicyChanges: {
    raise: {
      PutBucketPolicy: apiCall('s3.amazonaws.com', 'PutBucketPolicy'),
      PutBucketAcl: apiCall('s3.amazonaws.com', 'PutBucketAcl'),
      DeleteBucketPublicAccessBlock: apiCall('s3.amazonaws.com', 'DeleteBucketPublicAccessBlock'),
    },
    ignore: {
      GetBucketPolicy: apiCall('s3.amazonaws.com', 'GetBucketPolicy', { readOnly: true }),
      PutObject: apiCall('s3.amazonaws.com', 'PutObject', { eventCategory: 'Data' }),
    },
  },
  SecurityGroupChanges: {
    raise: {
      AuthorizeSecurityGroupIngress: apiCall('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress'),
      ModifySecurityGroupRules: apiCall('ec2.amazonaws.com', 'ModifySecurityGroupRules'),
    },
    ignore: { DescribeSecurityGroups: apiCall('ec2.amazonaws.com', 'DescribeSecurityGroups', { readOnly: true }) },
  },
  NetworkAclChanges: {
    raise: {
      CreateNetworkAclEntry: apiCall('ec2.amazonaws.com', 'CreateNetworkAclEntry'),
      ReplaceNetworkAclAssociation: apiCall('ec2.amazonaws.com', 'ReplaceNetworkAclAssociation'),
    },
    ignore: { DescribeNetworkAcls: apiCall('ec2.amazonaws.com', 'DescribeNetworkAcls', { readOnly: true }) },
  },
  NetworkGatewayChanges: {
    raise: {
      AttachInternetGateway: apiCall('ec2.amazonaws.com', 'AttachInternetGateway'),
      CreateNatGateway: apiCall('ec2.amazonaws.com', 'CreateNatGateway'),
    },
    ignore: { DescribeInternetGateways: apiCall('ec2.amazonaws.com', 'DescribeInternetGateways', { readOnly: true }) },
  },
  RouteTableChanges: {
    raise: {
      CreateRoute: apiCall('ec2.amazonaws.com', 'CreateRoute'),
      ReplaceRouteTableAssociation: apiCall('ec2.amazonaws.com', 'ReplaceRouteTableAssociation'),
    },
    ignore: {
      DescribeRouteTables: apiCall('ec2.amazonaws.com', 'DescribeRouteTables', { readOnly: true }),
      'API Gateway CreateRoute': apiCall('apigateway.amazonaws.com', 'CreateRoute'),
    },
  },
  VpcChanges: {
    raise: {
      CreateVpc: apiCall('ec2.amazonaws.com', 'CreateVpc'),
      ModifyVpcAttribute: apiCall('ec2.amazonaws.com', 'ModifyVpcAttribute'),
      CreateVpcPeeringConnection: apiCall('ec2.amazonaws.com', 'CreateVpcPeeringConnection'),
    },
    ignore: {
      DescribeVpcs: apiCall('ec2.amazonaws.com', 'DescribeVpcs', { readOnly: true }),
      CreateVpcEndpoint: apiCall('ec2.amazonaws.com', 'CreateVpcEndpoint'),
    },
  },
  SecretDeletion: {
    raise: { DeleteSecret: apiCall('secretsmanager.amazonaws.com', 'DeleteSecret', { requestParameters: { secretId: 'x', recoveryWindowInDays: 7 } }) },
    ignore: {
      GetSecretValue: apiCall('secretsmanager.amazonaws.com', 'GetSecretValue', { readOnly: true }),
      RestoreSecret: apiCall('secretsmanager.amazonaws.com', 'RestoreSecret'),
    },
  },
  DataProtectionLifted: {
    raise: {
      'secret DeleteResourcePolicy': apiCall('secretsmanager.amazonaws.com', 'DeleteResourcePolicy', { requestParameters: { secretId: 'x' } }),
      'secret PutResourcePolicy': apiCall('secretsmanager.amazonaws.com', 'PutResourcePolicy'),
      DeleteBackupVaultAccessPolicy: apiCall('backup.amazonaws.com', 'DeleteBackupVaultAccessPolicy', { requestParameters: { backupVaultName: 'v' } }),
      PutBackupVaultAccessPolicy: apiCall('backup.amazonaws.com', 'PutBackupVaultAccessPolicy'),
      DeleteBackupVaultLockConfiguration: apiCall('backup.amazonaws.com', 'DeleteBackupVaultLockConfiguration'),
      PutObjectLockConfiguration: apiCall('s3.amazonaws.com', 'PutObjectLockConfiguration'),
    },
    ignore: {
      GetResourcePolicy: apiCall('secretsmanager.amazonaws.com', 'GetResourcePolicy', { readOnly: true }),
      GetBackupVaultAccessPolicy: apiCall('backup.amazonaws.com', 'GetBackupVaultAccessPolicy', { readOnly: true }),
      'KMS PutKeyPolicy': apiCall('kms.amazonaws.com', 'PutKeyPolicy'),
      'S3 PutBucketPolicy': apiCall('s3.amazonaws.com', 'PutBucketPolicy'),
    },
  },
};

describe('security alarm filter patterns', () => {
  test('every alarm in the table has samples, and no sample names an alarm that does not exist', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...SECURITY_ALARM_NAMES].sort());
  });

  describe.each(SECURITY_ALARM_NAMES)('%s', (name) => {
    const { pattern } = SECURITY_ALARMS[name];
    const { raise, ignore } = SAMPLES[name];

    test('parses, and fits the 1024-character limit of a metric filter', () => {
      expect(() => parseFilterPattern(pattern)).not.toThrow();
      expect(pattern.length).toBeLessThanOrEqual(1024);
    });

    test.each(Object.entries(raise))('raised by: %s', (_label, event) => {
      expect(matchesFilterPattern(pattern, event)).toBe(true);
    });

    test.each(Object.entries(ignore))('not raised by: %s', (_label, event) => {
      expect(matchesFilterPattern(pattern, event)).toBe(false);
    });

    test('no verdict depends on how CloudWatch treats != on a missing field', () => {
      for (const event of [...Object.values(raise), ...Object.values(ignore)]) {
        expect(matchesFilterPattern(pattern, event, { missingFieldNotEquals: true })).toBe(matchesFilterPattern(pattern, event));
      }
    });
  });

  test('the alarms stay silent for an ordinary pipeline data event', () => {
    const ordinary = apiCall('s3.amazonaws.com', 'PutObject', { eventCategory: 'Data', managementEvent: false });
    const raised = SECURITY_ALARM_NAMES.filter((n) => matchesFilterPattern(SECURITY_ALARMS[n].pattern, ordinary));
    expect(raised).toEqual([]);
  });
});
