/**
 * What the preflight compares the account with: the blueprint's template, read from a file (--template) or
 * synthesized in-process without the compliance packs and without bundling (env-agnostic, so no lookups).
 */
import * as fs from 'node:fs';
import { DatasetsConfig, Profile } from '../../lib/config';
import { synthesizeBlueprintTemplate } from '../blueprint-template';
import { TemplateFacts } from './checks';

/** What a template without a CheckBootstrapVersion rule is assumed to need (the modern bootstrap). */
const DEFAULT_BOOTSTRAP_VERSION = 6;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, read structurally
type Json = any;

/** Reserved concurrency summed over the functions, and the bootstrap version the template's rule asks for. */
export function templateFacts(template: Json): TemplateFacts {
  let reservedConcurrency = 0;
  for (const resource of Object.values<Json>(template?.Resources ?? {})) {
    if (resource?.Type !== 'AWS::Lambda::Function') continue;
    const reserved = Number(resource.Properties?.ReservedConcurrentExecutions ?? 0);
    if (Number.isFinite(reserved)) reservedConcurrency += reserved;
  }
  return { reservedConcurrency, bootstrapVersion: requiredBootstrapVersion(template) };
}

/** CDK's rule refuses the versions it lists (Fn::Contains [[1..5], Ref BootstrapVersion]): the next one is needed. */
function requiredBootstrapVersion(template: Json): number {
  const assertions: Json[] = template?.Rules?.CheckBootstrapVersion?.Assertions ?? [];
  const refused = assertions.flatMap((a) => a?.Assert?.['Fn::Not']?.[0]?.['Fn::Contains']?.[0] ?? [])
    .map(Number).filter(Number.isFinite);
  return refused.length > 0 ? Math.max(...refused) + 1 : DEFAULT_BOOTSTRAP_VERSION;
}

export function readTemplateFacts(file: string): TemplateFacts {
  return templateFacts(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** Synthesizes the blueprint stack for the profile and datasets (cdk.json's feature flags, no packs, no bundling). */
export function synthesizeTemplateFacts(root: string, profile: Profile, datasets: DatasetsConfig): TemplateFacts {
  return templateFacts(synthesizeBlueprintTemplate(root, profile, datasets));
}
