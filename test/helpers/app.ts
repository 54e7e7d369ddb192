import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import {
  assertAcknowledgementsMatchFindings,
  assertNoUnacknowledgedFindings,
  auditContext,
  ComplianceResult,
  synthAndAudit as synthAndAuditWith,
  synthWithEveryPack,
} from '../../lib/testing';

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

export type { ComplianceResult } from '../../lib/testing';

/**
 * Builds into an app with every pack enforced, synthesizes, and returns what the packs found. `flags` replaces the
 * cdk.json context, e.g. `{}` for an app that sets no feature flag at all.
 */
export function synthWithCompliance(
  build: (app: App) => void, context: Record<string, unknown> = {}, flags: Record<string, unknown> = CDK_JSON_CONTEXT,
): ComplianceResult {
  return synthWithEveryPack(build, { context: { ...flags, ...context } });
}

/** The blueprint stack for a profile and the example datasets. */
export function buildPipelineStack(app: App, profileName = 'dev'): SecurePipelineStack {
  return new SecurePipelineStack(app, `SecureDataPipeline-${profileName}`, {
    profile: resolveProfile(profileName),
    datasets: loadDatasetsConfig(EXAMPLE_DATASETS),
  });
}

export { auditContext };

export function templateOf(scope: IConstruct): Template {
  return Template.fromStack(Stack.of(scope));
}

/** Synthesizes `build` under every pack twice (with the cdk.json context): as is, and with acknowledgements off. */
export function synthAndAudit(build: (app: App) => void, context: Record<string, unknown> = {}): { result: ComplianceResult; audit: ComplianceResult } {
  return synthAndAuditWith(build, { context: { ...CDK_JSON_CONTEXT, ...context } });
}

/** Nothing unacknowledged, errors or warnings, and the synth did not fail. */
export const expectNoFindings: (result: ComplianceResult) => void = assertNoUnacknowledgedFindings;

/**
 * Every acknowledgement silences a finding that really exists on exactly its resource, and with acknowledgements
 * off nothing else is found.
 */
export const expectAcknowledgementsMatchFindings: (result: ComplianceResult, audit: ComplianceResult) => void =
  assertAcknowledgementsMatchFindings;
