/**
 * Local run throughput (no target): `npm run local-run` on a generated 10,000-record customer_orders input, all
 * stages real (see scripts/local-run/README.md). records/s comes from the summary's `recordsPerSecond` (or
 * `elapsedMs`) when the local run reports it; otherwise from the wall time of the whole process, which also counts
 * starting Node, PostgreSQL, S3 and the HTTPS source, and the measure says so.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compare, failed, Measure, summarize } from './stats';

const STATUSES = ['paid', 'shipped', 'refunded', 'pending'];

/** customer_orders source records as the shop API would serve them (every 97th without a postcode). */
export function customerOrderLines(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({
      order_id: `ord-${100000 + i}`,
      customer_email: `customer${i % 3000}@example.com`,
      amount: Math.round((3 + (i % 400) * 1.91) * 100) / 100,
      currency: i % 3 === 0 ? 'USD' : 'EUR',
      status: STATUSES[i % STATUSES.length],
      ordered_at: new Date(Date.UTC(2024, 4, 1) + i * 37_000).toISOString(),
      ...(i % 97 === 0 ? {} : { shipping_postcode: String(10000 + (i % 89999)) }),
    }));
  }
  return `${lines.join('\n')}\n`;
}

interface Summary { read?: number; loaded?: number; reconciled?: boolean; elapsedMs?: number; recordsPerSecond?: number; error?: string }

export async function benchLocalRun(root: string, records = 10_000, timeoutMs = 300_000): Promise<Measure> {
  const id = 'local-run-throughput';
  const title = `local run: ${records.toLocaleString('en-US')} customer_orders records`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-bench-local-'));
  try {
    const input = path.join(tmp, 'customer_orders.jsonl');
    fs.writeFileSync(input, customerOrderLines(records));
    const args = ['--no-warnings', '--import', pathToFileURL(require.resolve('tsx')).href, path.join(root, 'scripts', 'local-run.ts'),
      '--dataset', 'customer_orders', '--input', input, '--page-size', '100', '--batch-size', '100'];
    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
      child.stderr.on('data', (d: Buffer) => { err = (err + d.toString('utf8')).slice(-4000); });
      const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
      child.on('error', reject);
      child.on('close', (c) => { clearTimeout(timer); resolve({ code: c, stdout: out, stderr: err }); });
    });
    const wallMs = performance.now() - started;
    let summary: Summary;
    try {
      summary = JSON.parse(stdout) as Summary;
    } catch {
      throw new Error(`the local run printed no JSON summary (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`);
    }
    if (code !== 0 || summary.reconciled !== true) {
      throw new Error(`the local run did not reconcile (exit ${code}): ${summary.error ?? JSON.stringify(summary).slice(0, 300)}`);
    }
    const reported = typeof summary.recordsPerSecond === 'number' ? summary.recordsPerSecond
      : typeof summary.elapsedMs === 'number' ? records / (summary.elapsedMs / 1000) : undefined;
    const rate = reported ?? records / (wallMs / 1000);
    return compare(id, title, summarize(reported !== undefined ? 'summary recordsPerSecond' : 'records / process wall time', 'records/s', [rate]), undefined, undefined, {
      notes: [
        reported !== undefined
          ? 'from the summary the local run prints (recordsPerSecond / elapsedMs)'
          : 'the summary has no elapsedMs/recordsPerSecond yet: computed from the wall time of the whole process (includes starting PostgreSQL, S3, the source)',
        'one run, --page-size 100 --batch-size 100; no target',
      ],
      extra: { wallMs: Math.round(wallMs), loaded: summary.loaded ?? -1 },
    });
  } catch (e) {
    return failed(id, title, e);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
