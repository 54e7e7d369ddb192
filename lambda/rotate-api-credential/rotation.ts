/**
 * The four-step Secrets Manager rotation protocol for the source API's OAuth2 client credential, following
 * the semantics of the AWS rotation templates: every step is idempotent because Secrets Manager retries.
 * The client id and secret are not changed; each rotation stores a fresh short-lived access token.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { RotationError } from './errors';
import { describeUrl, HttpFn, parseHttpsUrl } from './https-client';
import { requestClientCredentialsToken } from './oauth';
import { ApiCredential, isPlaceholderCredential, parseApiCredential } from './secret-value';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface RotationEvent {
  readonly Step: RotationStep;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

/**
 * The part of the Powertools Logger this module uses. Only the step, the secret ARN and version ids are ever
 * logged: never a secret value, a token or a response body.
 */
export interface RotationLogger {
  info(message: string, attributes: Record<string, string | undefined>): void;
}

export interface RotationDeps {
  readonly secretsManager: SecretsManagerClient;
  readonly http: HttpFn;
  readonly logger: RotationLogger;
  /**
   * URL that testSecret calls with the pending token, from the function's configuration (PROBE_URL).
   * @default the `probeUrl` field of the secret
   */
  readonly probeUrl?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

function assertEvent(event: RotationEvent): void {
  if (typeof event?.SecretId !== 'string' || event.SecretId === '') {
    throw new RotationError('Rotation event has no SecretId.');
  }
  if (typeof event.ClientRequestToken !== 'string' || event.ClientRequestToken === '') {
    throw new RotationError('Rotation event has no ClientRequestToken.');
  }
  if (!(ROTATION_STEPS as readonly string[]).includes(event.Step)) {
    throw new RotationError(`Rotation event has an unknown Step; expected one of ${ROTATION_STEPS.join(', ')}.`);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}

/** Runs one rotation step. Throws (so Secrets Manager marks the rotation failed) on anything unexpected. */
export async function rotateSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  assertEvent(event);
  const { secretsManager } = deps;
  const token = event.ClientRequestToken;
  const step = event.Step;

  const metadata = await secretsManager.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
  const arn = metadata.ARN ?? event.SecretId;
  const log = (message: string, extra: Record<string, string | undefined> = {}): void =>
    deps.logger.info(message, { step, secretArn: arn, versionId: token, ...extra });

  if (metadata.RotationEnabled !== true) {
    throw new RotationError(`Secret ${arn} does not have rotation enabled; enable rotation before invoking this function.`);
  }
  const versions = metadata.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (stages === undefined) {
    throw new RotationError(`Secret version ${token} has no stage for rotation of secret ${arn}.`);
  }
  if (stages.includes(CURRENT)) {
    log('Secret version is already AWSCURRENT; nothing to do');
    return;
  }
  if (!stages.includes(PENDING)) {
    throw new RotationError(`Secret version ${token} is not set as AWSPENDING for rotation of secret ${arn}.`);
  }

  switch (step) {
    case 'createSecret':
      return createSecret(deps, arn, token, log);
    case 'setSecret':
      // With the client-credentials grant there is nothing to change at the provider: the token endpoint
      // issued the new access token in createSecret, and the client id/secret stay as they are (they are
      // changed by the API owner, who then updates the secret). The step exists only to keep the protocol.
      log('Nothing to set at the provider for an OAuth2 client-credentials token');
      return;
    case 'testSecret':
      return testSecret(deps, arn, token, log);
    case 'finishSecret':
      return finishSecret(deps, arn, token, versions, log);
  }
}

type Log = (message: string, extra?: Record<string, string | undefined>) => void;

async function createSecret(deps: RotationDeps, arn: string, token: string, log: Log): Promise<void> {
  const { secretsManager } = deps;
  // A retried createSecret finds its own pending value and stops, so no second token is requested and no
  // second version is written.
  try {
    await secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: PENDING }));
    log('AWSPENDING version already has a value; nothing to do');
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }

  const currentValue = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: CURRENT }));
  const current = parseApiCredential(currentValue.SecretString, `${currentValue.VersionId ?? ''} (AWSCURRENT)`.trim());
  if (current.placeholder === true) {
    // Its client secret is a generated stand-in: it must never reach the token endpoint.
    throw new RotationError(
      `Secret ${arn} still holds the placeholder deployed with the stack ("placeholder": true); store the source API client with ` +
      '`aws secretsmanager put-secret-value` (clientId, clientSecret, tokenUrl, probeUrl, without "placeholder"), then rotate.',
    );
  }
  const issued = await requestClientCredentialsToken(deps.http, current, (deps.now ?? (() => new Date()))());

  const next: Record<string, unknown> = { ...current, accessToken: issued.accessToken, tokenType: issued.tokenType };
  if (issued.expiresAt !== undefined) {
    next.expiresAt = issued.expiresAt;
  } else {
    delete next.expiresAt;
  }
  await secretsManager.send(
    new PutSecretValueCommand({
      SecretId: arn,
      ClientRequestToken: token,
      SecretString: JSON.stringify(next),
      VersionStages: [PENDING],
    }),
  );
  log('Stored a new access token as AWSPENDING', { previousVersionId: currentValue.VersionId });
}

async function testSecret(deps: RotationDeps, arn: string, token: string, log: Log): Promise<void> {
  let pendingValue;
  try {
    pendingValue = await deps.secretsManager.send(
      new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: PENDING }),
    );
  } catch (error) {
    // The test Secrets Manager runs when a schedule is created may label a version AWSPENDING without a value of its
    // own; that passes only while AWSCURRENT is still the deployed placeholder (nothing to test against the source).
    if (!isNotFound(error) || !(await currentIsPlaceholder(deps, arn))) throw error;
    log('AWSPENDING has no value and AWSCURRENT is the deployed placeholder: nothing to test until the client is stored');
    return;
  }
  const pending: ApiCredential = parseApiCredential(pendingValue.SecretString, `${token} (AWSPENDING)`);
  if (isPlaceholderCredential(pending)) {
    // Only the rotation configuration test reaches here with the placeholder: createSecret refuses to rotate it, so a
    // real rotation never has a placeholder as AWSPENDING, and ingest refuses the placeholder as a credential.
    log('AWSPENDING is the deployed placeholder: passed without calling the source; store the client, then rotate');
    return;
  }
  if (pending.accessToken === undefined || pending.accessToken === '') {
    throw new RotationError(`AWSPENDING version ${token} of ${arn} has no accessToken; createSecret did not complete.`);
  }
  const configured = deps.probeUrl !== undefined && deps.probeUrl !== '';
  const probe = configured ? deps.probeUrl : pending.probeUrl;
  if (probe === undefined || probe === '') {
    throw new RotationError(
      `No probe URL to test the pending token of ${arn}: set the PROBE_URL environment variable or probeUrl in the secret.`,
    );
  }
  const url = parseHttpsUrl(probe, configured ? 'PROBE_URL' : 'probeUrl in the secret');
  const response = await deps.http({
    method: 'GET',
    url: url.toString(),
    headers: { authorization: `Bearer ${pending.accessToken}`, accept: 'application/json' },
    readBody: false,
  });
  if (response.status < 200 || response.status > 299) {
    throw new RotationError(
      `Probe ${describeUrl(url)} rejected the pending access token with HTTP ${response.status}; AWSCURRENT is left unchanged.`,
      `HTTP_${response.status}`,
    );
  }
  log('Pending access token accepted by the probe');
}

async function currentIsPlaceholder(deps: RotationDeps, arn: string): Promise<boolean> {
  const current = await deps.secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: CURRENT }));
  return isPlaceholderCredential(parseApiCredential(current.SecretString, `${current.VersionId ?? ''} (AWSCURRENT)`.trim()));
}

async function finishSecret(
  deps: RotationDeps,
  arn: string,
  token: string,
  versions: Record<string, string[]>,
  log: Log,
): Promise<void> {
  // The caller already returned if `token` holds AWSCURRENT, so any AWSCURRENT found here is the old version.
  const previous = Object.entries(versions).find(([, stages]) => stages.includes(CURRENT))?.[0];
  await deps.secretsManager.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: CURRENT,
      MoveToVersionId: token,
      RemoveFromVersionId: previous,
    }),
  );
  log('Moved AWSCURRENT to the new version', { previousVersionId: previous });
}
