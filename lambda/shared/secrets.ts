/**
 * Secret values for the Lambda stages, cached in memory through Powertools Parameters (SecretsProvider), with a
 * forced re-read for callers that learn the cached value is stale (e.g. a source API answered HTTP 401 after the
 * rotation function replaced the token). Errors name the secret, never its value.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The part of Powertools' SecretsProvider used here (tests may pass a SecretsProvider over a faked client). */
export interface SecretStringProvider {
  get(name: string, options?: { maxAge?: number; forceFetch?: boolean }): Promise<unknown>;
}

/** How long a secret value is served from memory before Secrets Manager is asked again. */
export const DEFAULT_SECRET_MAX_AGE_SECONDS = 300;

/** A secret could not be read, or is not text. */
export class SecretUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}

export interface SecretCacheOptions {
  /** @default 300 */
  readonly maxAgeSeconds?: number;
}

export class SecretCache {
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly provider: SecretStringProvider,
    options: SecretCacheOptions = {},
  ) {
    this.maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_SECRET_MAX_AGE_SECONDS;
  }

  /** A SecretCache over a Powertools SecretsProvider using `client` (the runtime's SDK client in Lambda). */
  static fromClient(client: SecretsManagerClient, options?: SecretCacheOptions): SecretCache {
    return new SecretCache(new SecretsProvider({ awsSdkV3Client: client }), options);
  }

  /**
   * The secret's SecretString (AWSCURRENT). With `forceRefresh`, Secrets Manager is asked even when a cached value
   * is fresh, and the cache is updated with the answer.
   */
  async getString(secretId: string, options: { forceRefresh?: boolean } = {}): Promise<string> {
    let value: unknown;
    try {
      // No `transform`: Powertools' JSON transform errors quote the text, i.e. the secret. Callers parse themselves.
      value = await this.provider.get(secretId, { maxAge: this.maxAgeSeconds, forceFetch: options.forceRefresh === true });
    } catch (e) {
      throw new SecretUnavailableError(`Cannot read secret ${secretId}: ${e instanceof Error ? e.name : 'unknown error'}`, { cause: e });
    }
    if (typeof value !== 'string' || value === '') {
      throw new SecretUnavailableError(`Secret ${secretId} has no SecretString; store the value as JSON text`);
    }
    return value;
  }
}

/**
 * Parses a secret's JSON text into an object. The JSON parser's own message quotes the input, so it is never
 * passed on: the error names the secret and what was expected.
 */
export function parseSecretJson(text: string, secretId: string, expected: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SecretUnavailableError(`Secret ${secretId} is not valid JSON; expected ${expected}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new SecretUnavailableError(`Secret ${secretId} is not a JSON object; expected ${expected}`);
  }
  return doc as Record<string, unknown>;
}
