/** The JSON document stored in the API credential secret, and its validation. */
import { RotationError } from './errors';

export interface ApiCredential {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenUrl: string;
  readonly scope?: string;
  readonly probeUrl?: string;
  /** Bearer token the ingest stage sends to the source API. */
  readonly accessToken?: string;
  readonly tokenType?: string;
  /** ISO-8601 instant after which `accessToken` is no longer accepted. */
  readonly expiresAt?: string;
  /**
   * `true` only in the value ApiCredential deploys before the operator stores the real client: see
   * {@link isPlaceholderCredential}. Never accepted as a credential (ingest refuses it, createSecret refuses it).
   */
  readonly placeholder?: boolean;
  /** Fields this function does not know are carried over unchanged from version to version. */
  readonly [extra: string]: unknown;
}

const REQUIRED = ['clientId', 'clientSecret', 'tokenUrl'] as const;
const OPTIONAL = ['scope', 'probeUrl', 'accessToken', 'tokenType', 'expiresAt'] as const;

/**
 * Parses a secret version's `SecretString`. Errors name the version and the field, never a value: the
 * JSON parser's own message quotes the input, so it is not passed on.
 */
export function parseApiCredential(secretString: string | undefined, versionLabel: string): ApiCredential {
  if (secretString === undefined) {
    throw new RotationError(`Secret version ${versionLabel} has no SecretString; the credential must be stored as JSON text.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new RotationError(`Secret version ${versionLabel} is not valid JSON; expected { clientId, clientSecret, tokenUrl, ... }.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RotationError(`Secret version ${versionLabel} must be a JSON object with clientId, clientSecret and tokenUrl.`);
  }
  const record = parsed as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of REQUIRED) {
    if (typeof record[field] !== 'string' || record[field] === '') {
      problems.push(`${field} must be a non-empty string`);
    }
  }
  for (const field of OPTIONAL) {
    if (record[field] !== undefined && typeof record[field] !== 'string') {
      problems.push(`${field} must be a string when present`);
    }
  }
  if (record.placeholder !== undefined && typeof record.placeholder !== 'boolean') {
    problems.push('placeholder must be true or absent');
  }
  if (problems.length > 0) {
    throw new RotationError(`Secret version ${versionLabel} is not a valid API credential: ${problems.join('; ')}.`);
  }
  return record as ApiCredential;
}

/**
 * The value ApiCredential deploys (lib/constructs/secrets/api-credential.ts) until the operator stores the source
 * API client: `"placeholder": true` and no access token. Secrets Manager runs testSecret when a rotation schedule is
 * created without an immediate rotation, against that value; the placeholder passes that test without calling the
 * source, and is refused everywhere it would be used as a credential.
 */
export function isPlaceholderCredential(credential: Readonly<Record<string, unknown>>): boolean {
  return credential.placeholder === true && (credential.accessToken === undefined || credential.accessToken === '');
}
