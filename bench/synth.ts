/**
 * Synth measures, in this process (no CLI start-up in the figures), with cdk.json's context as `cdk synth` has it:
 * - the blueprint app with every compliance pack (createCompliantApp) vs the same app with none (a plain App);
 * - the blueprint with 1, 10, 50 and 100 generated datasets (every pack), and how the cost of one more dataset
 *   changes from 10 to the largest N that synthesizes. An N the stack cannot take (e.g. TooManyResourcesInStack,
 *   a ConfigurationError) is recorded with its error and left out of later rounds; the bench goes on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { createCompliantApp } from '../lib/compliance';
import { loadDatasetsConfig, resolveProfile } from '../lib/config';
import type { DatasetsConfig } from '../lib/config/datasets';
import { SecurePipelineStack } from '../lib/stacks/secure-pipeline-stack';
import { benchDatasets } from './datasets';
import { alternate, compare, failed, Measure, median, summarize, Target } from './stats';

export const PACKS_TARGET: Target = { op: '<=', value: 1.25, of: 'ratio' };
/** "Time per dataset must not grow": the marginal cost at the largest N against N = 10; 10% is left for noise. */
export const GROWTH_TARGET: Target = { op: '<=', value: 1.1, of: 'ratio' };
export const DATASET_COUNTS = [1, 10, 50, 100] as const;

function cdkContext(root: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
}

/** One synth of the blueprint stack; returns milliseconds, or throws what synth threw. */
export function synthOnce(root: string, datasets: DatasetsConfig, packs: boolean): number {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-bench-synth-'));
  try {
    const started = performance.now();
    const props = { outdir, context: cdkContext(root) };
    const app = packs ? createCompliantApp(props) : new App(props);
    new SecurePipelineStack(app, 'SecureDataPipeline-dev', { profile: resolveProfile('dev'), datasets, description: 'secure-data-pipeline (dev)' });
    app.synth();
    return performance.now() - started;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export async function benchPacks(root: string, runs: number): Promise<Measure> {
  const datasets = loadDatasetsConfig(path.join(root, 'examples', 'datasets.json'));
  try {
    const samples = await alternate({
      packs: () => synthOnce(root, datasets, true),
      plain: () => synthOnce(root, datasets, false),
    }, runs);
    return compare(
      'synth-packs', 'synth: every pack vs none',
      summarize('createCompliantApp (6 packs)', 'ms', samples.packs),
      summarize('App without packs', 'ms', samples.plain),
      PACKS_TARGET,
      { notes: ['examples/datasets.json (3 datasets), profile dev, cdk.json context, in-process synth'] },
    );
  } catch (e) {
    return failed('synth-packs', 'synth: every pack vs none', e, PACKS_TARGET);
  }
}

/**
 * Rounds over the dataset counts (order reversed every other round). The first round is the warm-up and also finds
 * the counts that fail; those are not tried again.
 */
export async function benchDatasetCounts(root: string, runs: number, counts: readonly number[] = DATASET_COUNTS): Promise<Measure[]> {
  const configs = new Map<number, DatasetsConfig>(counts.map((n) => [n, benchDatasets(n)]));
  const samples = new Map<number, number[]>(counts.map((n) => [n, []]));
  const errors = new Map<number, unknown>();
  for (let round = 0; round <= runs; round++) {
    const order = round % 2 === 0 ? counts : [...counts].reverse();
    for (const n of order) {
      if (errors.has(n)) continue;
      try {
        const ms = synthOnce(root, configs.get(n)!, true);
        if (round > 0) samples.get(n)!.push(ms);
      } catch (e) {
        errors.set(n, e);
      }
    }
  }
  const measures: Measure[] = counts.map((n) => {
    const title = `synth: ${n} dataset${n === 1 ? '' : 's'} (every pack)`;
    if (errors.has(n)) return failed(`synth-datasets-${n}`, title, errors.get(n));
    const side = summarize(`${n} datasets`, 'ms', samples.get(n)!);
    return compare(`synth-datasets-${n}`, title, side, undefined, undefined, { extra: { msPerDataset: Number((side.median / n).toFixed(1)) } });
  });

  // The marginal cost of a dataset, paired run by run: (t(N) − t(1)) / (N − 1).
  const ok = counts.filter((n) => !errors.has(n) && n > 1);
  const title = 'synth: cost of one more dataset, largest N vs 10';
  const largest = ok[ok.length - 1];
  const base = 10;
  if (!samples.get(1)?.length || !ok.includes(base) || largest === undefined || largest <= base) {
    const failedCounts = counts.filter((n) => errors.has(n));
    measures.push(failed('synth-dataset-growth', title, new Error(
      `needs N = 1, 10 and a larger N to synthesize; failed: ${failedCounts.length ? failedCounts.join(', ') : 'none'}`), GROWTH_TARGET));
    return measures;
  }
  const marginal = (n: number) => samples.get(n)!.map((t, i) => (t - samples.get(1)![i]!) / (n - 1));
  measures.push(compare(
    'synth-dataset-growth', title,
    summarize(`ms per added dataset at N = ${largest}`, 'ms', marginal(largest)),
    summarize(`ms per added dataset at N = ${base}`, 'ms', marginal(base)),
    GROWTH_TARGET,
    { extra: Object.fromEntries(ok.map((n) => [`marginalMsAt${n}`, Number(median(marginal(n)).toFixed(1))])) },
  ));
  return measures;
}
