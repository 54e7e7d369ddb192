/**
 * The preflight against faked AWS: no AWS account is reachable from this machine and AWS has no local equivalent of
 * these account-level APIs, so the SDK clients are faked at the SDK boundary (aws-sdk-client-mock) with responses in
 * the shape the APIs return (test/preflight/fixtures/*.json): a fresh account, an organization member account, and a
 * us-east-1 account whose first zone name maps to use1-az3.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { Check, PreflightClients, runPreflight, TemplateFacts } from '../../scripts/preflight/checks';
import { main, parseCliArgs, UsageError } from '../../scripts/preflight/cli';
import { readTemplateFacts, synthesizeTemplateFacts, templateFacts } from '../../scripts/preflight/template';
import { EXAMPLE_DATASETS } from '../helpers/app';
import { runScript } from '../helpers/run-script';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded API responses, read structurally
type Json = any;

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const TEMPLATE = path.join(FIXTURES, 'template.json');

function fixture(name: string): Json {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
}

function apiError(spec: { name: string; message: string }): Error {
  return Object.assign(new Error(spec.message), { name: spec.name });
}

function answer<T>(mock: { resolves: (v: T) => unknown; rejects: (e: Error) => unknown }, recorded: Json): void {
  if (recorded.$error) mock.rejects(apiError(recorded.$error));
  else mock.resolves(recorded);
}

const mocks = {
  lambda: mockClient(LambdaClient),
  guardDuty: mockClient(GuardDutyClient),
  cloudTrail: mockClient(CloudTrailClient),
  serviceQuotas: mockClient(ServiceQuotasClient),
  ec2: mockClient(EC2Client),
  cloudFormation: mockClient(CloudFormationClient),
};

/** Fakes every client with an account's recorded responses. */
function fakeAccount(recorded: Json): PreflightClients {
  for (const m of Object.values(mocks)) m.reset();
  answer(mocks.lambda.on(GetAccountSettingsCommand), recorded.lambda.GetAccountSettings);
  answer(mocks.guardDuty.on(ListDetectorsCommand), recorded.guardDuty.ListDetectors);
  answer(mocks.cloudTrail.on(DescribeTrailsCommand), recorded.cloudTrail.DescribeTrails);
  answer(mocks.ec2.on(DescribeAvailabilityZonesCommand), recorded.ec2.DescribeAvailabilityZones);
  answer(mocks.cloudFormation.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }), recorded.cloudFormation.DescribeStacks);
  for (const [key, response] of Object.entries<Json>(recorded.serviceQuotas)) {
    const [ServiceCode, QuotaCode] = key.split('/');
    answer(mocks.serviceQuotas.on(GetServiceQuotaCommand, { ServiceCode, QuotaCode }), response);
  }
  return {
    lambda: new LambdaClient({ region: recorded.region }),
    guardDuty: new GuardDutyClient({ region: recorded.region }),
    cloudTrail: new CloudTrailClient({ region: recorded.region }),
    serviceQuotas: new ServiceQuotasClient({ region: recorded.region }),
    ec2: new EC2Client({ region: recorded.region }),
    cloudFormation: new CloudFormationClient({ region: recorded.region }),
  };
}

const TEMPLATE_FACTS: TemplateFacts = readTemplateFacts(TEMPLATE);

async function preflight(recorded: Json, profile = 'dev', zoneIds?: string[]) {
  return runPreflight(fakeAccount(recorded), {
    region: recorded.region, profile: resolveProfile(profile), template: TEMPLATE_FACTS, ...(zoneIds ? { zoneIds } : {}),
  });
}

function check(checks: Check[], id: string): Check {
  const found = checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${checks.map((c) => c.id).join(', ')}`);
  return found;
}

afterAll(() => {
  for (const m of Object.values(mocks)) m.restore();
});

describe('template facts', () => {
  test('reserved concurrency is summed over the Lambda functions; the bootstrap version follows the template rule', () => {
    expect(TEMPLATE_FACTS).toEqual({ reservedConcurrency: 25, bootstrapVersion: 6 });
    const rule = JSON.parse(fs.readFileSync(TEMPLATE, 'utf8'));
    rule.Rules.CheckBootstrapVersion.Assertions[0].Assert['Fn::Not'][0]['Fn::Contains'][0].push('6', '7');
    expect(templateFacts(rule).bootstrapVersion).toBe(8);
  });

  test('the blueprint synthesized in-process (no packs, no bundling) yields its facts', () => {
    const facts = synthesizeTemplateFacts(ROOT, resolveProfile('dev'), loadDatasetsConfig(EXAMPLE_DATASETS));
    expect(facts.bootstrapVersion).toBe(6);
    expect(Number.isInteger(facts.reservedConcurrency) && facts.reservedConcurrency >= 0).toBe(true);
  });
});

describe('preflight (AWS faked with aws-sdk-client-mock: no local AWS exists)', () => {
  test('fresh account: concurrency 10 and no bootstrap fail with their fixes; no detector means one is created', async () => {
    const { checks, context } = await preflight(fixture('fresh-account'));
    const lambda = check(checks, 'lambda-concurrency');
    expect(lambda.status).toBe('fail');
    expect(lambda.detail).toContain('unreserved 10');
    expect(lambda.fix).toContain('--service-code lambda --quota-code L-B99A9384');
    expect(check(checks, 'lambda-account-limit').status).toBe('fail');
    const boot = check(checks, 'bootstrap');
    expect(boot.status).toBe('fail');
    expect(boot.fix).toContain('cdk bootstrap aws://<account>/eu-west-1');
    expect(check(checks, 'guardduty')).toMatchObject({ status: 'pass', detail: expect.stringContaining('will be created') });
    expect(check(checks, 'cloudtrail').status).toBe('pass');
    expect(check(checks, 'quota-msk-brokers')).toMatchObject({ status: 'pass', detail: expect.stringContaining('need 2') });
    expect(context.guardDutyDetectorId).toBeUndefined();
    // eu-west-1 needs no zone IDs, but the preflight still names stable ones, first zones by name.
    expect(context.availabilityZoneIds).toBe('euw1-az3,euw1-az1');
  });

  test('organization member: the detector is adopted and its id printed; the organization trail is seen; a denied quota call warns', async () => {
    const { checks, context } = await preflight(fixture('organization-member'), 'prod');
    expect(check(checks, 'guardduty')).toMatchObject({ status: 'pass', fix: 'pin it: -c guardDutyDetectorId=12abc34d567e8fa901bc2d34e56789f0' });
    expect(context.guardDutyDetectorId).toBe('12abc34d567e8fa901bc2d34e56789f0');
    const trail = check(checks, 'cloudtrail');
    expect(trail.status).toBe('pass');
    expect(trail.detail).toContain('1 organization trail(s)');
    expect(trail.detail).toContain('aws-controltower-BaselineCloudTrail');
    const msk = check(checks, 'quota-msk-brokers');
    expect(msk.status).toBe('warn');
    expect(msk.fix).toContain('servicequotas:GetServiceQuota');
    expect(check(checks, 'bootstrap')).toMatchObject({ status: 'pass', detail: expect.stringContaining('version 27') });
    expect(context.availabilityZoneIds).toBe('euc1-az2,euc1-az3,euc1-az1'); // prod: three zones
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  test('us-east-1 whose first zone is use1-az3: the chosen IDs skip it and are printed as required', async () => {
    const { checks, context } = await preflight(fixture('us-east-1-az3-first'), 'prod');
    const zones = check(checks, 'zones');
    expect(zones.status).toBe('pass');
    expect(zones.detail).toContain('skipped us-east-1a (use1-az3)');
    expect(context.availabilityZoneIds).toBe('use1-az1,use1-az2,use1-az4');
    expect(zones.fix).toBe('required in this region: -c availabilityZoneIds=use1-az1,use1-az2,use1-az4');
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  test('given zone IDs are checked: use1-az3 or an ID the region lacks fail, with IDs to use instead', async () => {
    const bad = await preflight(fixture('us-east-1-az3-first'), 'dev', ['use1-az3', 'use1-az1']);
    expect(check(bad.checks, 'zones')).toMatchObject({ status: 'fail', fix: 'use -c availabilityZoneIds=use1-az1,use1-az2' });
    const missing = await preflight(fixture('us-east-1-az3-first'), 'dev', ['use1-az1', 'use1-az9']);
    expect(check(missing.checks, 'zones').detail).toContain('use1-az9 not available in us-east-1');
    const good = await preflight(fixture('us-east-1-az3-first'), 'dev', ['use1-az6', 'use1-az4']);
    expect(check(good.checks, 'zones').status).toBe('pass');
    expect(good.context.availabilityZoneIds).toBe('use1-az6,use1-az4');
  });

  test('five trails of its own in the region fail (the stack adds one); an old bootstrap fails', async () => {
    const recorded = fixture('us-east-1-az3-first');
    const [first] = recorded.cloudTrail.DescribeTrails.trailList;
    recorded.cloudTrail.DescribeTrails.trailList = [1, 2, 3, 4, 5].map((n) => ({ ...first, Name: `trail-${n}` }));
    recorded.cloudFormation.DescribeStacks.Stacks[0].Outputs[1].OutputValue = '5';
    const { checks } = await preflight(recorded);
    expect(check(checks, 'cloudtrail')).toMatchObject({ status: 'fail', detail: expect.stringContaining('5 own trail(s)') });
    expect(check(checks, 'bootstrap')).toMatchObject({ status: 'fail', detail: expect.stringContaining('version 5; the template needs 6') });
  });

  test('too few zones MSK supports fail; an API error becomes a warning naming the permission, never a crash', async () => {
    const recorded = fixture('us-east-1-az3-first');
    recorded.ec2.DescribeAvailabilityZones.AvailabilityZones = recorded.ec2.DescribeAvailabilityZones.AvailabilityZones.slice(0, 2);
    recorded.lambda.GetAccountSettings = { $error: { name: 'AccessDeniedException', message: 'not authorized to perform: lambda:GetAccountSettings' } };
    const { checks } = await preflight(recorded, 'prod');
    expect(check(checks, 'zones')).toMatchObject({ status: 'fail', detail: expect.stringContaining('1 available zone(s) MSK supports') });
    expect(check(checks, 'lambda-concurrency')).toMatchObject({ status: 'warn', fix: expect.stringContaining('lambda:GetAccountSettings') });
  });
});

describe('preflight without usable credentials', () => {
  test('every check fails naming the sign-in fix: a preflight that checked nothing never reads as "0 failed"', async () => {
    const noCredentials = { $error: { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' } };
    const recorded = fixture('fresh-account');
    for (const service of ['lambda', 'guardDuty', 'cloudTrail', 'ec2', 'cloudFormation', 'serviceQuotas']) {
      for (const call of Object.keys(recorded[service])) recorded[service][call] = noCredentials;
    }
    const { checks } = await preflight(recorded);
    expect(checks.length).toBeGreaterThanOrEqual(7);
    for (const c of checks) {
      expect(c).toMatchObject({ status: 'fail', detail: expect.stringContaining('no usable AWS credentials'), fix: expect.stringContaining('aws sso login') });
    }
  });
});

describe('CLI', () => {
  test('arguments: -c pairs, --region or AWS_REGION, profile resolved; bad ones are usage errors', () => {
    const args = parseCliArgs(['-c', 'profile=prod', '-c', 'availabilityZoneIds=use1-az1,use1-az2,use1-az4', '--region', 'us-east-1'], {});
    expect(args).toMatchObject({ region: 'us-east-1', profile: { name: 'prod' }, context: { availabilityZoneIds: 'use1-az1,use1-az2,use1-az4' } });
    expect(parseCliArgs([], { AWS_REGION: 'eu-west-1' })).toMatchObject({ region: 'eu-west-1', profile: { name: 'dev' } });
    expect(() => parseCliArgs([], {})).toThrow(UsageError);
    expect(() => parseCliArgs(['--region', 'Ireland'], {})).toThrow(/not a region name/);
    expect(() => parseCliArgs(['-c', 'profile'], { AWS_REGION: 'eu-west-1' })).toThrow(/key=value/);
    expect(() => parseCliArgs(['--bogus'], { AWS_REGION: 'eu-west-1' })).toThrow(UsageError);
  });

  async function run(argv: string[], recorded: Json) {
    let out = '';
    let err = '';
    const code = await main(argv, {
      clients: () => fakeAccount(recorded), env: {}, out: (t) => (out += t), err: (t) => (err += t),
      synthesize: () => { throw new Error('the tests pass --template'); },
    });
    return { code, out, err };
  }

  test('exit 1 with the failing checks and their fixes for the fresh account', async () => {
    const { code, out } = await run(['--region', 'eu-west-1', '--template', TEMPLATE], fixture('fresh-account'));
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL\s+lambda-concurrency/m);
    expect(out).toMatch(/^FAIL\s+bootstrap/m);
    expect(out).toContain('fix: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384');
  });

  test('exit 0 and the context line to deploy with for the us-east-1 account', async () => {
    const { code, out } = await run(['-c', 'profile=prod', '--region', 'us-east-1', '--template', TEMPLATE], fixture('us-east-1-az3-first'));
    expect(code).toBe(0);
    expect(out).toContain('AWS_REGION=us-east-1 npx cdk deploy -c profile=prod -c availabilityZoneIds=use1-az1,use1-az2,use1-az4');
  });

  test('exit 2 on a bad argument or a missing template', async () => {
    expect((await run(['--region', 'eu-west-1', '--nope'], fixture('fresh-account'))).code).toBe(2);
    const missing = await run(['--region', 'eu-west-1', '--template', path.join(FIXTURES, 'absent.json')], fixture('fresh-account'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('could not read the template');
  });

  test('the script as npm runs it: --help exits 0; without a region it exits 2 before any AWS call', async () => {
    const env = { ...process.env };
    delete env.AWS_REGION;
    delete env.AWS_DEFAULT_REGION;
    const spawnScript = (args: string[]) => runScript('scripts/preflight.ts', args, env);
    const help = await spawnScript(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run preflight');
    const noRegion = await spawnScript(['-c', 'profile=dev']);
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toContain('no region: pass --region');
  });
});
