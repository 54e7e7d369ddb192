/**
 * The bench's pure parts: summaries, ratios, verdicts, alternation order, the results schema check, argument
 * parsing and the generated dataset configs. No timing is asserted here (that is what `npm run bench` is for).
 */
import { benchDatasets, rawDatasets } from '../../bench/datasets';
import { externalSdkPackages } from '../../bench/bundles';
import { parseBenchArgs } from '../../bench/run';
import {
  alternate, BenchResults, compare, failed, judge, median, ratioOf, renderTable, resultsProblems, summarize,
} from '../../bench/stats';

describe('median and summaries', () => {
  test('median of odd and even counts, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  test('refuses no samples and non-finite samples, naming the side', () => {
    expect(() => median([])).toThrow(/at least one run/);
    expect(() => summarize('packs', 'ms', [])).toThrow(/"packs" has no samples/);
    expect(() => summarize('packs', 'ms', [1, Number.NaN])).toThrow(/"packs" has a non-finite sample/);
  });

  test('summary keeps every sample with its min and median', () => {
    expect(summarize('a', 'ms', [30, 10, 20])).toEqual({ label: 'a', unit: 'ms', samples: [30, 10, 20], min: 10, median: 20 });
  });
});

describe('ratios', () => {
  test('times: ratio of medians and of the fastest runs (mins)', () => {
    const r = ratioOf(summarize('s', 'ms', [12, 15, 30]), summarize('b', 'ms', [10, 10, 12]));
    expect(r.median).toBeCloseTo(1.5);
    expect(r.min).toBeCloseTo(1.2);
  });

  test('throughputs: the best run is the highest, so "best" compares maxima', () => {
    const r = ratioOf(summarize('s', 'records/s', [80, 90, 100]), summarize('b', 'records/s', [100, 110, 200]));
    expect(r.median).toBeCloseTo(90 / 110);
    expect(r.min).toBeCloseTo(100 / 200);
  });
});

describe('verdicts', () => {
  test('at most and at least, the limit itself meets the target', () => {
    expect(judge(1.25, { op: '<=', value: 1.25, of: 'ratio' })).toEqual({ verdict: 'MET' });
    expect(judge(0.9, { op: '>=', value: 0.9, of: 'ratio' })).toEqual({ verdict: 'MET' });
  });

  test('a miss states the gap with its unit', () => {
    expect(judge(1.5, { op: '<=', value: 1.25, of: 'ratio' })).toEqual({ verdict: 'MISSED', gap: '1.50× > 1.25× (over by 0.25×)' });
    expect(judge(0.78, { op: '>=', value: 0.9, of: 'ratio' })).toEqual({ verdict: 'MISSED', gap: '0.78× < 0.90× (short by 0.12×)' });
    expect(judge(210, { op: '<=', value: 150, of: 'difference', unit: 'ms' })).toEqual({ verdict: 'MISSED', gap: '210 ms > 150 ms (over by 60.0 ms)' });
  });

  test('compare judges the median ratio, the subject value or the difference as the target says', () => {
    const subject = summarize('s', 'ms', [300, 310, 320]);
    const baseline = summarize('b', 'ms', [100, 100, 100]);
    expect(compare('r', 'r', subject, baseline, { op: '<=', value: 1.25, of: 'ratio' }).verdict).toBe('MISSED');
    expect(compare('v', 'v', subject, baseline, { op: '<=', value: 400, of: 'value' }).verdict).toBe('MET');
    const difference = compare('d', 'd', subject, baseline, { op: '<=', value: 150, of: 'difference', unit: 'ms' });
    expect(difference.verdict).toBe('MISSED');
    expect(difference.gap).toContain('210 ms > 150 ms');
    expect(compare('i', 'i', subject, undefined).verdict).toBe('INFO');
    expect(() => compare('x', 'x', subject, undefined, { op: '<=', value: 1, of: 'ratio' })).toThrow(/needs a baseline/);
  });

  test('a failed measure keeps a bounded error message and its target', () => {
    const m = failed('synth-datasets-100', 't', new Error(`TooManyResourcesInStack: ${'x'.repeat(2000)}`), { op: '<=', value: 1.1, of: 'ratio' });
    expect(m.verdict).toBe('FAILED');
    expect(m.error!.startsWith('Error: TooManyResourcesInStack')).toBe(true);
    expect(m.error!.length).toBeLessThanOrEqual(500);
    expect(m.target).toBeDefined();
  });
});

describe('alternate', () => {
  test('runs the sides in turns, reversing the order every other round, and drops the warm-up round', async () => {
    const calls: string[] = [];
    let n = 0;
    const samples = await alternate({ a: () => { calls.push('a'); return ++n; }, b: async () => { calls.push('b'); return ++n; } }, 3, 1);
    expect(calls).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    expect(samples).toEqual({ a: [4, 5, 8], b: [3, 6, 7] });
  });
});

describe('results', () => {
  const machine = { cpus: 2, model: 'AMD EPYC', memoryGiB: 8, node: 'v20.20.2', platform: 'linux', date: '2026-12-08T00:00:00.000Z' };
  const good = (): BenchResults => ({
    formatVersion: 1,
    machine,
    runsPerSide: 5,
    elapsedSeconds: 1,
    measures: [
      compare('a', 'A', summarize('s', 'ms', [1, 2, 3, 4, 5]), summarize('b', 'ms', [1, 1, 1, 1, 1]), { op: '<=', value: 1.25, of: 'ratio' }),
      failed('b', 'B', new Error('synth failed')),
    ],
  });

  test('a well-formed results document has no problems, and survives JSON', () => {
    expect(resultsProblems(JSON.parse(JSON.stringify(good())))).toEqual([]);
  });

  test('names what is wrong: machine facts, duplicate ids, verdicts without gap, error or target, stale min/median', () => {
    const r = good();
    const broken = {
      ...r,
      machine: { cpus: 2 },
      measures: [
        r.measures[0]!,
        { ...r.measures[0]!, gap: undefined },
        { id: 'c', title: 'C', verdict: 'FAILED' },
        { id: 'd', title: 'D', verdict: 'MET' },
        { ...r.measures[0]!, id: 'e', subject: { ...r.measures[0]!.subject!, median: 99 } },
      ],
    };
    expect(resultsProblems(broken)).toEqual([
      'machine needs cpus, model, node and date',
      'measure id "a" is used twice',
      'measure a: MISSED without the gap',
      'measure c: FAILED without an error message',
      'measure d: a verdict without a target',
      'measure e: side "s" min/median do not match its samples',
    ]);
    expect(resultsProblems({ ...r, measures: [] })).toEqual(['measures must be a non-empty list']);
  });

  test('the table shows each measure with its result, the gap when missed, and the error when failed', () => {
    const table = renderTable([
      compare('a', 'synth: every pack vs none', summarize('s', 'ms', [300, 310, 320]), summarize('b', 'ms', [100, 100, 100]), { op: '<=', value: 1.25, of: 'ratio' }),
      failed('b', 'synth: 100 datasets', new Error('TooManyResourcesInStack: 1509 > 500')),
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain('synth: every pack vs none');
    expect(lines[2]).toContain('3.10×');
    expect(lines[2]).toContain('MISSED: 3.10× > 1.25× (over by 1.85×)');
    expect(lines[3]).toContain('FAILED: Error: TooManyResourcesInStack: 1509 > 500');
  });
});

describe('command line', () => {
  test('defaults to 5 runs and every group; refuses fewer runs and unknown groups', () => {
    expect(parseBenchArgs([])).toEqual({ runs: 5, groups: ['ingest', 'load', 'bundles', 'synth', 'datasets', 'local-run'] });
    expect(parseBenchArgs(['--runs', '7', '--only', 'ingest,load'])).toEqual({ runs: 7, groups: ['ingest', 'load'] });
    expect(() => parseBenchArgs(['--runs', '3'])).toThrow(/--runs must be an integer from 5/);
    expect(() => parseBenchArgs(['--only', 'ingest,fast'])).toThrow(/unknown group fast/);
  });
});

describe('generated dataset configs', () => {
  test.each([1, 10, 100])('%i datasets pass the blueprint\'s validation, with unique names', (n) => {
    const config = benchDatasets(n);
    expect(config.datasets).toHaveLength(n);
    expect(new Set(config.datasets.map((d) => d.name.replace(/_/g, ''))).size).toBe(n);
  });

  test('vary classification, every field handling and auth', () => {
    const config = benchDatasets(6);
    expect(new Set(config.datasets.map((d) => d.classification))).toEqual(new Set(['Public', 'Internal', 'Restricted']));
    expect(new Set(config.datasets.flatMap((d) => d.fields.map((f) => f.handling)))).toEqual(new Set(['keep', 'mask', 'tokenize', 'encrypt', 'drop']));
    expect(config.datasets.some((d) => d.source.auth)).toBe(true);
    expect(config.datasets.some((d) => !d.source.auth)).toBe(true);
    expect(() => rawDatasets(0)).toThrow(/positive integer/);
  });
});

describe('external SDK packages of a bundle', () => {
  test('reads the @aws-sdk externals of exactly that handler from the esbuild metafile', () => {
    const meta = {
      outputs: {
        'dist/lambda.building-1/load/index.js': { imports: [
          { path: '@aws-sdk/client-s3', external: true }, { path: 'pg-native', external: true },
          { path: '@aws-sdk/client-s3', external: true }, { path: 'node_modules/pg/lib/index.js' },
        ] },
        'dist/lambda.building-1/db-bootstrap/index.js': { imports: [{ path: '@aws-sdk/client-secrets-manager', external: true }] },
        'dist/lambda.building-1/load/index.js.map': { imports: [] },
      },
    };
    expect(externalSdkPackages(meta, 'load')).toEqual(['@aws-sdk/client-s3']);
    expect(externalSdkPackages(meta, 'store')).toEqual([]);
  });
});
