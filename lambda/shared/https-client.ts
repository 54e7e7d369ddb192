/**
 * HTTPS for the pipeline stages that call external APIs: certificate verification always on, TLS 1.2 or newer,
 * one deadline per request, a response-size cap that aborts the stream, no redirects. Errors carry a code and
 * name only the URL's origin and path — never headers, query strings or bodies, which may hold tokens or data.
 */
import type { IncomingHttpHeaders } from 'node:http';
import * as https from 'node:https';

export interface HttpsRequest {
  readonly method?: 'GET' | 'POST';
  readonly url: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Largest response body accepted; the connection is closed as soon as it is exceeded. */
  readonly maxResponseBytes: number;
  /**
   * Whether the caller needs the body. When false the exchange ends at the status line and headers and the
   * connection is closed, so a large response can neither exhaust memory nor trip the size cap. @default true
   */
  readonly readBody?: boolean;
}

export interface HttpsResponse {
  readonly status: number;
  /** Response headers, names in lower case. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpsClient {
  request(request: HttpsRequest): Promise<HttpsResponse>;
  /** Closes idle kept-alive connections; call when the invocation is done. */
  close(): void;
}

export interface HttpsClientOptions {
  /**
   * Trust anchors (PEM) used instead of Node's bundled Mozilla roots, e.g. a private CA or a test CA.
   * Verification stays on either way: there is deliberately no option to turn it off.
   * @default Node's bundled root certificates
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * Deadline for one whole exchange (connect, TLS handshake, request, complete response body), in milliseconds.
   * @default 10_000
   */
  readonly timeoutMs?: number;
}

export const DEFAULT_HTTPS_TIMEOUT_MS = 10_000;

/** A request failed before a complete response arrived, or the response broke a limit. */
export class HttpsRequestError extends Error {
  constructor(
    message: string,
    /** A Node/OpenSSL error code, or ETIMEDOUT / ERESPONSETOOLARGE / ENOTHTTPS / EBADURL from this client. */
    public readonly code: string,
  ) {
    super(message);
    this.name = 'HttpsRequestError';
  }

  /** Whether trying again may help: connection-level failures and timeouts, not TLS, size or URL problems. */
  get transient(): boolean {
    return TRANSIENT_CODES.has(this.code);
  }
}

const TRANSIENT_CODES = new Set([
  'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
]);

/** Node error codes that mean "the server's certificate was not accepted". */
const CERTIFICATE_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A URL as it may appear in logs and errors: origin and path, without query string, fragment or credentials. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Parses `raw` and refuses anything but `https://` without embedded credentials; the value is never echoed. */
export function requireHttpsUrl(raw: string | URL, what = 'URL'): URL {
  let url: URL;
  try {
    url = new URL(raw.toString());
  } catch {
    throw new HttpsRequestError(`${what} is not a valid absolute URL; use an https:// URL`, 'EBADURL');
  }
  if (url.protocol !== 'https:') {
    throw new HttpsRequestError(`${what} uses ${url.protocol}// ; only https:// is allowed (TLS 1.2 or newer)`, 'ENOTHTTPS');
  }
  if (url.username !== '' || url.password !== '') {
    throw new HttpsRequestError(`${what} embeds credentials; remove user:password@ and keep credentials in Secrets Manager`, 'EBADURL');
  }
  return url;
}

export function createHttpsClient(options: HttpsClientOptions = {}): HttpsClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTPS_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number of milliseconds');
  // TLS settings live on the agent so every request through this client gets them. Keep-alive serves paginated
  // reads; close() drops the idle sockets so none outlives the invocation.
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 4,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...(options.ca !== undefined ? { ca: options.ca as Array<string | Buffer> } : {}),
  });

  const request = (req: HttpsRequest): Promise<HttpsResponse> =>
    new Promise<HttpsResponse>((resolve, reject) => {
      const url = requireHttpsUrl(req.url, 'Request URL');
      const where = describeUrl(url);
      const maxBytes = req.maxResponseBytes;
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));

      let settled = false;
      const finish = (outcome: { response: HttpsResponse } | { error: HttpsRequestError }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if ('error' in outcome) {
          clientRequest.destroy();
          reject(outcome.error);
        } else {
          resolve(outcome.response);
        }
      };
      const fail = (message: string, code: string): void => finish({ error: new HttpsRequestError(message, code) });
      const tooLarge = (): void => fail(`Response from ${where} is larger than the ${maxBytes}-byte limit`, 'ERESPONSETOOLARGE');

      // Redirects are not followed: a 3xx reaches the caller as a status, so a bearer token is never replayed to a
      // host it was not configured for.
      const clientRequest = https.request(url, { method: req.method ?? 'GET', headers, agent }, (res) => {
        if (req.readBody === false) {
          res.destroy();
          finish({ response: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) } });
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          res.destroy();
          tooLarge();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            // Abort the stream: nothing more is read or buffered.
            res.destroy();
            tooLarge();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish({ response: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) } }));
        res.on('error', () => fail(`Response from ${where} was interrupted`, 'ECONNRESET'));
        res.on('close', () => {
          if (!res.complete) fail(`Response from ${where} was interrupted`, 'ECONNRESET');
        });
      });

      const deadline = setTimeout(() => fail(`Request to ${where} timed out after ${timeoutMs} ms`, 'ETIMEDOUT'), timeoutMs);

      clientRequest.on('error', (err: NodeJS.ErrnoException) => {
        // Only the code is reported: enough to diagnose, and it carries nothing from the exchange.
        const code = err.code ?? 'EUNKNOWN';
        if (CERTIFICATE_ERROR_CODES.has(code)) {
          fail(`TLS certificate of ${where} was rejected (${code}); certificate verification cannot be turned off, ` +
            'so the server needs a certificate from a trusted CA for this host name', code);
        } else if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
          fail(`TLS handshake with ${where} failed (${code}); the server must offer TLS 1.2 or newer`, code);
        } else {
          fail(`Request to ${where} failed (${code})`, code);
        }
      });

      clientRequest.end(req.body);
    });

  return { request, close: () => agent.destroy() };
}
