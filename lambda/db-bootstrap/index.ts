/**
 * Custom resource (CDK custom-resources Provider, onEvent) that bootstraps the pipeline database at deploy time:
 * schema, one table per dataset, masked views, the IAM-authenticated loader role and one role per persona.
 *
 * Env: DB_SECRET_ARN — the RDS-generated master secret ({username, password, host, port, dbname}).
 * ResourceProperties: Datasets (JSON string of the datasets config), Schema (default "pipeline"),
 * LoaderUser (default "pipeline_loader").
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Client } from 'pg';
import { runBootstrap } from './bootstrap';
import { connectionOptions, fetchMasterSecret } from './connect';
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
    };
    return defaults;
  };

  return async function onEvent(event: CloudFormationCustomResourceEvent, signal?: AbortSignal): Promise<OnEventResponse> {
    const { logger, secretsManager, env, ca } = deps();
    logger.info('db-bootstrap event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId });

    if (event.RequestType === 'Delete') {
      // Deliberately a no-op: the database is retained and holds the pipeline's data. Removing this resource
      // (or the stack) must never drop tables or roles; that is a reviewed manual operation, not a deploy step.
      return { PhysicalResourceId: event.PhysicalResourceId };
    }

    const { config, options } = parseResourceProperties(event.ResourceProperties);
    const secretArn = env.DB_SECRET_ARN;
    if (!secretArn) {
      throw new Error('DB_SECRET_ARN is not set: pass the ARN of the RDS master secret in the environment');
    }
    const credentials = await fetchMasterSecret(secretsManager, secretArn);
    const client = new Client(connectionOptions(credentials, ca !== undefined ? { ca } : {}));
    // A dropped connection also rejects the pending query; without a listener it would crash the runtime.
    client.on('error', (e) => logger.info('database connection error', { message: e.message }));
    // Past the deadline the answer is already FAILED: closing the connection ends the statements still running.
    signal?.addEventListener('abort', () => void client.end().catch(() => undefined), { once: true });
    await client.connect();
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
