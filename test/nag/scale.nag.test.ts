/**
 * 1, 10, 50 and 100 datasets (ten per group, every classification and field handling, half with source auth)
 * synthesize with every pack and no finding, and every template (the main stack and each group's nested stack)
 * stays within 80% of CloudFormation's quotas: resources, outputs, parameters and template size. The main stack
 * does not grow with the number of datasets.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { resolveProfile } from '../../lib/config';
import { CLOUDFORMATION_TEMPLATE_LIMITS } from '../../lib/constructs/pipeline/stack-limits';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import { synthWithEveryPack } from '../../lib/testing';
import { CDK_JSON_CONTEXT } from '../helpers/app';
import { generatedDatasets } from '../helpers/generated-datasets';

/** CloudFormation takes a template of up to 1 MB from S3 (CDK uploads every template there). */
const TEMPLATE_BYTES_LIMIT = 1_000_000;
const TEST_HEADROOM = 0.8;

const mainResources = new Map<number, number>();

test.each([1, 10, 50, 100])('%i datasets: every pack passes, every template within 80%% of the quotas', (count) => {
  let stack: SecurePipelineStack | undefined;
  const result = synthWithEveryPack((app) => {
    stack = new SecurePipelineStack(app, `Scale${count}`, { profile: resolveProfile('dev'), datasets: generatedDatasets(count, 10) });
  }, { context: CDK_JSON_CONTEXT });
  expect(result.error?.message.slice(0, 2000)).toBeUndefined();
  expect(result.findings).toEqual([]);
  const stacks: Stack[] = [stack!, ...stack!.pipeline.groups.values()];
  expect(stacks).toHaveLength(1 + Math.ceil(count / 10));
  for (const s of stacks) {
    const file = path.join(result.outdir, s.templateFile);
    const template = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown> | undefined>;
    const usage = {
      resources: Object.keys(template.Resources ?? {}).length / CLOUDFORMATION_TEMPLATE_LIMITS.resources,
      outputs: Object.keys(template.Outputs ?? {}).length / CLOUDFORMATION_TEMPLATE_LIMITS.outputs,
      parameters: Object.keys(template.Parameters ?? {}).length / CLOUDFORMATION_TEMPLATE_LIMITS.parameters,
      bytes: fs.statSync(file).size / TEMPLATE_BYTES_LIMIT,
    };
    for (const [kind, share] of Object.entries(usage)) expect([s.node.path, kind, share <= TEST_HEADROOM]).toEqual([s.node.path, kind, true]);
  }
  mainResources.set(count, Object.keys(JSON.parse(fs.readFileSync(path.join(result.outdir, stack!.templateFile), 'utf8')).Resources).length);
  // The main stack holds one nested stack resource per group and nothing per dataset.
  if (mainResources.has(10)) {
    expect(mainResources.get(count)! - mainResources.get(10)!).toBeLessThanOrEqual(Math.ceil(count / 10) - 1);
  }
}, 900_000);
