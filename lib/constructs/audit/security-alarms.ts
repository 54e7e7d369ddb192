/**
 * The security alarms on the CloudTrail log group, in the style of the CIS AWS Foundations Benchmark
 * (monitoring section, v1.4/v1.5 numbering). One table: tests evaluate every pattern against sample events.
 *
 * Patterns use only CloudWatch Logs JSON filter syntax whose meaning is documented: `=` / `!=` on quoted
 * strings with `*` wildcards, `NOT EXISTS`, and parentheses around every operand of `&&` / `||` (never both
 * operators at one level, so no precedence question arises). `!=` is used only on fields CloudTrail always
 * writes for the events concerned, so a missing field never decides a match.
 */

export interface SecurityAlarmDefinition {
  /** Metric name the filter emits (value 1 per matching event). */
  readonly metricName: string;
  /** CloudWatch Logs filter pattern over CloudTrail events. */
  readonly pattern: string;
  /** What the alarm means, shown in the alarm and its notification. */
  readonly description: string;
  /** Matching events within 5 minutes that raise the alarm. */
  readonly threshold: number;
  /** The CIS AWS Foundations Benchmark control it implements. */
  readonly cisControl: string;
}

/** `(($.eventName = "A") || ($.eventName = "B") ...)` */
function anyEventName(...names: string[]): string {
  return `(${names.map((n) => `($.eventName = "${n}")`).join(' || ')})`;
}

function fromSource(source: string, ...names: string[]): string {
  return `{ ${sourceAndNames(source, names)} }`;
}

function sourceAndNames(source: string, names: readonly string[]): string {
  return `($.eventSource = "${source}") && ${anyEventName(...names)}`;
}

/** Any of several (source, event names) groups: `{ ((source A) && (names)) || ((source B) && (names)) }`. */
function fromSources(groups: Record<string, readonly string[]>): string {
  return `{ ${Object.entries(groups).map(([source, names]) => `(${sourceAndNames(source, names)})`).join(' || ')} }`;
}

export const SECURITY_ALARMS = {
  UnauthorizedApiCalls: {
    metricName: 'UnauthorizedApiCalls',
    pattern: '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    description: 'API calls were refused for lack of permission: probing with stolen or under-privileged credentials, or a broken deployment',
    threshold: 1,
    cisControl: '4.1',
  },
  ConsoleSignInWithoutMfa: {
    metricName: 'ConsoleSignInWithoutMfa',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    description: 'An IAM user signed in to the console without MFA',
    threshold: 1,
    cisControl: '4.2',
  },
  RootAccountUsage: {
    metricName: 'RootAccountUsage',
    pattern: '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }',
    description: 'The root user made a request; root should only be used for the few tasks that require it',
    threshold: 1,
    cisControl: '4.3',
  },
  IamPolicyChanges: {
    metricName: 'IamPolicyChanges',
    pattern: fromSource('iam.amazonaws.com',
      'DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy',
      'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'SetDefaultPolicyVersion',
      'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy', 'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy'),
    description: 'An IAM policy was created, changed, attached or detached',
    threshold: 1,
    cisControl: '4.4',
  },
  CloudTrailConfigurationChanges: {
    metricName: 'CloudTrailConfigurationChanges',
    pattern: fromSource('cloudtrail.amazonaws.com',
      'CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging', 'PutEventSelectors', 'PutInsightSelectors'),
    description: 'A trail was created, changed, deleted, stopped or started, or what it records was changed',
    threshold: 1,
    cisControl: '4.5',
  },
  ConsoleSignInFailures: {
    metricName: 'ConsoleSignInFailures',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
    description: 'Repeated failed console sign-ins (3 or more in 5 minutes): password guessing',
    threshold: 3,
    cisControl: '4.6',
  },
  KmsKeyDisabledOrScheduledForDeletion: {
    metricName: 'KmsKeyDisabledOrScheduledForDeletion',
    pattern: fromSource('kms.amazonaws.com', 'DisableKey', 'ScheduleKeyDeletion'),
    description: 'A KMS key was disabled or scheduled for deletion: data under it would become unreadable',
    threshold: 1,
    cisControl: '4.7',
  },
  S3BucketPolicyChanges: {
    metricName: 'S3BucketPolicyChanges',
    pattern: fromSource('s3.amazonaws.com',
      'PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors', 'PutBucketLifecycle', 'PutBucketReplication',
      'DeleteBucketPolicy', 'DeleteBucketCors', 'DeleteBucketLifecycle', 'DeleteBucketReplication',
      'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock'),
    description: 'A bucket policy, ACL, CORS, lifecycle, replication or public-access-block setting changed',
    threshold: 1,
    cisControl: '4.8',
  },
  SecurityGroupChanges: {
    metricName: 'SecurityGroupChanges',
    pattern: `{ ${anyEventName('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress',
      'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules')} }`,
    description: 'A security group or one of its rules was created, changed or deleted',
    threshold: 1,
    cisControl: '4.10',
  },
  NetworkAclChanges: {
    metricName: 'NetworkAclChanges',
    pattern: `{ ${anyEventName('CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry',
      'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation')} }`,
    description: 'A network ACL or one of its entries was created, changed or deleted',
    threshold: 1,
    cisControl: '4.11',
  },
  NetworkGatewayChanges: {
    metricName: 'NetworkGatewayChanges',
    pattern: `{ ${anyEventName('CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway', 'CreateInternetGateway',
      'DeleteInternetGateway', 'DetachInternetGateway', 'CreateNatGateway', 'DeleteNatGateway')} }`,
    description: 'An internet, NAT or customer gateway changed: a new way in or out of the network',
    threshold: 1,
    cisControl: '4.12',
  },
  RouteTableChanges: {
    metricName: 'RouteTableChanges',
    pattern: `{ ($.eventSource = "ec2.amazonaws.com") && ${anyEventName('CreateRoute', 'CreateRouteTable', 'ReplaceRoute',
      'ReplaceRouteTableAssociation', 'DeleteRouteTable', 'DeleteRoute', 'DisassociateRouteTable')} }`,
    description: 'A route or route table changed: traffic from the isolated tiers could be sent elsewhere',
    threshold: 1,
    cisControl: '4.13',
  },
  VpcChanges: {
    metricName: 'VpcChanges',
    pattern: `{ ${anyEventName('CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute', 'AcceptVpcPeeringConnection', 'CreateVpcPeeringConnection',
      'DeleteVpcPeeringConnection', 'RejectVpcPeeringConnection', 'AttachClassicLinkVpc', 'DetachClassicLinkVpc',
      'DisableVpcClassicLink', 'EnableVpcClassicLink')} }`,
    description: 'A VPC or VPC peering connection was created, changed or deleted',
    threshold: 1,
    cisControl: '4.14',
  },
  SecretDeletion: {
    metricName: 'SecretDeletion',
    pattern: fromSource('secretsmanager.amazonaws.com', 'DeleteSecret'),
    description: 'A Secrets Manager secret was scheduled for deletion (or deleted at once): credentials of the pipeline may stop working',
    threshold: 1,
    cisControl: 'none (pipeline credentials)',
  },
  DataProtectionLifted: {
    metricName: 'DataProtectionLifted',
    // The first step of removing what keeps data from deletion: a secret's resource policy (the deny on deleting
    // the tokenization key), a backup vault's access policy or lock, a bucket's Object Lock default retention.
    pattern: fromSources({
      'secretsmanager.amazonaws.com': ['DeleteResourcePolicy', 'PutResourcePolicy'],
      'backup.amazonaws.com': ['DeleteBackupVaultAccessPolicy', 'PutBackupVaultAccessPolicy', 'DeleteBackupVaultLockConfiguration',
        'PutBackupVaultLockConfiguration'],
      's3.amazonaws.com': ['PutObjectLockConfiguration'],
    }),
    description: 'A policy or lock that keeps data from deletion was changed or removed (secret resource policy, backup vault access policy or lock, S3 Object Lock): if nobody planned it, restore it before anything is deleted',
    threshold: 1,
    cisControl: 'none (data retention)',
  },
} as const satisfies Record<string, SecurityAlarmDefinition>;

export type SecurityAlarmName = keyof typeof SECURITY_ALARMS;
export const SECURITY_ALARM_NAMES = Object.keys(SECURITY_ALARMS) as SecurityAlarmName[];
