/**
 * Handler bundles: the size of each dist/lambda/<handler>/index.js against 1 MB, and its module initialisation in
 * a fresh `node` process (a cold-start proxy) against an empty handler's. Each run spawns
 * `node <probe> <bundle>` and the parent times the whole process. The target applies to what the bundle adds to
 * the empty handler's process (median wall time, bundle − empty). The AWS SDK stays external in the bundles, as
 * the Lambda runtime provides it: here it resolves from the repository's node_modules, as the runtime's would; the
 * probe requires those SDK packages first and times them apart from the bundle's own code (extra.sdkRequireMedianMs,
 * extra.ownRequireMedianMs), so a gap can be pinned on the SDK or on our code.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILT_IN_HANDLER_NAMES, BUNDLE_DIRECTORY, BUNDLE_FILE } from '../lib/constructs/compute/handler-bundles';
import { alternate, compare, failed, Measure, median, summarize, Target } from './stats';

export const BUNDLE_SIZE_TARGET: Target = { op: '<=', value: 1024 * 1024, of: 'value', unit: 'bytes' };
export const INIT_TARGET: Target = { op: '<=', value: 150, of: 'difference', unit: 'ms' };

/** What a handler may read at module load in Lambda; none of ours needs more than the runtime sets. */
const LAMBDA_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Bench',
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
};

/**
 * Requires the SDK packages the bundle leaves external first (timed apart: the runtime's share), then the bundle
 * (its own code, the SDK modules already loaded). Prints both times as JSON.
 */
const PROBE = `const path = require('path');
const bundle = process.argv[2];
const sdk = JSON.parse(process.argv[3] || '[]');
let t = process.hrtime.bigint();
for (const pkg of sdk) require(require.resolve(pkg, { paths: [path.dirname(bundle)] }));
const sdkMs = Number(process.hrtime.bigint() - t) / 1e6;
t = process.hrtime.bigint();
const mod = require(bundle);
const ownMs = Number(process.hrtime.bigint() - t) / 1e6;
if (typeof mod.handler !== 'function') { console.error('no exported handler'); process.exit(3); }
process.stdout.write(JSON.stringify({ sdkMs, ownMs }));
`;

interface Probe { readonly wallMs: number; readonly sdkMs: number; readonly ownMs: number }

/** The @aws-sdk packages each bundle leaves external, from esbuild's metafile (dist/lambda/meta.json). */
export function externalSdkPackages(metafile: unknown, handler: string): string[] {
  const outputs = (metafile as { outputs?: Record<string, { imports?: { path: string; external?: boolean }[] }> })?.outputs ?? {};
  const entry = Object.entries(outputs).find(([file]) => file.split(/[\\/]/).slice(-2).join('/') === `${handler}/${BUNDLE_FILE}`);
  const imports = entry?.[1].imports ?? [];
  return [...new Set(imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path))].sort();
}

function probe(probeFile: string, bundle: string, sdk: readonly string[]): Probe {
  const started = performance.now();
  const out = spawnSync(process.execPath, [probeFile, bundle, JSON.stringify(sdk)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...LAMBDA_ENV },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const wallMs = performance.now() - started;
  if (out.status !== 0) throw new Error(`node ${path.basename(path.dirname(bundle))}/index.js exited ${out.status}: ${(out.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
  const times = JSON.parse(out.stdout) as { sdkMs: number; ownMs: number };
  return { wallMs, ...times };
}

export async function benchBundles(root: string, runs: number): Promise<Measure[]> {
  const dir = path.join(root, BUNDLE_DIRECTORY);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-bench-'));
  const measures: Measure[] = [];
  try {
    const probeFile = path.join(tmp, 'probe.js');
    fs.writeFileSync(probeFile, PROBE);
    const empty = path.join(tmp, 'empty', BUNDLE_FILE);
    fs.mkdirSync(path.dirname(empty));
    fs.writeFileSync(empty, 'exports.handler = async () => ({});\n');

    const metaFile = path.join(dir, 'meta.json');
    const meta: unknown = fs.existsSync(metaFile) ? JSON.parse(fs.readFileSync(metaFile, 'utf8')) : {};
    const present = BUILT_IN_HANDLER_NAMES.filter((name) => fs.existsSync(path.join(dir, name, BUNDLE_FILE)));
    for (const name of BUILT_IN_HANDLER_NAMES.filter((n) => !present.includes(n))) {
      measures.push(failed(`bundle-size-${name}`, `bundle size: ${name}`, new Error(`${BUNDLE_DIRECTORY}/${name}/${BUNDLE_FILE} is missing; run npm run build:handlers`), BUNDLE_SIZE_TARGET));
    }
    for (const name of present) {
      const bytes = fs.statSync(path.join(dir, name, BUNDLE_FILE)).size;
      measures.push(compare(`bundle-size-${name}`, `bundle size: ${name}`, summarize(`${name}/index.js`, 'bytes', [bytes]), undefined, BUNDLE_SIZE_TARGET));
    }

    // Every bundle and the empty handler in one alternation, so they share the machine's moods.
    const probes: Record<string, Probe[]> = {};
    const sides: Record<string, () => number> = {};
    for (const name of ['empty', ...present]) {
      probes[name] = [];
      const file = name === 'empty' ? empty : path.join(dir, name, BUNDLE_FILE);
      const sdk = name === 'empty' ? [] : externalSdkPackages(meta, name);
      sides[name] = () => {
        const p = probe(probeFile, file, sdk);
        probes[name]!.push(p);
        return p.wallMs;
      };
    }
    let samples: Record<string, number[]>;
    try {
      samples = await alternate(sides, runs);
    } catch (e) {
      return [...measures, failed('bundle-init', 'bundle init (fresh node process)', e, INIT_TARGET)];
    }
    const emptySide = summarize('empty handler process', 'ms', samples.empty!);
    // The first round is the warm-up (alternate() drops it too).
    const medianOf = (name: string, pick: (p: Probe) => number) => Number(median(probes[name]!.slice(1).map(pick)).toFixed(1));
    for (const name of present) {
      measures.push(compare(
        `bundle-init-${name}`, `bundle init: ${name}`,
        summarize(`node + require ${name}`, 'ms', samples[name]!),
        emptySide,
        INIT_TARGET,
        {
          extra: {
            sdkRequireMedianMs: medianOf(name, (p) => p.sdkMs),
            ownRequireMedianMs: medianOf(name, (p) => p.ownMs),
            externalSdk: externalSdkPackages(meta, name).join(' '),
          },
        },
      ));
    }
    return measures;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
