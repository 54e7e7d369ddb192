/**
 * What the published package holds and needs: the CDK as peers, one runtime dependency, exactly the files a consumer
 * uses (compiled library, types, handler bundles, schema, licence), and handlers that import nothing outside their
 * bundles. The consumer test in CI (scripts/consumer-test.sh) installs the packed tarball for real.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { builtinModules } from 'module';
import { BUILT_IN_HANDLER_NAMES } from '../../lib/constructs/compute/handler-bundles';

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>; peerDependencies: Record<string, string>; devDependencies: Record<string, string>;
  files: string[]; exports: Record<string, { types: string; default: string }>; scripts: Record<string, string>;
};
const PEERS = ['aws-cdk-lib', 'constructs', 'cdk-nag'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function bareImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s(?:type\s)?[^;]*?from '([^.][^']*)'/gm)]
    .filter((m) => !/^import type /.test(m[0]))
    .map((m) => m[1]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!);
}

test('the CDK, constructs and cdk-nag are peer dependencies with dev copies; the library needs nothing else but zod', () => {
  for (const name of PEERS) {
    expect([name, pkg.peerDependencies[name]]).toEqual([name, expect.any(String)]);
    expect([name, pkg.devDependencies[name]]).toEqual([name, expect.any(String)]);
    expect([name, pkg.dependencies[name]]).toEqual([name, undefined]);
  }
  const runtime = new Set(sourceFiles(path.join(ROOT, 'lib')).flatMap(bareImports));
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const undeclared = [...runtime].filter((m) => !builtins.has(m) && !PEERS.includes(m) && !(m in pkg.dependencies));
  expect(undeclared).toEqual([]);
  expect(Object.keys(pkg.dependencies)).toEqual(['zod']);
});

test('Powertools packages resolve to one version, with one commons', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  const versions = new Set(Object.entries(lock.packages).filter(([k]) => k.includes('node_modules/@aws-lambda-powertools/')).map(([, p]) => p.version));
  expect([...versions]).toHaveLength(1);
  const declared = new Set(Object.entries(pkg.devDependencies).filter(([k]) => k.startsWith('@aws-lambda-powertools/')).map(([, v]) => v));
  expect([...declared]).toEqual([...versions]);
});

test('the packed files are exactly what a consumer needs', () => {
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  expect(run.status).toBe(0);
  const files = (JSON.parse(run.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  const allowed = [/^dist\/lib\/.+\.(js|d\.ts)$/, /^dist\/lambda\/manifest\.json$/, /^dist\/lambda\/[a-z-]+\/index\.js(\.map)?$/,
    /^schema\/datasets\.schema\.json$/, /^(LICENSE|README\.md|CHANGELOG\.md|package\.json)$/];
  expect(files.filter((f) => !allowed.some((a) => a.test(f)))).toEqual([]);
  for (const name of BUILT_IN_HANDLER_NAMES) expect(files).toContain(`dist/lambda/${name}/index.js`);
  for (const entry of Object.values(pkg.exports).filter((e) => typeof e === 'object')) {
    expect(files).toContain(entry.types.replace(/^\.\//, ''));
    expect(files).toContain(entry.default.replace(/^\.\//, ''));
  }
  // Every compiled library module ships with its types, and nothing of the tests, scripts or handler sources does.
  const js = files.filter((f) => /^dist\/lib\/.+\.js$/.test(f));
  expect(js.length).toBeGreaterThan(50);
  for (const f of js) expect(files).toContain(f.replace(/\.js$/, '.d.ts'));
  expect(files.filter((f) => /^(lambda|test|scripts|bin|examples)\//.test(f) || f.includes('meta.json'))).toEqual([]);
});

test('handlers import only the pure modules of lib/, and the bundles hold no CDK', () => {
  const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'lambda', 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
  const fromLib = Object.keys(meta.inputs).filter((i) => i.startsWith('lib/'));
  expect(fromLib.filter((i) => !/^lib\/(errors\.ts|classification\/|config\/)/.test(i))).toEqual([]);
  expect(Object.keys(meta.inputs).filter((i) => /node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//.test(i))).toEqual([]);
});

test('a fresh clone builds the library and the bundles on npm ci (prepare), and build starts from a clean dist/lib', () => {
  expect(pkg.scripts.prepare).toBe('npm run build');
  expect(pkg.scripts.build).toMatch(/rmSync\('dist\/lib'.*tsc -p tsconfig\.build\.json && npm run build:handlers$/);
  expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^\s+Apache License\s+Version 2\.0, January 2004/);
});

test('the README lists every npm script', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## npm scripts'), readme.indexOf('## What it builds'));
  const unlisted = Object.keys(pkg.scripts).filter((name) => {
    if (name === 'test') return !table.includes('`npm test`');
    if (name === 'prepare') return !table.includes('`prepare`');
    return !table.includes(`\`npm run ${name}`);
  });
  expect(unlisted).toEqual([]);
});
