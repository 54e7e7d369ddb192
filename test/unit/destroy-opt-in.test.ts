/**
 * The documented teardown opt-in, through the real entry point: bin/secure-data-pipeline.ts run as `cdk synth` runs
 * it (the cdk.json context plus -c values in CDK_CONTEXT_JSON, the assembly to CDK_OUTDIR), with every pack enforced.
 * `-c profile=dev -c destroyData=true` must synthesize with zero unacknowledged findings and delete every stateful
 * resource; `-c profile=prod -c destroyData=true` must keep everything. Lambda bundling is skipped as in every
 * construct test: it changes assets, not what is retained or what the packs find.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CDK_JSON_CONTEXT } from '../helpers/app';
import { isDeleted, isRetained, statefulResources, TemplateResource } from '../helpers/stateful';

const ROOT = path.join(__dirname, '..', '..');

interface Violation { ruleName: string; violatingConstructs: Array<{ constructPath?: string }> }
interface Report { pluginReports: Array<{ pluginName: string; violations: Violation[]; suppressedViolations?: Violation[] }> }
type Template = { Resources: Record<string, TemplateResource> };

interface BlueprintSynth {
  readonly status: number | null;
  readonly output: string;
  readonly template: Template;
  /** `rule @ path` of every finding no acknowledgement covers. */
  readonly unacknowledged: string[];
  /** `rule @ path` of every finding an acknowledgement silenced. */
  readonly acknowledged: string[];
}

function synthBlueprint(context: Record<string, string>): BlueprintSynth {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-optin-'));
  const run = spawnSync('npx', ['tsx', 'bin/secure-data-pipeline.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] }),
    },
    timeout: 240_000,
  });
  const stackName = `SecureDataPipeline-${context.profile}`;
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  const list = (pick: (r: Report['pluginReports'][number]) => Violation[] | undefined) => report.pluginReports
    .flatMap((r) => (pick(r) ?? []).flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} @ ${c.constructPath}`)));
  return {
    status: run.status,
    output: `${run.stdout}\n${run.stderr}`,
    template: JSON.parse(fs.readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as Template,
    unacknowledged: list((r) => r.violations),
    acknowledged: list((r) => r.suppressedViolations),
  };
}

const DELETION_PROTECTION_RULES = [
  'AwsSolutions-RDS10', 'HIPAA.Security-RDSInstanceDeletionProtectionEnabled', 'NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
];
const isDeletionProtectionRule = (finding: string) => DELETION_PROTECTION_RULES.some((rule) => finding.startsWith(`${rule} @`));

describe('`-c profile=dev -c destroyData=true` (the documented dev teardown)', () => {
  let synth: BlueprintSynth;
  beforeAll(() => {
    synth = synthBlueprint({ profile: 'dev', destroyData: 'true' });
  }, 300_000);

  test('synthesizes: exit 0 and zero unacknowledged findings in every pack', () => {
    expect(synth.unacknowledged).toEqual([]);
    expect({ status: synth.status, output: synth.status === 0 ? '' : synth.output }).toEqual({ status: 0, output: '' });
  });

  test('every stateful resource (buckets, database, tables, secrets, keys, queues, log groups, vault, MSK, topics) is deleted with the stack', () => {
    const stateful = statefulResources(synth.template);
    expect(stateful.length).toBeGreaterThan(40);
    expect(stateful.filter((r) => !isDeleted(r))).toEqual([]);
  });

  test('what would block the teardown is gone: deletion protection, vault lock, recovery-point deny, tokenization-key deny', () => {
    const resources = Object.values(synth.template.Resources);
    expect(resources.filter((r) => r.Type === 'AWS::RDS::DBInstance').map((r) => r.Properties!.DeletionProtection)).toEqual([false]);
    expect(resources.filter((r) => r.Type === 'AWS::DynamoDB::Table').map((r) => r.Properties!.DeletionProtectionEnabled)).toEqual([false]);
    const vault = resources.find((r) => r.Type === 'AWS::Backup::BackupVault')!;
    expect(vault.Properties).not.toHaveProperty('LockConfiguration');
    expect(vault.Properties).not.toHaveProperty('AccessPolicy');
    const denies = resources.filter((r) => r.Type === 'AWS::SecretsManager::ResourcePolicy')
      .flatMap((r) => (r.Properties!.ResourcePolicy as { Statement: Array<{ Effect: string; Principal: unknown }> }).Statement)
      .filter((st) => st.Effect === 'Deny' && JSON.stringify(st.Principal) === '{"AWS":"*"}');
    expect(denies).toEqual([]);
    expect(resources.filter((r) => r.Type === 'AWS::S3::Bucket' && r.Properties!.ObjectLockEnabled)).toEqual([]);
  });

  test('deletion protection is acknowledged for its three rules on the database instance alone, and those findings are real', () => {
    const instance = 'SecureDataPipeline-dev/Pipeline/Database/Instance/Resource';
    expect(synth.acknowledged.filter(isDeletionProtectionRule).sort()).toEqual(DELETION_PROTECTION_RULES.map((rule) => `${rule} @ ${instance}`).sort());
  });
});

describe('`-c profile=prod -c destroyData=true` (the opt-in is ignored outside dev)', () => {
  let synth: BlueprintSynth;
  beforeAll(() => {
    synth = synthBlueprint({ profile: 'prod', destroyData: 'true' });
  }, 300_000);

  test('synthesizes with zero unacknowledged findings', () => {
    expect(synth.unacknowledged).toEqual([]);
    expect(synth.status).toBe(0);
  });

  test('keeps every stateful resource: DeletionPolicy RetainExceptOnCreate, UpdateReplacePolicy Retain', () => {
    const stateful = statefulResources(synth.template);
    expect(stateful.length).toBeGreaterThan(40);
    expect(stateful.filter((r) => !isRetained(r)).map((r) => r.path)).toEqual([]);
  });

  test('keeps the locks and denies: deletion protection on and not acknowledged, COMPLIANCE vault lock, locked trail files, undeletable tokenization key', () => {
    const resources = Object.values(synth.template.Resources);
    expect(resources.filter((r) => r.Type === 'AWS::RDS::DBInstance').map((r) => r.Properties!.DeletionProtection)).toEqual([true]);
    expect(synth.acknowledged.filter(isDeletionProtectionRule)).toEqual([]);
    expect(resources.find((r) => r.Type === 'AWS::Backup::BackupVault')!.Properties!.LockConfiguration).toHaveProperty('ChangeableForDays', 3);
    expect(resources.filter((r) => r.Type === 'AWS::S3::Bucket' && r.Properties!.ObjectLockEnabled)).toHaveLength(1);
    expect(JSON.stringify(resources.filter((r) => r.Type === 'AWS::SecretsManager::ResourcePolicy'))).toContain('"Sid":"NobodyDeletesTheTokenizationKey"');
  });
});
