/**
 * Custom resource (CDK custom-resources Provider, onEvent) that bootstraps the pipeline database at deploy time:
 * schema, one table per dataset, masked views, the IAM-authenticated loader role and one role per persona.
 *
 * Env: DB_SECRET_ARN — the RDS-managed master secret ({username, password}).
 * ResourceProperties: Datasets (JSON string of the datasets config), Schema (default "pipeline"),
 * LoaderUser (default "pipeline_loader"), Database, Host and Port (where to connect; a secret that carries dbname,
 * host and port, as CDK-generated ones do, fills in what is missing, and nothing is guessed).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Client } from 'pg';
import { runBootstrap } from './bootstrap';
import { RetryDeps, RetryPolicy } from '../shared/retry';
import { connectionOptions, connectWithFreshSecret, fetchMasterSecret, resolveCredentials } from './connect';
import { parseResourceProperties } from './properties';

/** What the Provider framework expects back from onEvent. */
export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

export interface HandlerDependencies {
  readonly secretsManager: SecretsManagerClient;
  /** PEM certificate(s) the database certificate must chain to. @default the Amazon RDS CA bundle */
  readonly ca?: string | readonly string[];
  readonly logger: Pick<Logger, 'info'>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Login attempts while the master secret may be rotating. @default LOGIN_RETRY_POLICY */
  readonly loginRetryPolicy?: RetryPolicy;
  /** The retries' clock and sleep (tests). @default real time */
  readonly retryDeps?: RetryDeps;
}

/** `signal` aborts when the custom-resource deadline has passed (lambda/shared/cfn-response.ts). */
export type OnEventHandler = (event: CloudFormationCustomResourceEvent, signal?: AbortSignal) => Promise<OnEventResponse>;

/** The handler with its clients injectable (tests pass a test CA); `handler` below is the production one. */
export function createHandler(overrides: Partial<HandlerDependencies> = {}): OnEventHandler {
  let defaults: HandlerDependencies | undefined;
  const deps = (): HandlerDependencies => {
    defaults ??= {
      secretsManager: overrides.secretsManager ?? new SecretsManagerClient({}),
      logger: overrides.logger ?? new Logger({ serviceName: 'db-bootstrap' }),
      env: overrides.env ?? process.env,
      ...(overrides.ca !== undefined ? { ca: overrides.ca } : {}),
      ...(overrides.loginRetryPolicy !== undefined ? { loginRetryPolicy: overrides.loginRetryPolicy } : {}),
      ...(overrides.retryDeps !== undefined ? { retryDeps: overrides.retryDeps } : {}),
    };
    return defaults;
  };

  return async function onEvent(event: CloudFormationCustomResourceEvent, signal?: AbortSignal): Promise<OnEventResponse> {
    const { logger, secretsManager, env, ca, loginRetryPolicy, retryDeps } = deps();
    logger.info('db-bootstrap event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId });

    if (event.RequestType === 'Delete') {
      // Deliberately a no-op: the database is retained and holds the pipeline's data. Removing this resource
      // (or the stack) must never drop tables or roles; that is a reviewed manual operation, not a deploy step.
      return { PhysicalResourceId: event.PhysicalResourceId };
    }

    const { config, options, target } = parseResourceProperties(event.ResourceProperties);
    const secretArn = env.DB_SECRET_ARN;
    if (!secretArn) {
      throw new Error('DB_SECRET_ARN is not set: pass the ARN of the RDS master secret in the environment');
    }
    // RDS rotates the master secret on its own schedule: a refused password means a rotation happened between the
    // read and the login, so each attempt reads the secret again.
    const client = await connectWithFreshSecret({
      credentials: async () => resolveCredentials(await fetchMasterSecret(secretsManager, secretArn), target),
      open: async (credentials) => {
        const attempt = new Client(connectionOptions(credentials, ca !== undefined ? { ca } : {}));
        // A dropped connection also rejects the pending query; without a listener it would crash the runtime.
        attempt.on('error', (e) => logger.info('database connection error', { message: e.message }));
        try {
          await attempt.connect();
        } catch (e) {
          await attempt.end().catch(() => undefined);
          logger.info('database login failed', { code: (e as { code?: string }).code, message: (e as Error).message });
          throw e;
        }
        return attempt;
      },
      ...(loginRetryPolicy !== undefined ? { policy: loginRetryPolicy } : {}),
      ...(retryDeps !== undefined ? { retryDeps } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    // Past the deadline the answer is already FAILED: closing the connection ends the statements still running.
    signal?.addEventListener('abort', () => void client.end().catch(() => undefined), { once: true });
    const result = await runBootstrap(client, config, options)
      // A failure to close must not hide the bootstrap's own error.
      .finally(() => client.end().catch(() => undefined));
    logger.info('db-bootstrap applied', {
      schema: result.schema,
      tables: result.tables.length,
      maskedViews: result.maskedViews.length,
      statements: result.statements,
    });

    return {
      // Stable across updates, so CloudFormation never issues a Delete for a replaced physical id.
      PhysicalResourceId: event.RequestType === 'Update' ? event.PhysicalResourceId : `db-bootstrap:${options.schema}`,
      Data: { Schema: result.schema, LoaderUser: result.loaderUser },
    };
  };
}

export const handler: OnEventHandler = createHandler();
