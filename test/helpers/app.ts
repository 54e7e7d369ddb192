import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { Acknowledgement, AUDIT_ACKNOWLEDGEMENTS_CONTEXT, createCompliantApp, Finding, listAcknowledgements, readFindings } from '../../lib/compliance';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';

/** The context of cdk.json (feature flags), so tests synthesize what `npx cdk synth` does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

export const EXAMPLE_DATASETS = path.join(__dirname, '..', '..', 'examples', 'datasets.json');

function tmpOutdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-test-'));
}

/** An app with the project's feature flags and no Lambda bundling (construct tests; the real synth bundles). */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: tmpOutdir(),
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
  });
}

export function testStack(context: Record<string, unknown> = {}): Stack {
  return new Stack(testApp(context), 'TestStack');
}

export interface ComplianceResult {
  readonly findings: Finding[];
  readonly acknowledgements: Acknowledgement[];
  /** The error synth threw (unacknowledged errors or warnings), if any. */
  readonly error?: Error;
  readonly app: App;
  readonly outdir: string;
}

/**
 * Builds into an app with every pack enforced, synthesizes, and returns what the packs found. `flags` replaces the
 * cdk.json context, e.g. `{}` for an app that sets no feature flag at all.
 */
export function synthWithCompliance(
  build: (app: App) => void, context: Record<string, unknown> = {}, flags: Record<string, unknown> = CDK_JSON_CONTEXT,
): ComplianceResult {
  const outdir = tmpOutdir();
  const app = createCompliantApp({ outdir, context: { ...flags, 'aws:cdk:bundling-stacks': [], ...context } });
  build(app);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  return { findings: readFindings(outdir), acknowledgements: listAcknowledgements(app), app, outdir, ...(error ? { error } : {}) };
}

/** The blueprint stack for a profile and the example datasets. */
export function buildPipelineStack(app: App, profileName = 'dev'): SecurePipelineStack {
  return new SecurePipelineStack(app, `SecureDataPipeline-${profileName}`, {
    profile: resolveProfile(profileName),
    datasets: loadDatasetsConfig(EXAMPLE_DATASETS),
  });
}

export function auditContext(): Record<string, unknown> {
  return { [AUDIT_ACKNOWLEDGEMENTS_CONTEXT]: true };
}

export function templateOf(scope: IConstruct): Template {
  return Template.fromStack(Stack.of(scope));
}

/** Synthesizes `build` under every pack twice: as is, and with acknowledgements recorded but not applied. */
export function synthAndAudit(build: (app: App) => void, context: Record<string, unknown> = {}): { result: ComplianceResult; audit: ComplianceResult } {
  return { result: synthWithCompliance(build, context), audit: synthWithCompliance(build, { ...context, ...auditContext() }) };
}

/** Nothing unacknowledged, errors or warnings, and the synth did not fail. */
export function expectNoFindings(result: ComplianceResult): void {
  expect(result.findings).toEqual([]);
  expect(result.error).toBeUndefined();
}

/**
 * Every acknowledgement silences a finding that really exists on exactly its resource, and with acknowledgements
 * off nothing else is found.
 */
export function expectAcknowledgementsMatchFindings(result: ComplianceResult, audit: ComplianceResult): void {
  const found = new Set(audit.findings.map((f) => `${f.pack}::${f.ruleId} ${f.path}`));
  expect(result.acknowledgements.filter((a) => !found.has(`${a.id} ${a.path}`))).toEqual([]);
  expect(audit.findings.length).toBe(result.acknowledgements.length);
}
