/**
 * Fuzzed whole pipelines: random datasets configs (1 to 100 datasets, every field type and handling, with and without
 * source auth, with and without groups, some made careless) and random profiles either raise a ConfigurationError
 * naming each problem (or, at synth, the quota check naming the limit and the fix), or synthesize templates that pass
 * every pack within CloudFormation's quotas. Never an insecure template, never an unexplained exception.
 *
 * Bounded in `npm test` (construction of up to 100 datasets, a few full synths of up to 12); raise the runs with
 * PROPERTY_RUNS / PROPERTY_SYNTH_RUNS for a longer hunt.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import fc from 'fast-check';
import { Classification } from '../../lib/classification';
import { DatasetConfig, Profile, validateDatasetsConfig } from '../../lib/config';
import { CLOUDFORMATION_TEMPLATE_LIMITS } from '../../lib/constructs/pipeline/stack-limits';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import { ConfigurationError } from '../../lib/errors';
import { synthWithEveryPack } from '../../lib/testing';
import { CDK_JSON_CONTEXT, testApp } from '../helpers/app';
import { attempt, FEW, MANY, validDataset, validProfile } from './support/props';

const GROUPS = ['alpha', 'beta', 'gamma', 'delta_team', 'epsilon'];

/** One way a team gets a dataset wrong, or none (most of the time). */
type Carelessness = 'none' | 'http-source' | 'restricted-kept' | 'bad-group' | 'no-fields' | 'bad-schedule';

const carelessness: fc.Arbitrary<Carelessness> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('none' as const) },
  { weight: 1, arbitrary: fc.constantFrom('http-source', 'restricted-kept', 'bad-group', 'no-fields', 'bad-schedule') as fc.Arbitrary<Carelessness> },
);

function spoil(d: DatasetConfig & { group?: string }, how: Carelessness): Record<string, unknown> {
  switch (how) {
    case 'none': return d as unknown as Record<string, unknown>;
    case 'http-source': return { ...d, source: { ...d.source, url: d.source.url.replace('https:', 'http:') } };
    case 'restricted-kept': return { ...d, classification: Classification.RESTRICTED, fields: d.fields.map((f) => ({ ...f, classification: Classification.RESTRICTED, handling: 'keep' })) };
    case 'bad-group': return { ...d, group: 'Team Group' };
    case 'no-fields': return { ...d, fields: [] };
    case 'bad-schedule': return { ...d, source: { ...d.source, schedule: 'rate(1 hours)' } };
  }
}

/** A raw datasets document of 1 to `max` datasets (as a team would write it), and whether anything in it was spoilt. */
function pipelineConfig(max: number): fc.Arbitrary<{ raw: { datasets: Record<string, unknown>[] }; spoilt: boolean }> {
  return fc.integer({ min: 1, max })
    .chain((count) => fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/), { minLength: count, maxLength: count }))
    .chain((names) => fc.tuple(...names.map((name) => fc.tuple(validDataset(name), fc.option(fc.constantFrom(...GROUPS), { nil: undefined }), carelessness))))
    .map((entries) => ({
      raw: { datasets: entries.map(([d, group, how]) => spoil({ ...d, ...(group ? { group } : {}) }, how)) },
      spoilt: entries.some(([, , how]) => how !== 'none'),
    }));
}

/** Builds the blueprint stack; a ConfigurationError (every problem with path, problem and fix) or a stack. */
function build(app: App, raw: unknown, profile: Profile): SecurePipelineStack | undefined {
  let stack: SecurePipelineStack | undefined;
  const outcome = attempt(() => {
    stack = new SecurePipelineStack(app, 'Fuzzed', { profile, datasets: validateDatasetsConfig(raw, 'fuzzed datasets') });
  });
  return 'refused' in outcome ? undefined : stack;
}

test('random configs of 1 to 100 datasets are refused naming each problem, or build', () => {
  fc.assert(fc.property(pipelineConfig(100), validProfile, ({ raw, spoilt }, profile) => {
    const stack = build(testApp(), raw, profile);
    // A spoilt dataset is always refused; an unspoilt config is never refused at construction.
    expect(stack === undefined).toBe(spoilt);
  }), { numRuns: Math.max(4, Math.ceil(MANY.numRuns / 20)) });
}, 900_000);

test('random valid configs synthesize with every pack within the quotas, or synth names the quota and the fix', () => {
  fc.assert(fc.property(pipelineConfig(12).filter(({ spoilt }) => !spoilt), validProfile, ({ raw }, profile) => {
    let stack: SecurePipelineStack | undefined;
    const result = synthWithEveryPack((app) => {
      stack = new SecurePipelineStack(app, 'Fuzzed', { profile, datasets: validateDatasetsConfig(raw, 'fuzzed datasets') });
    }, { context: CDK_JSON_CONTEXT });
    if (result.error) {
      // The only acceptable failure: too many datasets in one template, named with the limit and the fix.
      expect(result.error).not.toBeInstanceOf(ConfigurationError);
      expect(result.error.message).toMatch(/would hold \d+ (resources|outputs|parameters): CloudFormation allows \d+ per template[\s\S]*Fix: /);
      return;
    }
    expect(result.findings).toEqual([]);
    for (const s of [stack!, ...stack!.pipeline.groups.values()] as Stack[]) {
      const template = JSON.parse(fs.readFileSync(path.join(result.outdir, s.templateFile), 'utf8')) as Record<string, object | undefined>;
      expect(Object.keys(template.Resources ?? {}).length).toBeLessThanOrEqual(CLOUDFORMATION_TEMPLATE_LIMITS.resources);
      expect(Object.keys(template.Outputs ?? {}).length).toBeLessThanOrEqual(CLOUDFORMATION_TEMPLATE_LIMITS.outputs);
      expect(Object.keys(template.Parameters ?? {}).length).toBeLessThanOrEqual(CLOUDFORMATION_TEMPLATE_LIMITS.parameters);
    }
  }), { numRuns: FEW.numRuns });
}, 900_000);
