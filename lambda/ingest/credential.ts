/**
 * The bearer token for the source API. Normally the one in the API credential secret that
 * lambda/rotate-api-credential keeps (`{ clientId, clientSecret, tokenUrl, scope?, accessToken, tokenType: "Bearer",
 * expiresAt? }`). When that token has expired — tokens often live an hour while the secret rotates every few
 * hours — or the source refuses it (HTTP 401), the stage obtains a fresh one itself with the client credentials of
 * the same secret and the shared client-credentials code of the rotation function, at most once per run.
 *
 * The fresh token is kept in memory only, for the runs of this execution environment until it expires, and never
 * written back to the secret: writing would need secretsmanager:PutSecretValue for the one function that talks to
 * the internet, and would race the rotation's four-step protocol, which stays the secret's only writer.
 *
 * The token request goes to the token URL of the dataset config the function owns (never to a URL an event or a
 * response names), and the HTTPS client follows no redirects, so the client secret reaches that origin only.
 */
import { ClientCredentials, HEADER_SAFE_TOKEN, IssuedToken, requestClientCredentialsToken, TokenHttp } from '../shared/oauth-client-credentials';
import { parseSecretJson, SecretCache } from '../shared/secrets';
import { CredentialError } from './errors';

export interface BearerCredential {
  readonly accessToken: string;
  /** When the token stops being accepted, if the token endpoint said. */
  readonly expiresAt?: Date;
}

/** Tokens for one run. */
export interface BearerTokenProvider {
  /** The token to send: a fresh one obtained earlier, or the secret's (a fresh one when the secret's has expired). */
  token(): Promise<string>;
  /** The source refused the token (HTTP 401): a fresh one from the token endpoint. Throws after the run's one refresh. */
  refresh(): Promise<string>;
}

/** Where fresh tokens come from: the owned config's token URL and scope, over the run's HTTPS client. */
export interface TokenEndpoint {
  readonly http: TokenHttp;
  readonly tokenUrl: string;
  readonly scope?: string;
}

/** Fresh tokens kept between the runs of one execution environment, by secret, until shortly before they expire. */
export class FreshTokenMemory {
  private readonly tokens = new Map<string, { readonly accessToken: string; readonly usableUntil: number }>();

  /** Tokens are dropped this long before they expire, so none is sent in its last seconds. */
  static readonly EXPIRY_MARGIN_MS = 60_000;

  get(secretId: string, nowMs: number): string | undefined {
    const entry = this.tokens.get(secretId);
    return entry !== undefined && entry.usableUntil > nowMs ? entry.accessToken : undefined;
  }

  /** A token without an expiry is not kept beyond its run: there is no telling when it stops working. */
  remember(secretId: string, token: IssuedToken): void {
    if (token.expiresAt === undefined) return;
    this.tokens.set(secretId, { accessToken: token.accessToken, usableUntil: Date.parse(token.expiresAt) - FreshTokenMemory.EXPIRY_MARGIN_MS });
  }

  forget(secretId: string): void {
    this.tokens.delete(secretId);
  }
}

const SHAPE = '{ "accessToken": "<token>", "tokenType": "Bearer", "expiresAt"?: "<ISO-8601>" } (kept by the rotation function)';

/**
 * The value ApiCredential deploys carries `"placeholder": true` until the operator stores the source API client. It
 * is never used: no token from it is sent to the source, and its generated client secret never goes to the token URL.
 */
function refusePlaceholder(doc: Readonly<Record<string, unknown>>, secretId: string): void {
  if (doc.placeholder !== undefined && doc.placeholder !== false) {
    throw new CredentialError(
      `Secret ${secretId} still holds the placeholder deployed with the stack ("placeholder" is set), not a credential; nothing was fetched. ` +
      'Store the source API client with `aws secretsmanager put-secret-value` (without "placeholder"), then run `aws secretsmanager rotate-secret`',
    );
  }
}

/** Validates the credential secret's JSON for its token. Messages name the secret and the field, never a value. */
export function parseBearerCredential(text: string, secretId: string): BearerCredential {
  const doc = parseSecretJson(text, secretId, SHAPE);
  refusePlaceholder(doc, secretId);
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

/** The client id and secret of the credential secret, for the client-credentials grant. */
export function parseClientCredentials(text: string, secretId: string): Pick<ClientCredentials, 'clientId' | 'clientSecret'> {
  const doc = parseSecretJson(text, secretId, '{ "clientId": "…", "clientSecret": "…", … } (the source API client)');
  refusePlaceholder(doc, secretId);
  const { clientId, clientSecret } = doc;
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
    throw new CredentialError(`Secret ${secretId} has no clientId and clientSecret to request a fresh token with; store the source API client in it`);
  }
  return { clientId, clientSecret };
}

export interface BearerTokenProviderProps {
  readonly secrets: SecretCache;
  readonly secretId: string;
  readonly endpoint: TokenEndpoint;
  /** @default a memory of this provider only */
  readonly memory?: FreshTokenMemory;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A provider for one run: it refreshes at most once. */
export function createBearerTokenProvider(props: BearerTokenProviderProps): BearerTokenProvider {
  const { secrets, secretId, endpoint } = props;
  const memory = props.memory ?? new FreshTokenMemory();
  const now = props.now ?? Date.now;
  let fresh: string | undefined;
  let refreshed = false;

  const refresh = async (): Promise<string> => {
    if (refreshed) {
      throw new CredentialError(
        `The source refused a token obtained from the token endpoint in this run; the run stops after one refresh. Check that the client of secret ${secretId} may read the source API`,
      );
    }
    refreshed = true;
    memory.forget(secretId);
    const client = parseClientCredentials(await secrets.getString(secretId, { forceRefresh: true }), secretId);
    const issued = await requestClientCredentialsToken(endpoint.http, {
      ...client,
      tokenUrl: endpoint.tokenUrl,
      ...(endpoint.scope !== undefined ? { scope: endpoint.scope } : {}),
    }, new Date(now()));
    memory.remember(secretId, issued);
    fresh = issued.accessToken;
    return fresh;
  };

  return {
    async token() {
      const remembered = fresh ?? memory.get(secretId, now());
      if (remembered !== undefined) return remembered;
      let credential = parseBearerCredential(await secrets.getString(secretId), secretId);
      const expired = (c: BearerCredential) => c.expiresAt !== undefined && c.expiresAt.getTime() <= now();
      if (!expired(credential)) return credential.accessToken;
      // The cache may predate a rotation: read the secret itself before asking the token endpoint.
      credential = parseBearerCredential(await secrets.getString(secretId, { forceRefresh: true }), secretId);
      return expired(credential) ? refresh() : credential.accessToken;
    },
    refresh,
  };
}
