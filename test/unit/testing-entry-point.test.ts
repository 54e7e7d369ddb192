/** The `testing` entry point teams' CI uses: compliance of a team stack in one call, and stable snapshots. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { format } from 'pretty-format';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Classification } from '../../lib/classification';
import { acknowledge } from '../../lib/compliance';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { AccessLogBucket } from '../../lib/constructs/storage/access-log-bucket';
import { SecureBucket } from '../../lib/constructs/storage/secure-bucket';
import { ConfigurationError } from '../../lib/errors';
import {
  assertAcknowledgementsMatchFindings,
  assertNoUnacknowledgedFindings,
  checkCompliance,
  normalizeTemplate,
  stableTemplateSerializer,
  synthWithEveryPack,
  templateOf,
} from '../../lib/testing';
import { CDK_JSON_CONTEXT } from '../helpers/app';

/** What a team passes: the context of its own cdk.json. */
const context = CDK_JSON_CONTEXT;

function secureTeamStack(app: App, staleAck = false): void {
  const stack = new Stack(app, 'TeamSecure');
  const keys = new DataKeys(stack, 'Keys');
  const logs = new AccessLogBucket(stack, 'Logs');
  const bucket = new SecureBucket(stack, 'Data', { classification: Classification.INTERNAL, keys, accessLogBucket: logs });
  if (staleAck) {
    // SecureBucket logs its server access: this rule has nothing to silence.
    acknowledge(bucket.bucket, 'AwsSolutions-S1', 'Server access logs are written elsewhere by a team process');
  }
}

function insecureTeamStack(app: App): void {
  new Bucket(new Stack(app, 'TeamInsecure'), 'Plain');
}

describe('compliance helpers', () => {
  test('a stack of SecureBuckets passes: synth succeeded, nothing unacknowledged, acknowledgements all live', () => {
    const { result, audit } = checkCompliance((app) => secureTeamStack(app), { context });
    expect(result.error).toBeUndefined();
    expect(result.findings).toEqual([]);
    // The constructs' own acknowledgements were audited against real findings.
    expect(result.acknowledgements.length).toBeGreaterThan(0);
    expect(audit.findings.length).toBe(result.acknowledgements.length);
    expect(Object.keys(templateOf(result, 'TeamSecure').Resources as object).length).toBeGreaterThan(0);
  });

  test('a plain s3.Bucket fails, with the rule and the construct path in the message', () => {
    const result = synthWithEveryPack(insecureTeamStack, { context });
    expect(result.findings.length).toBeGreaterThan(0);
    expect(() => assertNoUnacknowledgedFindings(result)).toThrow(/AwsSolutions-S1 on TeamInsecure\/Plain\/Resource/);
    expect(() => assertNoUnacknowledgedFindings(result)).toThrow(/S3BucketSSLRequestsOnly on TeamInsecure\/Plain\/Resource/);
    expect(() => checkCompliance(insecureTeamStack, { context })).toThrow(/unacknowledged finding/);
  });

  test('a failed synth with no finding reported still fails the assertion', () => {
    const result = synthWithEveryPack((app) => secureTeamStack(app), { context });
    expect(() => assertNoUnacknowledgedFindings({ ...result, error: new Error('boom') })).toThrow(/synth failed.*boom/);
  });

  test('an acknowledgement that no longer matches a finding is reported, naming rule, path and reason', () => {
    expect(() => checkCompliance((app) => secureTeamStack(app, true), { context }))
      .toThrow(/no longer match.*\n.*AwsSolutions::AwsSolutions-S1 on TeamSecure\/Data\/Bucket\/Resource \("Server access logs/);
  });

  test('a finding acknowledgements do not account for is reported', () => {
    const { result, audit } = checkCompliance((app) => secureTeamStack(app), { context });
    const extra = { pack: 'AwsSolutions', ruleId: 'AwsSolutions-X1', severity: 'error', path: 'TeamSecure/Other', description: 'x' };
    expect(() => assertAcknowledgementsMatchFindings(result, { ...audit, findings: [...audit.findings, extra] }))
      .toThrow(/no acknowledgement covers:\n.*AwsSolutions-X1 on TeamSecure\/Other/);
  });

  test('bad input is a ConfigurationError naming the field and the fix', () => {
    expect(() => synthWithEveryPack('TeamStack' as unknown as (app: App) => void)).toThrow(ConfigurationError);
    expect(() => synthWithEveryPack('TeamStack' as unknown as (app: App) => void)).toThrow(/build: must be a function.*Fix: pass/);
    expect(() => checkCompliance(secureTeamStack, { context: [] as unknown as Record<string, unknown> }))
      .toThrow(/options\.context: must be an object.*Fix: pass the "context" object of your cdk\.json/);
    const result = synthWithEveryPack((app) => secureTeamStack(app), { context });
    expect(() => templateOf(result, 'Nope')).toThrow(/stack: no stack "Nope".*Fix: use one of "TeamSecure"/);
  });
});

describe('stableTemplateSerializer', () => {
  function templateWithAsset(contents: string): Record<string, unknown> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-asset-'));
    fs.writeFileSync(path.join(dir, 'index.js'), contents);
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-test-')), context });
    const stack = new Stack(app, 'TeamAsset');
    new LambdaFunction(stack, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromAsset(dir) });
    return Template.fromStack(stack).toJSON();
  }

  test('a template with an asset prints the same snapshot whatever the asset contents', () => {
    const a = templateWithAsset('exports.handler = async () => 1;');
    const b = templateWithAsset('exports.handler = async () => 2;');
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    const print = (t: unknown) => format(t, { plugins: [stableTemplateSerializer] });
    expect(print(a)).toBe(print(b));
    expect(print(a)).toContain('[HASH].zip');
    expect(print(a)).not.toMatch(/[0-9a-f]{64}/);
    expect(normalizeTemplate(a)).toEqual(normalizeTemplate(b));
  });

  test('CDK metadata is dropped; values without churn are left to the default printer', () => {
    const printed = format({ Resources: { CDKMetadata: { Type: 'AWS::CDK::Metadata' }, B: { Type: 'AWS::S3::Bucket' } } },
      { plugins: [stableTemplateSerializer] });
    expect(printed).not.toContain('CDKMetadata');
    expect(printed).toContain('AWS::S3::Bucket');
    expect(stableTemplateSerializer.test({ Type: 'AWS::S3::Bucket' })).toBe(false);
  });
});

test('the entry point uses no test runner: no jest import, no expect/jest globals', () => {
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'testing', 'index.ts'), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '') // doc comments may name the runners
    .replace(/^\s*\/\/.*$/gm, '');
  expect(source).not.toMatch(/from ['"](@jest\/[^'"]+|jest|vitest|@types\/jest)['"]/);
  expect(source).not.toMatch(/\b(expect|jest)\s*[.(]|\b(describe|it)\s*\(/);
});
