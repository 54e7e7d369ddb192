/**
 * Lambda entry point of the API credential rotation function: wires the AWS SDK client, the HTTPS client
 * and the Powertools logger into the pure rotation logic in ./rotation.ts.
 *
 * Environment:
 * - PROBE_URL (optional): https URL called with the pending token in testSecret; when unset, the secret's
 *   `probeUrl` field is used, and one of the two is required.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SecretsManagerRotationEvent } from 'aws-lambda';
import { createHttpsClient, HttpFn } from './https-client';
import { rotateSecret } from './rotation';

export interface HandlerDeps {
  readonly secretsManager: SecretsManagerClient;
  readonly http: HttpFn;
  readonly logger: Logger;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export type RotationHandler = (event: SecretsManagerRotationEvent, context?: Context) => Promise<void>;

export function createHandler(deps: HandlerDeps): RotationHandler {
  return async (event, context) => {
    if (context !== undefined) deps.logger.addContext(context);
    const env = deps.env ?? process.env;
    try {
      await rotateSecret(event, {
        secretsManager: deps.secretsManager,
        http: deps.http,
        logger: deps.logger,
        probeUrl: env.PROBE_URL,
      });
    } catch (error) {
      // Error messages in this function are built without secret values (see errors.ts), so the message is
      // safe to log; the stack and any attached cause are not logged.
      deps.logger.error('Rotation step failed', {
        step: event?.Step,
        secretArn: event?.SecretId,
        versionId: event?.ClientRequestToken,
        errorName: error instanceof Error ? error.name : 'UnknownError',
        errorMessage: error instanceof Error ? error.message : 'non-Error value thrown',
      });
      throw error;
    }
  };
}

// Created once per execution environment; the SDK comes from the Lambda runtime. The HTTPS client trusts
// Node's bundled root CAs only and verifies certificates.
export const handler: RotationHandler = createHandler({
  secretsManager: new SecretsManagerClient({}),
  http: createHttpsClient(),
  logger: new Logger({ serviceName: 'rotate-api-credential' }),
});
