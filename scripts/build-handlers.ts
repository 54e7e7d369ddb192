/**
 * Bundles every built-in Lambda handler with one esbuild call into dist/lambda/<name>/index.js (minified, external
 * source maps, CommonJS for Node 24), keeps esbuild's metafile (dist/lambda/meta.json) and writes the manifest the
 * constructs check freshness against (dist/lambda/manifest.json).
 *
 *   npm run build:handlers              build now
 *   tsx scripts/build-handlers.ts --if-stale   build only when a bundle is missing or its sources changed
 *
 * The AWS SDK v3 stays external (the Lambda runtime provides it), except packages the runtime may lack, which are
 * bundled with everything they import: @aws-sdk/rds-signer (the load stage's IAM database token).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as esbuild from 'esbuild';
import {
  BUILT_IN_HANDLER_NAMES, BUILT_IN_HANDLERS, BUNDLE_DIRECTORY, BUNDLE_FILE, bundleState, BundleState, forgetBundleState, HandlerManifest,
  MANIFEST_FILE, packageRoot, sha256OfFile,
} from '../lib/constructs/compute/handler-bundles';

/** SDK packages bundled rather than taken from the runtime. */
export const BUNDLED_SDK_PACKAGES: readonly string[] = ['@aws-sdk/rds-signer'];

/** Files that decide how the bundles are built, besides what esbuild reads: a change to them rebuilds. */
const BUILD_INPUTS = ['package-lock.json', 'scripts/build-handlers.ts', 'lib/constructs/compute/handler-bundles.ts'];

/**
 * `@aws-sdk/*` is external when a handler or a non-SDK package imports it, unless it is one of the bundled packages;
 * what a bundled SDK package imports is bundled with it (it runs against the versions it was installed with).
 */
const sdkExternals: esbuild.Plugin = {
  name: 'sdk-externals',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\// }, (args) => {
      const name = args.path.split('/').slice(0, 2).join('/');
      if (BUNDLED_SDK_PACKAGES.includes(name)) return undefined;
      const fromSdk = /[\\/]node_modules[\\/](@aws-sdk|@smithy)[\\/]/.test(args.importer);
      return fromSdk ? undefined : { path: args.path, external: true };
    });
  },
};

export interface BuildResult {
  readonly bytes: Readonly<Record<string, number>>;
  readonly milliseconds: number;
}

/** One esbuild call for every handler, into a fresh directory that replaces dist/lambda when it is complete. */
export async function buildHandlers(root: string = packageRoot()): Promise<BuildResult> {
  const started = Date.now();
  const target = path.join(root, BUNDLE_DIRECTORY);
  const building = `${target}.building-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: Object.fromEntries(BUILT_IN_HANDLER_NAMES.map((name) => [`${name}/index`, BUILT_IN_HANDLERS[name]])),
      outdir: building,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      metafile: true,
      logLevel: 'warning',
      // pg-native is an optional native add-on of pg that the handlers never use.
      external: ['pg-native'],
      plugins: [sdkExternals],
    });
    const inputs: Record<string, string> = {};
    for (const file of [...Object.keys(result.metafile.inputs), ...BUILD_INPUTS]) {
      const relative = path.relative(root, path.resolve(root, file)).split(path.sep).join('/');
      if (relative.startsWith('..') || relative.split('/').includes('node_modules')) continue;
      const hash = sha256OfFile(path.join(root, relative));
      if (hash !== undefined) inputs[relative] = hash;
    }
    const handlers: Record<string, { entry: string; bytes: number }> = {};
    for (const name of BUILT_IN_HANDLER_NAMES) {
      handlers[name] = { entry: BUILT_IN_HANDLERS[name], bytes: fs.statSync(path.join(building, name, BUNDLE_FILE)).size };
    }
    const manifest: HandlerManifest = { formatVersion: 1, handlers, inputs: Object.fromEntries(Object.entries(inputs).sort()) };
    // The metafile and manifest sit beside the handler directories, so no function's asset uploads them.
    fs.writeFileSync(path.join(building, 'meta.json'), JSON.stringify(result.metafile));
    fs.writeFileSync(path.join(building, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(building, target);
    forgetBundleState();
    return { bytes: Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, h.bytes])), milliseconds: Date.now() - started };
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
}

function describe(state: BundleState): string {
  if (state.state === 'missing') return `missing: ${state.handlers.join(', ')}`;
  if (state.state === 'stale') return `sources changed: ${state.changed.slice(0, 5).join(', ')}${state.changed.length > 5 ? ', ...' : ''}`;
  return 'fresh';
}

/** Builds when a bundle is missing or stale; says why on stderr. Returns whether it built. */
export async function ensureHandlerBundles(root: string = packageRoot()): Promise<boolean> {
  const state = bundleState(root);
  if (state.state === 'fresh') return false;
  process.stderr.write(`Building the Lambda handler bundles (${describe(state)})...\n`);
  await buildHandlers(root);
  return true;
}

async function main(): Promise<void> {
  if (process.argv.includes('--if-stale')) {
    await ensureHandlerBundles();
    return;
  }
  const { bytes, milliseconds } = await buildHandlers();
  const width = Math.max(...Object.keys(bytes).map((n) => n.length));
  for (const [name, size] of Object.entries(bytes)) {
    process.stdout.write(`${`${BUNDLE_DIRECTORY}/${name}/${BUNDLE_FILE}`.padEnd(width + 20)} ${(size / 1024).toFixed(1).padStart(8)} KiB\n`);
  }
  process.stdout.write(`${Object.keys(bytes).length} handlers bundled in ${milliseconds} ms\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
