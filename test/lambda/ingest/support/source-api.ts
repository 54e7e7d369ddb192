/**
 * A real HTTPS source API on 127.0.0.1 with a per-run self-signed certificate. Each test scripts the responses
 * (`respond`), and every request is recorded (path, cursor, Authorization header).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate, TestCertificate } from '../../rotate-api-credential/local-oauth-provider';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly cursor: string | null;
  readonly authorization: string | undefined;
}

/** Answers one request; `n` counts requests from 1 since the last reset. */
export type Responder = (request: RecordedRequest, res: ServerResponse, n: number) => void;

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * A responder serving `pages` keyed by cursor ('' for the first page) to requests bearing `Bearer <token>`;
 * other tokens get 401 and unknown cursors 404.
 */
export function pagedResponder(pages: Readonly<Record<string, unknown>>, token: string | undefined): Responder {
  return (request, res) => {
    // An open source (token undefined) serves anyone; an authenticated one only its own token.
    if (request.authorization !== (token === undefined ? undefined : `Bearer ${token}`)) return json(res, 401, { message: 'invalid token' });
    const page = pages[request.cursor ?? ''];
    if (page === undefined) return json(res, 404, { message: 'unknown cursor' });
    json(res, 200, page);
  };
}

export class LocalSourceApi {
  /** Pass one certificate to several local servers: a client trusts it once for all of them. */
  static async start(certificate?: TestCertificate): Promise<LocalSourceApi> {
    const api = new LocalSourceApi(certificate ?? await selfSignedCertificate());
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  readonly requests: RecordedRequest[] = [];
  private responder: Responder = (_req, res) => json(res, 500, { message: 'no responder set' });
  private readonly server: https.Server;

  private constructor(readonly certificate: TestCertificate) {
    this.server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        cursor: url.searchParams.get('cursor'),
        authorization: req.headers.authorization,
      };
      this.requests.push(recorded);
      this.responder(recorded, res, this.requests.length);
    });
  }

  /** The CA the client must trust (the self-signed certificate itself). */
  get ca(): string {
    return this.certificate.cert;
  }

  url(path = '/records'): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  respond(responder: Responder): void {
    this.responder = responder;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
