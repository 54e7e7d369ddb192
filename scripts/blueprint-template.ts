/**
 * The blueprint's template as the scripts read it (the preflight's facts, the architecture diagram): synthesized
 * in-process with cdk.json's feature flags, without the compliance packs and without bundling (env-agnostic, so no
 * lookups), in a temporary directory that is removed afterwards.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { DatasetsConfig, Profile } from '../lib/config';
import { SecurePipelineStack } from '../lib/stacks/secure-pipeline-stack';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, read structurally
type Json = any;

/** `root` is the repository (its cdk.json gives the context); the stack is `SecureDataPipeline-<profile>`. */
export function synthesizeBlueprintTemplate(root: string, profile: Profile, datasets: DatasetsConfig): Json {
  const context = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-blueprint-'));
  try {
    const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new SecurePipelineStack(app, `SecureDataPipeline-${profile.name}`, { profile, datasets });
    return app.synth().getStackByName(stack.stackName).template;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
