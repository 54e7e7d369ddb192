/**
 * `npm run bench`: every measure side by side in one run, written to bench/results.json (machine facts, every
 * sample) and printed as a table. Timings are ratios of two sides alternated run by run (min and median of at least
 * 5 runs after a warm-up), because absolute times vary between machines.
 *
 *   npm run bench                        everything, 5 runs per side
 *   npm run bench -- --runs 7            more runs per side
 *   npm run bench -- --only ingest,load  some groups: ingest, load, bundles, synth, datasets, local-run
 *
 * A measure that cannot be taken (e.g. synth refuses 100 datasets) is recorded as FAILED with its error and the
 * bench goes on. Exit code 0 when every measure ran (MET, MISSED or INFO), 1 when one FAILED: a MISSED target is a
 * finding to report, not a crash.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureHandlerBundles } from '../scripts/build-handlers';
import { benchBundles } from './bundles';
import { benchIngest } from './ingest';
import { benchLoad } from './load';
import { benchLocalRun } from './local-run';
import { BenchResults, MachineFacts, Measure, renderTable, resultsProblems } from './stats';
import { benchDatasetCounts, benchPacks } from './synth';

const ROOT = path.resolve(__dirname, '..');
export const RESULTS_FILE = path.join(ROOT, 'bench', 'results.json');
export const GROUPS = ['ingest', 'load', 'bundles', 'synth', 'datasets', 'local-run'] as const;
type Group = (typeof GROUPS)[number];
const MIN_RUNS = 5;

export function machineFacts(now = new Date()): MachineFacts {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: now.toISOString(),
  };
}

/** `--runs` and `--only` from the command line; throws a message naming the flag and the fix. */
export function parseBenchArgs(argv: readonly string[]): { runs: number; groups: readonly Group[] } {
  const { values } = parseArgs({ args: [...argv], options: { runs: { type: 'string' }, only: { type: 'string' } }, strict: true });
  const runs = values.runs === undefined ? MIN_RUNS : Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < MIN_RUNS || runs > 100) {
    throw new Error(`--runs must be an integer from ${MIN_RUNS} to 100 (min and median need at least ${MIN_RUNS} runs per side), got ${values.runs}`);
  }
  const groups = values.only === undefined ? GROUPS : values.only.split(',').map((g) => g.trim());
  const unknown = groups.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0) throw new Error(`--only: unknown group ${unknown.join(', ')}; use any of ${GROUPS.join(', ')}`);
  return { runs, groups: groups as Group[] };
}

async function main(): Promise<number> {
  const { runs, groups } = parseBenchArgs(process.argv.slice(2));
  const started = performance.now();
  const machine = machineFacts();
  process.stderr.write(`bench: ${machine.cpus} × ${machine.model}, Node ${machine.node}, ${runs} runs per side\n`);
  await ensureHandlerBundles(ROOT);
  const measures: Measure[] = [];
  const step = async (group: Group, run: () => Promise<Measure | Measure[]>) => {
    if (!groups.includes(group)) return;
    const t = performance.now();
    process.stderr.write(`bench: ${group}...`);
    const result = await run();
    measures.push(...(Array.isArray(result) ? result : [result]));
    process.stderr.write(` ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  };
  await step('ingest', () => benchIngest(ROOT, runs));
  await step('load', () => benchLoad(ROOT, runs));
  await step('bundles', () => benchBundles(ROOT, runs));
  await step('synth', () => benchPacks(ROOT, runs));
  await step('datasets', () => benchDatasetCounts(ROOT, runs));
  await step('local-run', () => benchLocalRun(ROOT));

  const results: BenchResults = {
    formatVersion: 1,
    machine,
    runsPerSide: runs,
    elapsedSeconds: Math.round((performance.now() - started) / 1000),
    measures,
  };
  const problems = resultsProblems(results);
  if (problems.length > 0) throw new Error(`bench results are inconsistent: ${problems.join('; ')}`);
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${renderTable(measures)}\n\n`);
  process.stdout.write(`${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, Node ${machine.node}; ${runs} runs per side; ${results.elapsedSeconds} s in all\n`);
  process.stdout.write(`Written to ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
  return measures.some((m) => m.verdict === 'FAILED') ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
    // Servers are stopped; this only guards against a stray handle keeping the process alive.
    setTimeout(() => process.exit(code), 2000).unref();
  }, (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
