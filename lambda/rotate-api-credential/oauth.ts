/** The client-credentials grant of lambda/shared, with the rotation's errors and its URL rules for the secret's tokenUrl. */
import { IssuedToken, requestClientCredentialsToken as requestToken, TokenRequestError } from '../shared/oauth-client-credentials';
import { RotationError } from './errors';
import { HttpFn, parseHttpsUrl } from './https-client';
import { ApiCredential } from './secret-value';

export type { IssuedToken } from '../shared/oauth-client-credentials';

/** Requests a fresh access token with the credential's client id and secret (HTTP Basic client auth). */
export async function requestClientCredentialsToken(http: HttpFn, credential: ApiCredential, now: Date): Promise<IssuedToken> {
  // The rotation's own wording for a bad tokenUrl in the secret, before anything is sent.
  parseHttpsUrl(credential.tokenUrl, 'tokenUrl in the secret');
  try {
    return await requestToken(http, credential, now);
  } catch (e) {
    if (e instanceof TokenRequestError) throw new RotationError(e.message, e.code);
    throw e;
  }
}
