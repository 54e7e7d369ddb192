/**
 * The pure part of the bench: summaries of samples, side-by-side ratios, verdicts against targets, and the table.
 * No timing happens here, so test/bench checks it fast and exactly.
 */

/** What one side of a comparison measured: every sample, and their min and median. */
export interface SideSummary {
  readonly label: string;
  /** `ms` (lower is better), `records/s` or `rows/s` (higher is better), `bytes`. */
  readonly unit: string;
  readonly samples: readonly number[];
  readonly min: number;
  readonly median: number;
}

/** Which way a target goes: a value must be at most (`<=`) or at least (`>=`) the limit. */
export interface Target {
  readonly op: '<=' | '>=';
  readonly value: number;
  /**
   * What the target applies to: the median ratio of the two sides, the subject's median itself, or the difference
   * of the medians (subject − baseline: e.g. what a bundle adds to an empty handler's start).
   */
  readonly of: 'ratio' | 'value' | 'difference';
  /** Unit of a value or difference target, for the table (`ms`, `bytes`). */
  readonly unit?: string;
}

export type Verdict = 'MET' | 'MISSED' | 'FAILED' | 'INFO';

export interface Measure {
  readonly id: string;
  readonly title: string;
  readonly subject?: SideSummary;
  readonly baseline?: SideSummary;
  /** subject / baseline, of the medians and of the mins. */
  readonly ratio?: { readonly median: number; readonly min: number };
  readonly target?: Target;
  readonly verdict: Verdict;
  /** How far from the target, in words (`1.41× > 1.25×, 0.16× over`), when MISSED. */
  readonly gap?: string;
  /** Why the measure could not be taken (e.g. synth refused the app); the bench goes on. */
  readonly error?: string;
  readonly notes?: readonly string[];
  /** Extra figures of the measure (e.g. ms per dataset). */
  readonly extra?: Readonly<Record<string, number | string>>;
}

export interface MachineFacts {
  readonly cpus: number;
  readonly model: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
}

export interface BenchResults {
  readonly formatVersion: 1;
  readonly machine: MachineFacts;
  readonly runsPerSide: number;
  readonly elapsedSeconds: number;
  readonly measures: readonly Measure[];
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples: take at least one run');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(label: string, unit: string, samples: readonly number[]): SideSummary {
  if (samples.length === 0) throw new Error(`side "${label}" has no samples: take at least one run`);
  if (samples.some((s) => !Number.isFinite(s))) throw new Error(`side "${label}" has a non-finite sample; check the measure`);
  return { label, unit, samples: [...samples], min: Math.min(...samples), median: median(samples) };
}

/**
 * subject / baseline. For a throughput the "min" ratio uses each side's best run, i.e. the max: a min of records/s
 * is the slowest run, so the ratio of best runs is max/max there, min/min for times.
 */
export function ratioOf(subject: SideSummary, baseline: SideSummary): { median: number; min: number } {
  const higherIsBetter = isThroughput(subject.unit);
  const best = (s: SideSummary) => (higherIsBetter ? Math.max(...s.samples) : s.min);
  return { median: subject.median / baseline.median, min: best(subject) / best(baseline) };
}

export function isThroughput(unit: string): boolean {
  return unit.endsWith('/s');
}

/** MET or MISSED (with the gap in words) for a figure against a target. */
export function judge(figure: number, target: Target): { verdict: 'MET' | 'MISSED'; gap?: string } {
  const met = target.op === '<=' ? figure <= target.value : figure >= target.value;
  if (met) return { verdict: 'MET' };
  const suffix = target.of === 'ratio' ? '×' : target.unit ? ` ${target.unit}` : '';
  const by = Math.abs(figure - target.value);
  return {
    verdict: 'MISSED',
    gap: `${fmt(figure)}${suffix} ${target.op === '<=' ? '>' : '<'} ${fmt(target.value)}${suffix} (${target.op === '<=' ? 'over' : 'short'} by ${fmt(by)}${suffix})`,
  };
}

/** A compared measure: summaries of both sides, their ratio, and the verdict on the median ratio or value. */
export function compare(
  id: string, title: string, subject: SideSummary, baseline: SideSummary | undefined, target?: Target,
  more: Pick<Measure, 'notes' | 'extra'> = {},
): Measure {
  const ratio = baseline ? ratioOf(subject, baseline) : undefined;
  let verdict: Verdict = 'INFO';
  let gap: string | undefined;
  if (target) {
    const figure = target.of === 'ratio' ? ratio?.median
      : target.of === 'difference' ? (baseline ? subject.median - baseline.median : undefined)
        : subject.median;
    if (figure === undefined) throw new Error(`measure ${id}: a ${target.of} target needs a baseline`);
    ({ verdict, gap } = judge(figure, target));
  }
  return { id, title, subject, ...(baseline ? { baseline } : {}), ...(ratio ? { ratio } : {}), ...(target ? { target } : {}), verdict, ...(gap ? { gap } : {}), ...more };
}

/** A measure that could not be taken; the message is kept (first line, bounded) for results.json and the table. */
export function failed(id: string, title: string, error: unknown, target?: Target): Measure {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { id, title, verdict: 'FAILED', error: message.split('\n').slice(0, 3).join(' ').slice(0, 500), ...(target ? { target } : {}) };
}

/** Runs `sides` alternately (A B A B …) `runs` times after `warmup` unrecorded rounds; returns each side's samples. */
export async function alternate<K extends string>(
  sides: Readonly<Record<K, () => Promise<number> | number>>, runs: number, warmup = 1,
): Promise<Record<K, number[]>> {
  const names = Object.keys(sides) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + runs; round++) {
    // Reverse the order every other round, so neither side always runs right after the other (GC, caches).
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const value = await sides[name]();
      if (round >= warmup) samples[name].push(value);
    }
  }
  return samples;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 10_000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function targetText(t: Target): string {
  const what = t.of === 'ratio' ? 'ratio' : t.of === 'difference' ? 'subject − baseline' : 'median';
  return `${what} ${t.op} ${fmt(t.value)}${t.of === 'ratio' ? '×' : t.unit ? ` ${t.unit}` : ''}`;
}

function side(s: SideSummary | undefined): string {
  if (!s) return '';
  return s.samples.length === 1 ? `${fmt(s.median)} ${s.unit}` : `${fmt(s.min)} / ${fmt(s.median)} ${s.unit}`;
}

/** The table `npm run bench` prints: one line per measure. */
export function renderTable(measures: readonly Measure[]): string {
  const header = ['measure', 'ratio (median)', 'subject min / median', 'baseline min / median', 'target', 'result'];
  const rows = measures.map((m) => [
    m.title,
    m.ratio ? `${fmt(m.ratio.median)}× (best ${fmt(m.ratio.min)}×)` : '',
    side(m.subject),
    side(m.baseline),
    m.target ? targetText(m.target) : '-',
    m.verdict === 'MISSED' ? `MISSED: ${m.gap}` : m.verdict === 'FAILED' ? `FAILED: ${shorten(m.error ?? '', 110)}` : m.verdict,
  ]);
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** Checks the shape of results.json (what test/bench asserts and what a reader of the file can rely on). */
export function resultsProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const r = doc as Partial<BenchResults> | null;
  if (typeof r !== 'object' || r === null) return ['results is not an object'];
  if (r.formatVersion !== 1) problems.push('formatVersion must be 1');
  const m = r.machine as Partial<MachineFacts> | undefined;
  if (!m || typeof m.cpus !== 'number' || typeof m.model !== 'string' || typeof m.node !== 'string' || typeof m.date !== 'string') {
    problems.push('machine needs cpus, model, node and date');
  }
  if (!Array.isArray(r.measures) || r.measures.length === 0) {
    problems.push('measures must be a non-empty list');
    return problems;
  }
  const ids = new Set<string>();
  for (const x of r.measures) {
    if (ids.has(x.id)) problems.push(`measure id "${x.id}" is used twice`);
    ids.add(x.id);
    if (!['MET', 'MISSED', 'FAILED', 'INFO'].includes(x.verdict)) problems.push(`measure ${x.id}: unknown verdict ${String(x.verdict)}`);
    if (x.verdict === 'FAILED' && !x.error) problems.push(`measure ${x.id}: FAILED without an error message`);
    if (x.verdict === 'MISSED' && !x.gap) problems.push(`measure ${x.id}: MISSED without the gap`);
    if ((x.verdict === 'MET' || x.verdict === 'MISSED') && !x.target) problems.push(`measure ${x.id}: a verdict without a target`);
    for (const s of [x.subject, x.baseline]) {
      if (s && (s.samples.length === 0 || s.min !== Math.min(...s.samples) || s.median !== median(s.samples))) {
        problems.push(`measure ${x.id}: side "${s.label}" min/median do not match its samples`);
      }
    }
  }
  return problems;
}
