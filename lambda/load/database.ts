/**
 * The load function's database connection: TLS verify-full against the Amazon RDS CA bundle (the options of
 * lambda/db-bootstrap/connect.ts), the loader role, and an IAM authentication token as the password — signed
 * fresh for every connection (tokens live 15 minutes), so no password exists anywhere.
 *
 * One connection per invocation, opened when the first message needs it. When it breaks (the server went away)
 * the next message reconnects; when connecting fails, every later message of the same invocation fails at once
 * instead of waiting for its own connect timeout — those messages are retried by SQS after the visibility timeout.
 */
import { Signer } from '@aws-sdk/rds-signer';
import { Client, ClientConfig } from 'pg';
import { connectionOptions } from '../db-bootstrap/connect';
import type { LoadSettings } from './environment';

/** Gives the password of a new connection; undefined connects without one (trust authentication, local run only). */
export type PasswordProvider = () => Promise<string | undefined>;

export interface LoaderClientOptions {
  /** PEM certificate(s) the server certificate must chain to. @default the Amazon RDS CA bundle */
  readonly ca?: string | readonly string[];
  readonly password: PasswordProvider;
  /** @default 5000 */
  readonly connectionTimeoutMillis?: number;
  /** Client-side limit for one query (the server's statement_timeout is set per transaction too). @default 60000 */
  readonly queryTimeoutMillis?: number;
}

/** IAM authentication tokens for `settings.user` (the function's role needs rds-db:connect for that user). */
export function iamAuthTokenProvider(settings: Pick<LoadSettings, 'host' | 'port' | 'user' | 'region'>, signer?: Pick<Signer, 'getAuthToken'>): PasswordProvider {
  const s = signer ?? new Signer({ hostname: settings.host, port: settings.port, username: settings.user, region: settings.region });
  return () => s.getAuthToken();
}

/** pg options: verify-full TLS (certificate chain and host name), TLS 1.2+, the loader role, a password provider. */
export function loaderClientConfig(settings: Pick<LoadSettings, 'host' | 'port' | 'user' | 'database'>, options: LoaderClientOptions): ClientConfig {
  const base = connectionOptions(
    { username: settings.user, password: '', host: settings.host, port: settings.port, dbname: settings.database },
    {
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    },
  );
  const password = options.password;
  return {
    ...base,
    application_name: 'secure-data-pipeline-load',
    // pg calls this only when the server asks for a password; without one (local run) the login is refused.
    password: async () => (await password()) ?? '',
    query_timeout: options.queryTimeoutMillis ?? 60_000,
    keepAlive: true,
  };
}

export type ConnectFn = () => Promise<Client>;

export function connectWith(config: ClientConfig): ConnectFn {
  return async () => {
    const client = new Client(config);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    return client;
  };
}

/** Connecting failed earlier in this invocation; the message is failed without trying again. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface ConnectionLogger {
  warn(message: string, attributes: Record<string, unknown>): void;
}

/** The connection of one invocation (see the file comment). */
export class LoaderConnection {
  private current: Client | undefined;
  private broken = false;
  private unavailable: DatabaseUnavailableError | undefined;

  constructor(
    private readonly connect: ConnectFn,
    private readonly logger: ConnectionLogger,
  ) {}

  /** A connected client, reconnecting when the last one broke. */
  async client(): Promise<Client> {
    if (this.unavailable) throw this.unavailable;
    if (this.current !== undefined && !this.broken) return this.current;
    await this.discard();
    try {
      const client = await this.connect();
      // Without a listener, an error on an idle connection (e.g. the server shutting down) would crash the process.
      client.on('error', (e: Error & { code?: string }) => {
        this.broken = true;
        this.logger.warn('Database connection lost', { errorName: e.name, code: e.code });
      });
      this.current = client;
      this.broken = false;
      return client;
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e instanceof Error ? e.name : 'unknown');
      this.unavailable = new DatabaseUnavailableError(
        `Cannot connect to the database (${code}); the messages of this invocation that need it fail and are retried by SQS`,
        { cause: e },
      );
      throw this.unavailable;
    }
  }

  /** Marks the connection unusable (e.g. after a failed COMMIT or ROLLBACK): the next message reconnects. */
  markBroken(): void {
    this.broken = true;
  }

  /** Closes the connection and forgets a failed connect, ready for the next invocation. */
  async close(): Promise<void> {
    await this.discard();
    this.unavailable = undefined;
  }

  private async discard(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
  }
}
