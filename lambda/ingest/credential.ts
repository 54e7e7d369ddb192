/**
 * The bearer token for the source API, read from the API credential secret that lambda/rotate-api-credential
 * maintains: `{ clientId, clientSecret, tokenUrl, scope?, probeUrl?, accessToken, tokenType: "Bearer", expiresAt? }`.
 * Only `accessToken`, `tokenType` and `expiresAt` are used here; the client secret never leaves the secret.
 */
import { parseSecretJson, SecretCache } from '../shared/secrets';
import { CredentialError } from './errors';

export interface BearerCredential {
  readonly accessToken: string;
  /** When the token stops being accepted, if the token endpoint said. */
  readonly expiresAt?: Date;
}

/** Gives the current bearer token; `forceRefresh` re-reads the secret (the rotation function may have replaced it). */
export interface BearerTokenProvider {
  token(options?: { forceRefresh?: boolean }): Promise<string>;
}

/** Printable ASCII without spaces: the token goes into an HTTP header verbatim. */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;
const SHAPE = '{ "accessToken": "<token>", "tokenType": "Bearer", "expiresAt"?: "<ISO-8601>" } (kept by the rotation function)';

/** Validates the credential secret's JSON. Messages name the secret and the field, never a value. */
export function parseBearerCredential(text: string, secretId: string): BearerCredential {
  const doc = parseSecretJson(text, secretId, SHAPE);
  const { accessToken, tokenType, expiresAt } = doc;
  if (accessToken === undefined || accessToken === '') {
    throw new CredentialError(
      `Secret ${secretId} has no accessToken yet; rotate the secret once (aws secretsmanager rotate-secret) so the rotation function issues one`,
    );
  }
  if (typeof accessToken !== 'string' || !HEADER_SAFE_TOKEN.test(accessToken)) {
    throw new CredentialError(`Secret ${secretId}: accessToken must be a string of printable ASCII characters without spaces`);
  }
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw new CredentialError(`Secret ${secretId}: tokenType must be "Bearer"; the ingest stage sends bearer tokens only`);
  }
  let expiry: Date | undefined;
  if (expiresAt !== undefined) {
    expiry = typeof expiresAt === 'string' ? new Date(expiresAt) : undefined;
    if (expiry === undefined || Number.isNaN(expiry.getTime())) {
      throw new CredentialError(`Secret ${secretId}: expiresAt must be an ISO-8601 date-time when present`);
    }
  }
  return { accessToken, ...(expiry ? { expiresAt: expiry } : {}) };
}

/**
 * Bearer tokens from the credential secret through the secrets cache. A cached token past its `expiresAt` is
 * re-read once before use, so a rotation that happened since the cache filled is picked up without a 401.
 */
export function createBearerTokenProvider(secrets: SecretCache, secretId: string, now: () => number = Date.now): BearerTokenProvider {
  return {
    async token(options = {}) {
      let credential = parseBearerCredential(await secrets.getString(secretId, { forceRefresh: options.forceRefresh }), secretId);
      if (!options.forceRefresh && credential.expiresAt !== undefined && credential.expiresAt.getTime() <= now()) {
        credential = parseBearerCredential(await secrets.getString(secretId, { forceRefresh: true }), secretId);
      }
      return credential.accessToken;
    },
  };
}
