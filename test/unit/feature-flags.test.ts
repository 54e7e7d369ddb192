import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AccessLogBucket } from '../../lib/constructs/storage/access-log-bucket';
import { buildPipelineStack, CDK_JSON_CONTEXT, ComplianceResult, expectNoFindings, synthWithCompliance } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;

/** cdk.json's feature flags at their old value: every boolean flag negated, every other flag unset (its old default). */
const OLD_FLAGS: Record<string, unknown> = Object.fromEntries(Object.entries(CDK_JSON_CONTEXT)
  .filter(([key, value]) => key.startsWith('@') && typeof value === 'boolean')
  .map(([key, value]) => [key, !value]));

/** Resource types whose properties decide who can reach what, how it is encrypted, and what may leave the VPC. */
const SECURITY_TYPES = [
  'AWS::S3::Bucket', 'AWS::S3::BucketPolicy', 'AWS::KMS::Key', 'AWS::SQS::Queue', 'AWS::SQS::QueuePolicy',
  'AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupEgress',
  'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::VPCEndpoint', 'AWS::RDS::DBInstance', 'AWS::RDS::DBParameterGroup',
  'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::Lambda::Function', 'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret', 'AWS::SecretsManager::ResourcePolicy', 'AWS::MSK::Cluster',
  'AWS::DynamoDB::Table', 'AWS::CloudTrail::Trail',
];

const asList = (v: Json): Json[] => (Array.isArray(v) ? v : [v]);

/**
 * A policy document as the set of single (effect, principal, action, resource, condition) grants it makes, sorted:
 * `@aws-cdk/aws-iam:minimizePolicies` merges and reorders statements without changing what they allow, and that is
 * not a difference this test is about. Sids are dropped for the same reason.
 */
function policyGrants(doc: Json): string[] {
  const grants = new Set<string>();
  for (const s of asList(doc.Statement)) {
    const actionKey = s.Action !== undefined ? 'Action' : 'NotAction';
    const resourceKey = s.Resource !== undefined ? 'Resource' : 'NotResource';
    for (const action of asList(s[actionKey])) {
      for (const resource of asList(s[resourceKey] ?? '-')) {
        grants.add(JSON.stringify([s.Effect, s.Principal ?? s.NotPrincipal, actionKey, action, resourceKey, resource, s.Condition ?? null]));
      }
    }
  }
  return [...grants].sort();
}

function normalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value.Statement) || (value.Statement && typeof value.Statement === 'object')) return policyGrants(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** Every security-relevant resource of the stack by logical id, its properties with policies normalized. */
function securityView(result: ComplianceResult, stackId: string): Record<string, Json> {
  const resources = Template.fromStack(result.app.node.findChild(stackId) as Stack).toJSON().Resources as Record<string, Json>;
  return Object.fromEntries(Object.entries(resources)
    .filter(([, r]) => SECURITY_TYPES.includes(r.Type))
    .map(([id, r]) => [id, { Type: r.Type, Properties: normalize(r.Properties ?? {}), DeletionPolicy: r.DeletionPolicy ?? null }]));
}

/** Synthesizes, or records why building the stack threw (the constructs throw before synth when a flag breaks them). */
function synth(build: (app: App) => void, flags: Record<string, unknown>): ComplianceResult | { readonly error: Error } {
  try {
    return synthWithCompliance(build, {}, flags);
  } catch (e) {
    return { error: e as Error };
  }
}

function synthesized(result: ComplianceResult | { readonly error: Error }): ComplianceResult {
  expect(result.error?.message).toBeUndefined();
  expectNoFindings(result as ComplianceResult);
  return result as ComplianceResult;
}

describe.each(['dev', 'prod'])('the %s blueprint does not depend on the consuming app\'s feature flags', (profile) => {
  const stackId = `SecureDataPipeline-${profile}`;
  const build = (app: App) => { buildPipelineStack(app, profile); };
  let withCdkJson: ReturnType<typeof synth>;
  let withNoContext: ReturnType<typeof synth>;
  let withOldFlags: ReturnType<typeof synth>;

  beforeAll(() => {
    withCdkJson = synth(build, CDK_JSON_CONTEXT);
    withNoContext = synth(build, {});
    withOldFlags = synth(build, OLD_FLAGS);
  });

  test('in an app with no context at all: synthesizes under every pack with nothing unacknowledged', () => {
    synthesized(withNoContext);
  });

  test('with every cdk.json flag at its old value: synthesizes under every pack with nothing unacknowledged', () => {
    synthesized(withOldFlags);
  });

  test('no context: bucket encryption, public access block, ownership, policies, SG rules, RDS flags identical to cdk.json\'s', () => {
    expect(securityView(synthesized(withNoContext), stackId)).toEqual(securityView(synthesized(withCdkJson), stackId));
  });

  test('old flags: the same security-relevant template as with cdk.json\'s context', () => {
    expect(securityView(synthesized(withOldFlags), stackId)).toEqual(securityView(synthesized(withCdkJson), stackId));
  });

  test('no context: every bucket has ACLs disabled (BucketOwnerEnforced, no AccessControl) and blocks all public access', () => {
    const view = securityView(synthesized(withNoContext), stackId);
    const buckets = Object.values(view).filter((r: Json) => r.Type === 'AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets as Json[]) {
      expect(b.Properties.AccessControl).toBeUndefined();
      expect(b.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption).toBeDefined();
    }
  });
});

describe('AccessLogBucket', () => {
  test('grants log delivery by bucket policy even when the app turns serverAccessLogsUseBucketPolicy off', () => {
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': false } });
    const stack = new Stack(app, 'Stack');
    const logs = new AccessLogBucket(stack, 'Logs');
    // A source bucket logging into it, as SecureBucket does: this is where CDK chooses ACL or bucket policy.
    new Bucket(stack, 'Source', { serverAccessLogsBucket: logs.bucket });
    const template = Template.fromStack(stack).toJSON();
    const bucket = Object.values(template.Resources as Record<string, Json>)
      .find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties?.LifecycleConfiguration);
    expect(bucket.Properties.AccessControl).toBeUndefined();
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const policies = Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    expect(policies.flatMap((p) => asList(p.Properties.PolicyDocument.Statement))).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject',
    }));
  });
});
