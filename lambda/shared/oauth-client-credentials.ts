/**
 * OAuth 2.0 client-credentials grant (RFC 6749 §4.4): one POST to the token URL with HTTP Basic client
 * authentication. Shared by the rotation function (which stores the token it gets) and the ingest stage (which
 * asks for a fresh token when the source refuses the stored one). Errors name the token URL's origin and path, the
 * HTTP status and the OAuth error code, never the client secret, a token or the response body.
 */
import { describeUrl, HttpsClient, requireHttpsUrl } from './https-client';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenUrl: string;
  readonly scope?: string;
}

export interface IssuedToken {
  readonly accessToken: string;
  /** Always `Bearer`: the ingest stage sends the token as a bearer token (RFC 6750). */
  readonly tokenType: 'Bearer';
  /** ISO-8601 expiry computed from `expires_in`; absent when the provider does not say. */
  readonly expiresAt?: string;
}

/** The one request the grant needs, and what the caller's HTTPS client gives back. */
export interface TokenHttpRequest {
  readonly method: 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface TokenHttpResponse {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

export type TokenHttp = (request: TokenHttpRequest) => Promise<TokenHttpResponse>;

/** Token responses are small; a larger one is refused before it is buffered. */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

/** The grant's request over one of the pipeline's HTTPS clients (verification on, no redirects, a size cap). */
export function tokenHttpOver(client: HttpsClient): TokenHttp {
  return async (request) => {
    const response = await client.request({ ...request, maxResponseBytes: MAX_TOKEN_RESPONSE_BYTES });
    const contentType = response.headers['content-type'];
    return { status: response.status, ...(contentType !== undefined ? { contentType } : {}), body: response.body.toString('utf8') };
  };
}

/** The token endpoint refused the grant or answered with something unusable. */
export class TokenRequestError extends Error {
  constructor(
    message: string,
    /** `HTTP_<status>`, EBADTOKENRESPONSE, or the URL problem (ENOTHTTPS, EBADURL). */
    public readonly code: string,
  ) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/** RFC 6749 §5.2 error codes are short ASCII identifiers; anything else from the body is not repeated. */
const OAUTH_ERROR_CODE = /^[a-z_]{1,64}$/;
/** Printable ASCII without spaces: the token goes into an HTTP header verbatim. */
export const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;

/** application/x-www-form-urlencoded encoding, which RFC 6749 §2.3.1 requires before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function mediaType(contentType: string | undefined): string {
  const match = /^\s*([\w.+-]+\/[\w.+-]+)/.exec(contentType ?? '');
  return match ? match[1] : 'none';
}

/**
 * Requests a fresh access token with the client id and secret. The request goes to the token URL only: the HTTPS
 * clients of this project never follow redirects, so the client secret cannot be replayed to another origin.
 */
export async function requestClientCredentialsToken(http: TokenHttp, credential: ClientCredentials, now: Date): Promise<IssuedToken> {
  let url: URL;
  try {
    url = requireHttpsUrl(credential.tokenUrl, 'The token URL');
  } catch (e) {
    throw new TokenRequestError(e instanceof Error ? e.message : 'The token URL is not usable', (e as { code?: string }).code ?? 'EBADURL');
  }
  const where = describeUrl(url);
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (credential.scope !== undefined && credential.scope !== '') form.set('scope', credential.scope);
  const basic = Buffer.from(`${formEncode(credential.clientId)}:${formEncode(credential.clientSecret)}`).toString('base64');

  const response = await http({
    method: 'POST',
    url: url.toString(),
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form.toString(),
  });

  let body: unknown;
  let bodyIsJson = true;
  try {
    body = JSON.parse(response.body);
  } catch {
    bodyIsJson = false;
  }
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;

  if (response.status < 200 || response.status > 299) {
    const code = typeof fields?.error === 'string' && OAUTH_ERROR_CODE.test(fields.error) ? ` (${fields.error})` : '';
    const hint = response.status === 400 || response.status === 401
      ? ' Check clientId, clientSecret and scope in the AWSCURRENT version of the secret.'
      : '';
    throw new TokenRequestError(`Token endpoint ${where} refused the client-credentials grant with HTTP ${response.status}${code}.${hint}`, `HTTP_${response.status}`);
  }
  if (!bodyIsJson || fields === undefined) {
    throw new TokenRequestError(
      `Token endpoint ${where} returned HTTP ${response.status} with a body that is not a JSON object ` +
        `(content-type ${mediaType(response.contentType)}); expected { access_token, token_type, expires_in }.`,
      'EBADTOKENRESPONSE',
    );
  }

  const accessToken = fields.access_token;
  if (typeof accessToken !== 'string' || !HEADER_SAFE_TOKEN.test(accessToken)) {
    throw new TokenRequestError(
      `Token endpoint ${where} returned no usable access_token (expected a non-empty string of printable characters).`,
      'EBADTOKENRESPONSE',
    );
  }
  const tokenType = fields.token_type;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    const shown = typeof tokenType === 'string' && /^[A-Za-z-]{1,32}$/.test(tokenType) ? ` "${tokenType}"` : '';
    throw new TokenRequestError(
      `Token endpoint ${where} issued a token of type${shown} other than Bearer; the ingest stage can only send bearer tokens.`,
      'EBADTOKENRESPONSE',
    );
  }

  const expiresIn = typeof fields.expires_in === 'string' ? Number(fields.expires_in) : fields.expires_in;
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0)) {
    throw new TokenRequestError(`Token endpoint ${where} returned an invalid expires_in (expected a positive number of seconds).`, 'EBADTOKENRESPONSE');
  }
  return {
    accessToken,
    tokenType: 'Bearer',
    ...(expiresIn !== undefined ? { expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString() } : {}),
  };
}
