/**
 * The only way this function talks to the network: the pipeline's shared HTTPS client (certificate verification
 * always on, TLS 1.2 or newer, a deadline on every request, a cap on response size), with the rotation's errors.
 */
import { createHttpsClient as createSharedHttpsClient, HttpsRequestError } from '../shared/https-client';
import { RotationError } from './errors';

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Whether the caller needs the response body. When false only the status is read and the connection is
   * closed, so a large probe response cannot exhaust memory or trip the size cap.
   * @default true
   */
  readonly readBody?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

/** What the rotation logic needs from the network; tests pass a client that trusts their own CA. */
export type HttpFn = (request: HttpRequest) => Promise<HttpResponse>;

export interface HttpsClientOptions {
  /**
   * Trust anchors (PEM) used *instead of* Node's bundled Mozilla roots, e.g. a private CA of the source API.
   * Verification stays on either way: there is deliberately no option to turn it off.
   * @default Node's bundled root certificates
   */
  readonly ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Deadline for the whole exchange (connect, TLS handshake, request, response body), in milliseconds.
   * @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Largest response body accepted, in bytes; larger responses fail the request.
   * @default 65536
   */
  readonly maxResponseBytes?: number;
}

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Parses a URL that will carry credentials or tokens and refuses anything but plain `https://host/...`.
 * The raw value is never echoed in the error: a misconfigured field might hold a secret.
 */
export function parseHttpsUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RotationError(`${what} is not a valid absolute URL; set it to an https:// URL.`);
  }
  if (url.protocol !== 'https:') {
    throw new RotationError(
      `${what} must use https:// (got ${url.protocol}//): credentials and tokens are never sent over plain HTTP.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new RotationError(`${what} must not embed user credentials; the client credential comes from the secret.`);
  }
  return url;
}

/** A URL as it may appear in logs and errors: origin and path, no query string or fragment. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

export function createHttpsClient(options: HttpsClientOptions = {}): HttpFn {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return async (request) => {
    const url = parseHttpsUrl(request.url, 'Request URL');
    // A client per request: a rotation makes one or two requests, and no idle socket should outlive it.
    const client = createSharedHttpsClient({ timeoutMs, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
    try {
      const response = await client.request({
        method: request.method,
        url,
        ...(request.headers !== undefined ? { headers: request.headers } : {}),
        ...(request.body !== undefined ? { body: request.body } : {}),
        maxResponseBytes,
        readBody: request.readBody !== false,
      });
      const contentType = response.headers['content-type'];
      return { status: response.status, ...(contentType !== undefined ? { contentType } : {}), body: response.body.toString('utf8') };
    } catch (e) {
      // The shared client's messages name only origin, path and error code: safe to carry into the step's error.
      if (e instanceof HttpsRequestError) throw new RotationError(e.message, e.code);
      throw e;
    } finally {
      client.close();
    }
  };
}
