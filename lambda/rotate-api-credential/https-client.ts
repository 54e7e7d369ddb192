/**
 * The only way this function talks to the network: HTTPS with certificate verification, TLS 1.2 or newer,
 * a deadline on every request and a cap on response size. Dependency-free (node:https).
 */
import * as https from 'node:https';
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

/** Node error codes that mean "the server's certificate was not accepted". */
const CERTIFICATE_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

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
  // TLS settings live on the agent so every request made through this client gets them. keepAlive is off:
  // a rotation makes one or two requests, and idle sockets would only outlive the invocation.
  const agent = new https.Agent({
    keepAlive: false,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });

  return (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const url = parseHttpsUrl(request.url, 'Request URL');
      const where = describeUrl(url);
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined) {
        headers['content-length'] = String(Buffer.byteLength(request.body));
      }

      let settled = false;
      const finish = (outcome: { response: HttpResponse } | { error: RotationError }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if ('error' in outcome) {
          req.destroy();
          reject(outcome.error);
        } else {
          resolve(outcome.response);
        }
      };
      const fail = (message: string, code?: string): void => finish({ error: new RotationError(message, code) });

      // Redirects are not followed: a 3xx reaches the caller as a non-2xx status and fails the step, so a
      // credential is never replayed to a host it was not configured for.
      const req = https.request(url, { method: request.method, headers, agent }, (res) => {
        const status = res.statusCode ?? 0;
        const contentType = res.headers['content-type'];
        if (request.readBody === false) {
          res.destroy();
          finish({ response: { status, contentType, body: '' } });
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxResponseBytes) {
          res.destroy();
          fail(`Response from ${where} is larger than the ${maxResponseBytes}-byte limit.`, 'ERESPONSETOOLARGE');
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            res.destroy();
            fail(`Response from ${where} is larger than the ${maxResponseBytes}-byte limit.`, 'ERESPONSETOOLARGE');
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          finish({ response: { status, contentType, body: Buffer.concat(chunks).toString('utf8') } });
        });
        res.on('error', () => fail(`Response from ${where} was interrupted.`, 'ECONNRESET'));
        res.on('close', () => {
          if (!res.complete) fail(`Response from ${where} was interrupted.`, 'ECONNRESET');
        });
      });

      const deadline = setTimeout(
        () => fail(`Request to ${where} timed out after ${timeoutMs} ms.`, 'ETIMEDOUT'),
        timeoutMs,
      );

      req.on('error', (err: NodeJS.ErrnoException) => {
        // Only the error code is reported: it is enough to diagnose and carries nothing from the exchange.
        const code = err.code ?? 'EUNKNOWN';
        if (CERTIFICATE_ERROR_CODES.has(code)) {
          fail(
            `TLS certificate of ${where} was rejected (${code}). Certificate verification cannot be turned off; ` +
              'use a certificate issued by a trusted CA for this host name.',
            code,
          );
        } else if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
          fail(`TLS handshake with ${where} failed (${code}); the server must offer TLS 1.2 or newer.`, code);
        } else {
          fail(`Request to ${where} failed (${code}).`, code);
        }
      });

      req.end(request.body);
    });
}
