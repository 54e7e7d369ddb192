/**
 * Testing helpers for teams' CI (`secure-data-pipeline/testing`): synthesize a stack under every compliance pack,
 * assert nothing is left unacknowledged, assert every acknowledgement still matches a live finding, and a snapshot
 * serializer that normalizes churn (asset hashes, CDK metadata). The project's own tests use the same helpers.
 *
 * No test runner is imported: assertions throw plain `Error`s, so these work under Jest, Vitest, node:test or mocha.
 * `stableTemplateSerializer` has the shape of a Jest/Vitest snapshot serializer (`test` + `serialize`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import {
  Acknowledgement,
  AUDIT_ACKNOWLEDGEMENTS_CONTEXT,
  ComplianceOptions,
  createCompliantApp,
  Finding,
  listAcknowledgements,
  readFindings,
} from '../compliance';
import { ConfigurationError } from '../errors';

/** Adds a team's stacks to the app it is given. */
export type BuildApp = (app: App) => void;

export interface SynthOptions {
  /**
   * Context of the app, e.g. the `context` of the team's cdk.json (feature flags) and any of its own keys.
   * @default {}
   */
  readonly context?: Record<string, unknown>;
  /** Bundle Lambda assets (esbuild/Docker) during synth. Tests rarely need it and it is slow. @default false */
  readonly bundling?: boolean;
  /** Where the cloud assembly is written. @default a new temporary directory */
  readonly outdir?: string;
  /** Options of the packs, e.g. `additionalPacks` of the team's own. @default none */
  readonly compliance?: ComplianceOptions;
}

export interface ComplianceResult {
  /** Unacknowledged findings of every pack (errors and warnings), one per rule and resource. */
  readonly findings: Finding[];
  /** Every acknowledgement made through `acknowledge()` in the app. */
  readonly acknowledgements: Acknowledgement[];
  /** The error synth threw (unacknowledged errors or warnings, or anything else), if any. */
  readonly error?: Error;
  readonly app: App;
  /** The cloud assembly directory. */
  readonly outdir: string;
}

function checkBuild(where: string, build: unknown): void {
  if (typeof build !== 'function') {
    throw new ConfigurationError(where, [{
      path: 'build',
      problem: `must be a function (app) => void that adds the stacks to the app, got ${build === null ? 'null' : typeof build}`,
      fix: 'pass e.g. (app) => new MyStack(app, \'MyStack\')',
    }]);
  }
}

function checkContext(where: string, context: unknown): void {
  if (context !== undefined && (context === null || typeof context !== 'object' || Array.isArray(context))) {
    throw new ConfigurationError(where, [{
      path: 'options.context',
      problem: `must be an object of context keys, got ${Array.isArray(context) ? 'an array' : context === null ? 'null' : typeof context}`,
      fix: 'pass the "context" object of your cdk.json, e.g. { context: require(\'../cdk.json\').context }',
    }]);
  }
}

/**
 * Builds into an app with every pack enforced (as `createCompliantApp()` does), synthesizes, and returns what the
 * packs found. Never throws for findings: a failed synth is returned as `error`.
 */
export function synthWithEveryPack(build: BuildApp, options: SynthOptions = {}): ComplianceResult {
  checkBuild('synthWithEveryPack', build);
  checkContext('synthWithEveryPack', options.context);
  const outdir = options.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-test-'));
  const context = { ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context };
  const app = createCompliantApp({ outdir, context }, options.compliance);
  build(app);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  return { findings: readFindings(outdir), acknowledgements: listAcknowledgements(app), app, outdir, ...(error ? { error } : {}) };
}

/** Context under which `acknowledge()` records acknowledgements but does not apply them. */
export function auditContext(): Record<string, unknown> {
  return { [AUDIT_ACKNOWLEDGEMENTS_CONTEXT]: true };
}

export interface AuditedSynth {
  /** The synth as deployed: acknowledgements applied. */
  readonly result: ComplianceResult;
  /** The same app with acknowledgements recorded but not applied: what each acknowledgement silences. */
  readonly audit: ComplianceResult;
}

/** Synthesizes `build` under every pack twice: as is, and with acknowledgements recorded but not applied. */
export function synthAndAudit(build: BuildApp, options: SynthOptions = {}): AuditedSynth {
  checkBuild('synthAndAudit', build);
  checkContext('synthAndAudit', options.context);
  const { outdir, ...rest } = options;
  return {
    result: synthWithEveryPack(build, { ...rest, ...(outdir ? { outdir: path.join(outdir, 'result') } : {}) }),
    audit: synthWithEveryPack(build, {
      ...rest,
      context: { ...options.context, ...auditContext() },
      ...(outdir ? { outdir: path.join(outdir, 'audit') } : {}),
    }),
  };
}

function describeFinding(f: Finding): string {
  return `  - ${f.ruleId} on ${f.path} (${f.severity}): ${f.description.split('\n')[0]}`;
}

/**
 * Throws unless the synth succeeded with no unacknowledged error or warning of any pack. The message names each
 * rule and construct path: fix the resource, or `acknowledge()` it on that one resource with a real reason.
 */
export function assertNoUnacknowledgedFindings(result: ComplianceResult): void {
  if (result.findings.length > 0) {
    throw new Error(
      `${result.findings.length} unacknowledged finding${result.findings.length === 1 ? '' : 's'}:\n`
      + result.findings.map(describeFinding).join('\n')
      + '\nFix each resource, or acknowledge() the rule on that one resource with a reason that says why it cannot be fixed.',
    );
  }
  if (result.error) {
    throw new Error(`synth failed with no finding reported: ${result.error.message}`);
  }
}

/** Acknowledgements that silence nothing, and findings of the audit synth that no acknowledgement covers. */
export interface AcknowledgementAudit {
  /** Acknowledgements with no finding of their rule on their resource: remove them. */
  readonly stale: Acknowledgement[];
  /** Findings with acknowledgements off that no acknowledgement accounts for. */
  readonly unaccounted: Finding[];
}

function findingKey(f: Finding): string {
  return `${f.pack}::${f.ruleId} ${f.path}`;
}

/** Compares the acknowledgements of `result` with what the `audit` synth (acknowledgements off) found. */
export function auditAcknowledgements(result: ComplianceResult, audit: ComplianceResult): AcknowledgementAudit {
  const found = new Set(audit.findings.map(findingKey));
  const acknowledged = new Set(result.acknowledgements.map((a) => `${a.id} ${a.path}`));
  return {
    stale: result.acknowledgements.filter((a) => !found.has(`${a.id} ${a.path}`)),
    unaccounted: audit.findings.filter((f) => !acknowledged.has(findingKey(f))),
  };
}

/**
 * Throws unless every acknowledgement silences a finding that really exists on exactly its resource, and with
 * acknowledgements off nothing else is found.
 */
export function assertAcknowledgementsMatchFindings(result: ComplianceResult, audit: ComplianceResult): void {
  const { stale, unaccounted } = auditAcknowledgements(result, audit);
  const problems: string[] = [];
  if (stale.length > 0) {
    problems.push(
      `${stale.length} acknowledgement${stale.length === 1 ? '' : 's'} no longer match${stale.length === 1 ? 'es' : ''} a finding (remove ${stale.length === 1 ? 'it' : 'them'}):\n`
      + stale.map((a) => `  - ${a.id} on ${a.path} ("${a.reason}")`).join('\n'),
    );
  }
  if (unaccounted.length > 0) {
    problems.push(
      `${unaccounted.length} finding${unaccounted.length === 1 ? '' : 's'} with acknowledgements off that no acknowledgement covers:\n`
      + unaccounted.map(describeFinding).join('\n'),
    );
  }
  if (problems.length === 0 && audit.findings.length !== result.acknowledgements.length) {
    problems.push(`the audit synth found ${audit.findings.length} findings for ${result.acknowledgements.length} acknowledgements`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/**
 * Everything a team's compliance test needs in one call: synthesizes under every pack as is and with
 * acknowledgements off, and throws unless nothing is unacknowledged and every acknowledgement matches a finding.
 */
export function checkCompliance(build: BuildApp, options: SynthOptions = {}): AuditedSynth {
  const synths = synthAndAudit(build, options);
  assertNoUnacknowledgedFindings(synths.result);
  assertAcknowledgementsMatchFindings(synths.result, synths.audit);
  return synths;
}

/** The synthesized template of the stack with construct id or path `stack` (after a successful synth). */
export function templateOf(result: ComplianceResult, stack: string): Record<string, unknown> {
  const stacks = result.app.node.findAll().filter(Stack.isStack) as Stack[];
  const match = stacks.find((s) => s.node.path === stack) ?? stacks.find((s) => s.node.id === stack);
  if (!match) {
    throw new ConfigurationError('templateOf', [{
      path: 'stack',
      problem: `no stack "${stack}" in the app`,
      fix: `use one of ${stacks.map((s) => `"${s.node.path}"`).join(', ') || '(none: build() added no stack)'}`,
    }]);
  }
  const file = path.join(Stage.of(match)!.outdir, match.templateFile);
  if (!fs.existsSync(file)) {
    throw new Error(`templateOf: ${file} was not written${result.error ? `; synth failed: ${result.error.message}` : ''}`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

const HASH = /[0-9a-f]{64}/g;
const HAS_HASH = /[0-9a-f]{64}/;
const METADATA_KEYS = new Set(['AWS::CDK::Metadata', 'CDKMetadata']);

/**
 * A copy of `value` with churn replaced: 64-hex asset hashes become `[HASH]`, CDK version metadata is dropped.
 * Snapshots of it change only when the infrastructure does.
 */
export function normalizeTemplate<T>(value: T): T {
  return normalize(value) as T;
}

function normalize(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(HASH, '[HASH]');
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (METADATA_KEYS.has(k)) continue;
      out[k] = normalize(v);
    }
    return out;
  }
  return value;
}

const MARK = Symbol.for('secure-data-pipeline:stable');

function containsChurn(value: unknown): boolean {
  const text = JSON.stringify(value);
  return text !== undefined && (HAS_HASH.test(text) || text.includes('"CDKMetadata"'));
}

/**
 * Snapshot serializer (Jest `snapshotSerializers` / `expect.addSnapshotSerializer`, Vitest likewise) that prints
 * templates through `normalizeTemplate`.
 */
export const stableTemplateSerializer = {
  test(value: unknown): boolean {
    return !!value && typeof value === 'object' && !(value as Record<symbol, unknown>)[MARK] && containsChurn(value);
  },
  serialize<C, R>(
    value: unknown, config: C, indentation: string, depth: number, refs: R,
    printer: (value: unknown, config: C, indentation: string, depth: number, refs: R) => string,
  ): string {
    const stable = normalize(value) as Record<symbol, unknown>;
    Object.defineProperty(stable, MARK, { value: true, enumerable: false });
    return printer(stable, config, indentation, depth, refs);
  },
};
