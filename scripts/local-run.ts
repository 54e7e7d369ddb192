/**
 * `npm run local-run -- --dataset <name> --input <file.jsonl>`: runs one dataset's whole data path on this machine
 * with the real handler code and no AWS (see scripts/local-run/pipeline.ts for what is real and what stands in).
 *
 * Prints ONE JSON summary on stdout (handler logs go to stderr) and exits 0 when the run reconciles with nothing
 * pending — nothing lost, nothing left unread and read = loaded + quarantined + deadLettered —, 1 when it does not
 * or a stage crashed, 2 on bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILES, ProfileName } from '../lib/config/profiles';
import { LocalRunOptions, REPOSITORY_ROOT, runLocal } from './local-run/pipeline';

const USAGE = `Usage: npm run local-run -- --dataset <name> --input <file.jsonl> [options]

  --dataset <name>      a dataset of the config (e.g. customer_orders)
  --input <file>        JSON lines, one source record per line (examples/data/<dataset>.jsonl)
  --config <file>       datasets config (default: examples/datasets.json)
  --page-size <n>       records per source API page (default 5)
  --profile <name>      dev or prod: the store's MSK batch size and window and the topic's partitions (default dev:
                        ${PROFILES.dev.storeBatchSize} records, ${PROFILES.dev.storeBatchWindowSeconds} s, ${PROFILES.dev.topicPartitions} partitions)
  --batch-size <n>      records per store invocation, the MSK batch size (default: the profile's)
  --batch-window <s>    the MSK batching window in seconds, 0 for none (default: the profile's)
  --max-pages <n>       pages per ingest invocation (default 500, as deployed)
  --max-invocations <n> ingest invocations at most; records not served by then are reported as pending (default 1000)
  --fail-s3-once        the first PUT into the curated bucket answers 503; the store batch is retried
  --fail-db-once        the database stops after the first object is loaded and restarts after that invocation
  --db-down             the database is down for the whole load phase; load messages end in the DLQ
  --verbose             handler logs at INFO (default WARN), on stderr
  --help`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) fail(`--${name} must be an integer from 1 to 10000`);
  return n;
}

function nonNegative(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 300) fail(`--${name} must be an integer from 0 to 300`);
  return n;
}

function profileName(value: string | undefined): ProfileName {
  if (value === undefined) return 'dev';
  if (!Object.prototype.hasOwnProperty.call(PROFILES, value)) fail(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  return value as ProfileName;
}

function parseOptions(argv: string[]): LocalRunOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dataset: { type: 'string' },
        input: { type: 'string' },
        config: { type: 'string' },
        'page-size': { type: 'string' },
        'batch-size': { type: 'string' },
        'batch-window': { type: 'string' },
        profile: { type: 'string' },
        'max-pages': { type: 'string' },
        'max-invocations': { type: 'string' },
        'fail-s3-once': { type: 'boolean' },
        'fail-db-once': { type: 'boolean' },
        'db-down': { type: 'boolean' },
        'lose-one': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.dataset) fail('--dataset is required');
  if (!values.input) fail('--input is required');
  // npm runs scripts from the package root; paths on the command line are relative to where it was called.
  const base = process.env.INIT_CWD ?? process.cwd();
  const input = path.resolve(base, values.input);
  const config = values.config ? path.resolve(base, values.config) : path.join(REPOSITORY_ROOT, 'examples', 'datasets.json');
  for (const file of [input, config]) if (!fs.existsSync(file)) fail(`${file} does not exist`);
  return {
    dataset: values.dataset,
    input,
    config,
    pageSize: positive(values['page-size'], 'page-size', 5),
    profile: profileName(values.profile),
    ...(values['batch-size'] !== undefined ? { batchSize: positive(values['batch-size'], 'batch-size', 1) } : {}),
    ...(values['batch-window'] !== undefined ? { batchWindowSeconds: nonNegative(values['batch-window'], 'batch-window') } : {}),
    maxPages: positive(values['max-pages'], 'max-pages', 500),
    maxIngestInvocations: positive(values['max-invocations'], 'max-invocations', 1000),
    failS3Once: values['fail-s3-once'] === true,
    failDbOnce: values['fail-db-once'] === true,
    dbDown: values['db-down'] === true,
    loseOne: values['lose-one'] === true,
    logLevel: values.verbose ? 'INFO' : 'WARN',
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  // Everything the handlers print (Powertools logs are JSON on stdout in Lambda) goes to stderr here, so stdout
  // carries only the summary.
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  let output: unknown;
  let code: number;
  try {
    const summary = await runLocal(options);
    output = summary;
    code = summary.reconciled && summary.pending === 0 ? 0 : 1;
  } catch (e) {
    output = { dataset: options.dataset, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), reconciled: false };
    code = 1;
  } finally {
    process.stdout.write = stdout;
  }
  stdout(`${JSON.stringify(output, null, 2)}\n`);
  return code;
}

main().then((code) => {
  process.exitCode = code;
  // Servers are closed; this only guards against a stray handle keeping the process alive.
  setTimeout(() => process.exit(code), 2000).unref();
}, (e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
