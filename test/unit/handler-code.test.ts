/**
 * Where a PipelineFunction's code comes from: the package's prebuilt handler bundles (dist/lambda, checked for
 * freshness against their sources), a team's own prebuilt directory, or a team's entry bundled from their own
 * project root and lock file. The hardening is the same whichever is given.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Classification } from '../../lib/classification';
import { resolveProfile } from '../../lib/config';
import { PipelineFunction, PipelineFunctionProps } from '../../lib/constructs/compute/pipeline-function';
import {
  BUILT_IN_HANDLER_NAMES, BUILT_IN_HANDLERS, BUNDLE_DIRECTORY, bundleState, builtInHandlerDirectory, HANDLER_BUILD_COMMAND, packageRoot, readManifest,
} from '../../lib/constructs/compute/handler-bundles';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { ConfigurationError } from '../../lib/errors';
import { buildHandlers, ensureHandlerBundles } from '../../scripts/build-handlers';
import { testApp } from '../helpers/app';

const ROOT = path.join(__dirname, '..', '..');

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function fn(code: Partial<PipelineFunctionProps>, bundle = false) {
  const app = testApp(bundle ? { 'aws:cdk:bundling-stacks': ['**'] } : {});
  const stack = new Stack(app, 'Code');
  const keys = new DataKeys(stack, 'Keys');
  const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, s3PrefixListId: 'pl-6da54004' });
  const f = new PipelineFunction(stack, 'Fn', {
    ...code, classification: Classification.INTERNAL, network, keys, profile: resolveProfile('dev'), concurrencyBound: { by: 'custom-resource' },
  } as PipelineFunctionProps);
  return { app, stack, f };
}

/** The directory the function's code was staged in (the stack's only code asset). */
function stagedAsset(app: ReturnType<typeof testApp>, _stack: Stack): string {
  const assembly = app.synth();
  const dirs = fs.readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'))
    .map((d) => path.join(assembly.directory, d)).filter((d) => fs.existsSync(path.join(d, 'index.js')));
  expect(dirs).toHaveLength(1);
  return dirs[0]!;
}

/** A project of a team's own, outside this repository: package.json, a lock file, a handler. */
function teamProject(): string {
  const dir = tmp('sdp-team-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'team-app', version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'team-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'team-app', version: '1.0.0' } } }));
  // The team's own esbuild (a devDependency of their project): this checkout's node_modules stand in for theirs.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'curate.ts'), "export const handler = async (event: { n: number }) => ({ doubled: event.n * 2, team: 'TEAM_MARKER' });\n");
  return dir;
}

describe('built-in handlers: prebuilt once, loaded as assets, never bundled at synth', () => {
  test('every built-in handler has a minified bundle with a source map, from one build', () => {
    const manifest = readManifest(ROOT)!;
    expect(Object.keys(manifest.handlers).sort()).toEqual([...BUILT_IN_HANDLER_NAMES].sort());
    for (const name of BUILT_IN_HANDLER_NAMES) {
      const dir = path.join(ROOT, BUNDLE_DIRECTORY, name);
      expect(fs.readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
      const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
      // Minified: whitespace gone, so lines are long (template literals such as SQL keep their own line breaks).
      expect(code.length / code.split('\n').length).toBeGreaterThan(200);
      expect(manifest.handlers[name]!.bytes).toBe(Buffer.byteLength(code));
    }
    expect(bundleState(ROOT)).toEqual({ state: 'fresh' });
  });

  test('the AWS SDK clients come from the runtime; the IAM token signer the runtime may lack is bundled; no CDK in any bundle', () => {
    const meta = JSON.parse(fs.readFileSync(path.join(ROOT, BUNDLE_DIRECTORY, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown>; imports: { path: string; external?: boolean }[] }> };
    const output = (name: string) => meta.outputs[Object.keys(meta.outputs).find((o) => o.endsWith(`${name}/index.js`))!]!;
    for (const name of BUILT_IN_HANDLER_NAMES) {
      const inputs = Object.keys(output(name).inputs);
      expect(inputs.filter((i) => /node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//.test(i))).toEqual([]);
      expect(inputs.filter((i) => /node_modules\/@aws-sdk\/client-/.test(i))).toEqual([]);
    }
    expect(Object.keys(output('load').inputs).some((i) => i.includes('node_modules/@aws-sdk/rds-signer/'))).toBe(true);
    expect(output('rotate-api-credential').imports).toContainEqual(expect.objectContaining({ path: '@aws-sdk/client-secrets-manager', external: true }));
  });

  test('each bundle loads in a fresh Node process and exports handler', () => {
    const script = BUILT_IN_HANDLER_NAMES.map((name) => `if (typeof require(${JSON.stringify(path.join(ROOT, BUNDLE_DIRECTORY, name, 'index.js'))}).handler !== 'function') throw new Error('${name}');`).join('\n');
    const run = spawnSync(process.execPath, ['--no-warnings', '-e', script], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'eu-west-1' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('a built-in handler synthesizes as a plain Function whose asset is the prebuilt directory, byte for byte', () => {
    const { app, stack } = fn({ builtInHandler: 'msk-bootstrap' }, true);
    const previous = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/bin/false';
    try {
      const staged = stagedAsset(app, stack);
      expect(fs.readFileSync(path.join(staged, 'index.js'))).toEqual(fs.readFileSync(path.join(ROOT, BUNDLE_DIRECTORY, 'msk-bootstrap', 'index.js')));
    } finally {
      if (previous === undefined) delete process.env.CDK_DOCKER; else process.env.CDK_DOCKER = previous;
    }
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x' });
  });

  test('the package root is found from the module, so an installed copy loads its own bundles', () => {
    expect(packageRoot()).toBe(ROOT);
    expect(builtInHandlerDirectory('ingest')).toBe(path.join(ROOT, BUNDLE_DIRECTORY, 'ingest'));
  });
});

describe('freshness of the bundles', () => {
  /** A package root with the bundles' shape: a manifest, one file per bundle, and (unless installed) the sources. */
  function fakeRoot(withSources: boolean): string {
    const root = tmp('sdp-root-');
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'secure-data-pipeline' }));
    const handlers: Record<string, { entry: string; bytes: number }> = {};
    for (const name of BUILT_IN_HANDLER_NAMES) {
      fs.mkdirSync(path.join(root, BUNDLE_DIRECTORY, name), { recursive: true });
      fs.writeFileSync(path.join(root, BUNDLE_DIRECTORY, name, 'index.js'), 'exports.handler = async () => 1;');
      handlers[name] = { entry: BUILT_IN_HANDLERS[name], bytes: 32 };
    }
    if (withSources) {
      fs.mkdirSync(path.join(root, 'lambda', 'shared'), { recursive: true });
      fs.writeFileSync(path.join(root, 'lambda', 'shared', 'x.ts'), 'export const x = 1;\n');
    }
    const inputs = { 'lambda/shared/x.ts': crypto.createHash('sha256').update('export const x = 1;\n').digest('hex') };
    fs.writeFileSync(path.join(root, BUNDLE_DIRECTORY, 'manifest.json'), JSON.stringify({ formatVersion: 1, handlers, inputs }));
    return root;
  }

  test('a changed source makes the bundles stale, and the construct names the file and the command', () => {
    const root = fakeRoot(true);
    expect(bundleState(root)).toEqual({ state: 'fresh' });
    fs.writeFileSync(path.join(root, 'lambda', 'shared', 'x.ts'), 'export const x = 2;\n');
    expect(bundleState(root)).toEqual({ state: 'stale', changed: ['lambda/shared/x.ts'] });
    let error: unknown;
    try {
      builtInHandlerDirectory('store', root);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('lambda/shared/x.ts changed since they were built');
    expect((error as Error).message).toContain(`run \`${HANDLER_BUILD_COMMAND}\``);
  });

  test('a missing bundle or manifest is named with the command; an installed package (no sources) is checked for presence only', () => {
    const root = fakeRoot(true);
    fs.rmSync(path.join(root, BUNDLE_DIRECTORY, 'load'), { recursive: true });
    expect(bundleState(root)).toEqual({ state: 'missing', handlers: ['load'] });
    expect(() => builtInHandlerDirectory('ingest', root)).toThrow(/bundle is missing \(load\)\. Fix: run `npm run build:handlers`/);
    fs.rmSync(path.join(root, BUNDLE_DIRECTORY, 'manifest.json'));
    expect(bundleState(root)).toEqual({ state: 'missing', handlers: BUILT_IN_HANDLER_NAMES });

    const installed = fakeRoot(false);
    fs.writeFileSync(path.join(installed, BUNDLE_DIRECTORY, 'store', 'index.js'), 'changed');
    expect(bundleState(installed)).toEqual({ state: 'fresh' });
  });

  test('the repository build: one esbuild call writes every bundle; ensure rebuilds only when a source changed', async () => {
    // A copy of what the build reads (sources, lock file, build script), with this checkout's node_modules.
    const root = tmp('sdp-build-');
    for (const part of ['lambda', 'lib', 'scripts/build-handlers.ts', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      fs.cpSync(path.join(ROOT, part), path.join(root, part), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
    expect(bundleState(root)).toEqual({ state: 'missing', handlers: BUILT_IN_HANDLER_NAMES });
    const built = await buildHandlers(root);
    expect(Object.keys(built.bytes).sort()).toEqual([...BUILT_IN_HANDLER_NAMES].sort());
    expect(bundleState(root)).toEqual({ state: 'fresh' });
    expect(await ensureHandlerBundles(root)).toBe(false);
    // The shared module every stage uses: every bundle is stale, and one rebuild makes them fresh again.
    fs.appendFileSync(path.join(root, 'lambda', 'shared', 'retry.ts'), '\n// changed\n');
    expect(bundleState(root)).toMatchObject({ state: 'stale', changed: ['lambda/shared/retry.ts'] });
    const writes = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await ensureHandlerBundles(root)).toBe(true);
      expect(writes.mock.calls.map((c) => String(c[0])).join('')).toContain('sources changed: lambda/shared/retry.ts');
    } finally {
      writes.mockRestore();
    }
    expect(bundleState(root)).toEqual({ state: 'fresh' });
    expect(fs.readdirSync(path.dirname(path.join(root, BUNDLE_DIRECTORY))).filter((d) => d.includes('building'))).toEqual([]);
  });
});

describe("a team's own code", () => {
  test('entry is resolved from the given project root and bundled with its lock file by the local esbuild', () => {
    const project = teamProject();
    const { app, stack } = fn({ entry: 'src/curate.ts', projectRoot: project }, true);
    const code = fs.readFileSync(path.join(stagedAsset(app, stack), 'index.js'), 'utf8');
    expect(code).toContain('TEAM_MARKER');
    expect(code.split('\n').length).toBeLessThan(20);
  });

  test('entry defaults to the nearest project with a lock file above the working directory', () => {
    const project = teamProject();
    const cwd = process.cwd();
    fs.mkdirSync(path.join(project, 'infra'));
    process.chdir(path.join(project, 'infra'));
    try {
      const { f } = fn({ entry: 'src/curate.ts' });
      // Without bundling (construct tests skip it) the code asset is the project directory esbuild would run in.
      expect(fs.realpathSync((f.function.node.findChild('Code') as Asset).assetPath)).toBe(fs.realpathSync(project));
    } finally {
      process.chdir(cwd);
    }
  });

  test('assetDirectory uploads a prebuilt directory as is, relative to the project root', () => {
    const project = teamProject();
    fs.mkdirSync(path.join(project, 'build', 'curate'), { recursive: true });
    fs.writeFileSync(path.join(project, 'build', 'curate', 'index.js'), 'exports.curate = async () => "PREBUILT_MARKER";');
    const { app, stack } = fn({ assetDirectory: 'build/curate', projectRoot: project, handler: 'curate' }, true);
    expect(fs.readFileSync(path.join(stagedAsset(app, stack), 'index.js'), 'utf8')).toContain('PREBUILT_MARKER');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.curate' });
  });

  test('careless code props are refused naming the field and the fix', () => {
    const project = teamProject();
    const refused = (code: Partial<PipelineFunctionProps>): string => {
      try {
        fn(code);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigurationError);
        return (e as Error).message;
      }
      throw new Error('built');
    };
    expect(refused({})).toMatch(/entry: no handler code is given\. Fix: give exactly one of entry .*assetDirectory .*builtInHandler/);
    expect(refused({ entry: 'src/curate.ts', builtInHandler: 'store', projectRoot: project }))
      .toMatch(/entry: is given together with builtInHandler[\s\S]*builtInHandler: is given together with entry/);
    expect(refused({ entry: 'src/missing.ts', projectRoot: project })).toMatch(/entry: .*src\/missing\.ts does not exist\. Fix: give the handler source relative to your project root/);
    expect(refused({ assetDirectory: 'src', projectRoot: project })).toMatch(/assetDirectory: .*src holds no index\.js, index\.mjs, index\.cjs/);
    expect(refused({ builtInHandler: 'transform' as never })).toMatch(/builtInHandler: "transform" is not one of the accepted values\. Fix: use one of "ingest"/);
    expect(refused({ builtInHandler: 'store', externalModules: ['pg'] })).toMatch(/externalModules: only applies when esbuild bundles an entry/);
    // Found by the property test: a null entry beside a built-in handler still leaves externalModules without a use.
    expect(refused({ builtInHandler: 'store', entry: null as never, externalModules: ['pg'] })).toMatch(/externalModules: only applies when esbuild bundles an entry/);
    expect(refused({ builtInHandler: 'store', handler: 'main' })).toMatch(/handler: built-in handlers export "handler"/);
    const noLock = tmp('sdp-nolock-');
    fs.writeFileSync(path.join(noLock, 'h.ts'), 'export const handler = async () => 1;');
    expect(refused({ entry: 'h.ts', projectRoot: noLock })).toMatch(/projectRoot: .* holds no lock file \(package-lock\.json, yarn\.lock/);
    expect(refused({ entry: 'h.ts', projectRoot: noLock, depsLockFilePath: 'package-lock.json' })).toMatch(/depsLockFilePath: .*package-lock\.json does not exist/);
    expect(refused({ entry: 'h.ts', projectRoot: '/no/such/project' })).toMatch(/projectRoot: \/no\/such\/project does not exist/);
    // A project without esbuild: refused before CDK would fall back to Docker.
    fs.writeFileSync(path.join(noLock, 'package-lock.json'), '{}');
    expect(refused({ entry: 'h.ts', projectRoot: noLock })).toMatch(/entry: esbuild is not installed in .*\. Fix: npm install --save-dev esbuild/);
  });
});
