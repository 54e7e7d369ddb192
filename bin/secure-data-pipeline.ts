#!/usr/bin/env node
/** The blueprint app: one stack for a profile (-c profile=dev|prod) and a datasets config (-c datasets=<file>). */
import * as path from 'path';
import { createCompliantApp } from '../lib/compliance';
import { loadDatasetsConfig, profileOverridesFromContext, resolveProfile } from '../lib/config';
import { ConfigurationError } from '../lib/errors';
import { SecurePipelineStack } from '../lib/stacks/secure-pipeline-stack';
import { ensureHandlerBundles } from '../scripts/build-handlers';

export const DEFAULT_DATASETS_FILE = path.join(__dirname, '..', 'examples', 'datasets.json');

async function main(): Promise<void> {
  // In the repository the handler bundles are rebuilt here when missing or older than their sources, so a fresh
  // clone or an edited handler synthesizes without a separate step (the constructs themselves only check).
  await ensureHandlerBundles();
  const app = createCompliantApp();
  const profile = resolveProfile(app.node.tryGetContext('profile'), profileOverridesFromContext((key) => app.node.tryGetContext(key)));
  const datasets = loadDatasetsConfig(app.node.tryGetContext('datasets') ?? DEFAULT_DATASETS_FILE);
  const account = app.node.tryGetContext('account') as string | undefined;
  const region = app.node.tryGetContext('region') as string | undefined;
  new SecurePipelineStack(app, `SecureDataPipeline-${profile.name}`, {
    profile,
    datasets,
    description: `secure-data-pipeline (${profile.name})`,
    ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
  });
  app.synth();
}

main().catch((e: unknown) => {
  if (e instanceof ConfigurationError) {
    console.error(e.message);
    process.exit(1);
  }
  console.error(e);
  process.exit(1);
});
