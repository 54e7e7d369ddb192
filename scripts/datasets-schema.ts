/**
 * `npm run schema`: writes schema/datasets.schema.json, the JSON Schema editors use to validate a datasets config as
 * you type, generated from the zod schema in lib/config/datasets.ts. `npm run schema -- --check` writes nothing and
 * exits 1 when the committed file differs from a fresh generation (run it in CI), 2 on bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetsJsonSchema } from '../lib/config/datasets';

export const SCHEMA_FILE = path.join(__dirname, '..', 'schema', 'datasets.schema.json');

/** The file's exact text: two-space JSON with a final newline, so a regeneration without changes is no diff. */
export function datasetsSchemaText(): string {
  return `${JSON.stringify(datasetsJsonSchema(), null, 2)}\n`;
}

/** The CLI without the process: returns the exit code. `file` is a parameter so tests can check a stale copy. */
export function main(argv: string[], file = SCHEMA_FILE): number {
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown argument(s): ${unknown.join(' ')}\nUsage: npm run schema [-- --check]\n`);
    return 2;
  }
  const fresh = datasetsSchemaText();
  const relative = path.relative(process.cwd(), file);
  if (argv.includes('--check')) {
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (committed === fresh) {
      process.stdout.write(`${relative} is up to date\n`);
      return 0;
    }
    const why = committed === undefined ? 'is missing' : 'is stale: the zod schema in lib/config/datasets.ts changed';
    process.stderr.write(`${relative} ${why}. Run \`npm run schema\` and commit the file.\n`);
    return 1;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, fresh);
  process.stdout.write(`wrote ${relative}\n`);
  return 0;
}

if (require.main === module) {
  process.exit(main(process.argv.slice(2)));
}
