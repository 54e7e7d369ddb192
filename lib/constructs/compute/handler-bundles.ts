/**
 * The pipeline's own Lambda handlers, bundled ahead of time (`npm run build:handlers`, also run by `npm run build`
 * and `prepare`) into `dist/lambda/<name>/index.js` by one esbuild call. Constructs load them with `Code.fromAsset`
 * from the package root found from this module, so the same code works from the repository (sources under `lib/`,
 * run by ts-jest or tsx) and from an installed package (compiled under `dist/lib/`). Synth never runs esbuild for
 * them.
 *
 * Freshness: the build writes `dist/lambda/manifest.json` with a SHA-256 of every project file esbuild read (and of
 * the lock file and this module). Where the sources are present (a clone of the repository), a bundle whose inputs
 * changed since it was built is refused with the command that rebuilds it; an installed package ships bundles only,
 * so only their presence is checked there.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigurationError } from '../../errors';

/** Each built-in handler and its source, relative to the package root. */
export const BUILT_IN_HANDLERS = {
  'ingest': 'lambda/ingest/index.ts',
  'store': 'lambda/store/index.ts',
  'load': 'lambda/load/index.ts',
  'db-bootstrap': 'lambda/db-bootstrap/custom-resource.ts',
  'msk-bootstrap': 'lambda/msk-bootstrap/index.ts',
  'network-custom-resource': 'lambda/network-custom-resource/index.ts',
  'rotate-api-credential': 'lambda/rotate-api-credential/index.ts',
  'guardduty-detector': 'lambda/guardduty-detector/index.ts',
} as const;

export type BuiltInHandler = keyof typeof BUILT_IN_HANDLERS;

export const BUILT_IN_HANDLER_NAMES = Object.keys(BUILT_IN_HANDLERS) as BuiltInHandler[];

/** The command that (re)builds the bundles. */
export const HANDLER_BUILD_COMMAND = 'npm run build:handlers';

/** Where the bundles live, relative to the package root. */
export const BUNDLE_DIRECTORY = path.join('dist', 'lambda');

/** The file the build writes beside the bundles: what was built from what. */
export const MANIFEST_FILE = 'manifest.json';

/** The bundle file in each handler's directory; its export `handler` is the Lambda handler `index.handler`. */
export const BUNDLE_FILE = 'index.js';

export interface HandlerManifest {
  readonly formatVersion: 1;
  /** Per handler: its source entry and the bytes of its bundle. */
  readonly handlers: Readonly<Record<string, { readonly entry: string; readonly bytes: number }>>;
  /** Every project file the bundles were built from (never node_modules: the lock file stands for those), and its SHA-256. */
  readonly inputs: Readonly<Record<string, string>>;
}

export type BundleState =
  | { readonly state: 'fresh' }
  | { readonly state: 'missing'; readonly handlers: readonly string[] }
  | { readonly state: 'stale'; readonly changed: readonly string[] };

const PACKAGE_NAME = 'secure-data-pipeline';

/** The directory of this package's package.json, found upward from this module (source or compiled). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not a readable package.json: keep looking upward.
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json named ${PACKAGE_NAME} above ${from}`);
  }
}

export function sha256OfFile(file: string): string | undefined {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

export function readManifest(root: string): HandlerManifest | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, BUNDLE_DIRECTORY, MANIFEST_FILE), 'utf8')) as HandlerManifest;
    return manifest.formatVersion === 1 ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Whether every built-in bundle is there and, where the sources are, built from the sources as they are now. */
export function bundleState(root: string = packageRoot()): BundleState {
  const manifest = readManifest(root);
  const missing = BUILT_IN_HANDLER_NAMES.filter((name) => manifest?.handlers[name]?.entry !== BUILT_IN_HANDLERS[name]
    || !fs.existsSync(path.join(root, BUNDLE_DIRECTORY, name, BUNDLE_FILE)));
  if (missing.length > 0) return { state: 'missing', handlers: missing };
  // An installed package holds the bundles but not their sources: nothing to compare with.
  if (!fs.existsSync(path.join(root, 'lambda'))) return { state: 'fresh' };
  const changed = Object.entries(manifest!.inputs).filter(([file, hash]) => sha256OfFile(path.join(root, file)) !== hash).map(([file]) => file);
  return changed.length > 0 ? { state: 'stale', changed } : { state: 'fresh' };
}

const checked = new Map<string, BundleState>();

/**
 * The asset directory of a built-in handler. Throws a ConfigurationError naming the command to run when the bundles
 * are missing or older than their sources (checked once per process and package root).
 */
export function builtInHandlerDirectory(name: BuiltInHandler, root: string = packageRoot()): string {
  let state = checked.get(root);
  if (state === undefined || state.state !== 'fresh') {
    state = bundleState(root);
    checked.set(root, state);
  }
  if (state.state === 'missing') {
    throw new ConfigurationError(`${PACKAGE_NAME} handler bundles (${path.join(root, BUNDLE_DIRECTORY)})`, [{
      path: `builtInHandler ${name}`,
      problem: `the prebuilt bundle${state.handlers.length === 1 ? ' is' : 's are'} missing (${state.handlers.join(', ')})`,
      fix: `run \`${HANDLER_BUILD_COMMAND}\` in ${root} (npm ci and npm run build do it too)`,
    }]);
  }
  if (state.state === 'stale') {
    const shown = state.changed.slice(0, 5).join(', ') + (state.changed.length > 5 ? ` and ${state.changed.length - 5} more` : '');
    throw new ConfigurationError(`${PACKAGE_NAME} handler bundles (${path.join(root, BUNDLE_DIRECTORY)})`, [{
      path: `builtInHandler ${name}`,
      problem: `the prebuilt bundles are older than their sources (${shown} changed since they were built)`,
      fix: `run \`${HANDLER_BUILD_COMMAND}\` in ${root}`,
    }]);
  }
  return path.join(root, BUNDLE_DIRECTORY, name);
}

/** Forgets what builtInHandlerDirectory checked (after a rebuild in the same process). */
export function forgetBundleState(): void {
  checked.clear();
}
