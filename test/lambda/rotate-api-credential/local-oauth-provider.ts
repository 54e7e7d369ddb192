/**
 * A real HTTPS server on 127.0.0.1 with a certificate generated per test run: an OAuth2 token endpoint
 * (client-credentials grant, HTTP Basic client authentication) and a probe endpoint of the source API that
 * accepts only tokens it issued. Behaviour can be switched per test to simulate provider failures.
 */
import { randomBytes } from 'node:crypto';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';

export { selfSignedCertificate } from '../../helpers/tls';
export type { TestCertificate } from '../../helpers/tls';
import type { TestCertificate } from '../../helpers/tls';

export type TokenBehaviour =
  | 'issue'
  | 'issue-without-expiry'
  | 'malformed-form-body'
  | 'truncated-json'
  | 'non-bearer'
  | 'hang';
export type ProbeBehaviour = 'verify-token' | 'status-401' | 'status-500';

export interface RecordedTokenRequest {
  readonly authorization?: string;
  readonly contentType?: string;
  readonly body: string;
}

export interface ProviderOptions extends TestCertificate {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tls?: https.ServerOptions;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function decodeBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (header?.startsWith('Basic ') !== true) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const formDecode = (v: string): string => decodeURIComponent(v.replace(/\+/g, ' '));
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

export class LocalOAuthProvider {
  static async start(options: ProviderOptions): Promise<LocalOAuthProvider> {
    const provider = new LocalOAuthProvider(options);
    await new Promise<void>((resolve) => provider.server.listen(0, '127.0.0.1', resolve));
    return provider;
  }

  tokenBehaviour: TokenBehaviour = 'issue';
  probeBehaviour: ProbeBehaviour = 'verify-token';
  /** Access tokens issued so far, in order. */
  readonly issued: string[] = [];
  readonly tokenRequests: RecordedTokenRequest[] = [];
  /** Authorization headers presented to the probe. */
  readonly probeRequests: Array<string | undefined> = [];
  /** TLS connections that completed a handshake. */
  secureConnections = 0;
  private readonly server: https.Server;

  private constructor(private readonly options: ProviderOptions) {
    this.server = https.createServer({ cert: options.cert, key: options.key, ...options.tls }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    this.server.on('secureConnection', () => {
      this.secureConnections += 1;
    });
  }

  /** Back to issuing tokens and verifying them, with no recorded traffic. */
  reset(): void {
    this.tokenBehaviour = 'issue';
    this.probeBehaviour = 'verify-token';
    this.issued.length = 0;
    this.expired.clear();
    this.tokenRequests.length = 0;
    this.probeRequests.length = 0;
    this.secureConnections = 0;
  }

  /** Tokens that have run out (a one-hour token between four-hourly rotations), as a source API would see them. */
  readonly expired = new Set<string>();

  expire(token: string): void {
    this.expired.add(token);
  }

  /** Whether a source API trusting this provider accepts the Authorization header: a token it issued, not expired. */
  accepts(authorization: string | undefined): boolean {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
    return token !== undefined && this.issued.includes(token) && !this.expired.has(token);
  }

  url(path: string): string {
    const { port } = this.server.address() as AddressInfo;
    return `https://127.0.0.1:${port}${path}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: string): void {
    const json = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'POST' && req.url === '/oauth2/token') {
      this.tokenRequests.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      const client = decodeBasic(req.headers.authorization);
      const form = new URLSearchParams(body);
      if (client?.id !== this.options.clientId || client.secret !== this.options.clientSecret) {
        // A chatty provider that echoes what it was sent: the function must not repeat it.
        json(401, { error: 'invalid_client', error_description: `Client authentication failed for ${client?.id}:${client?.secret}` });
        return;
      }
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded' || form.get('grant_type') !== 'client_credentials') {
        json(400, { error: 'unsupported_grant_type' });
        return;
      }
      if (this.tokenBehaviour === 'hang') return;
      const accessToken = `at-${this.issued.length + 1}-${randomBytes(12).toString('hex')}`;
      this.issued.push(accessToken);
      switch (this.tokenBehaviour) {
        case 'issue':
          json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') });
          return;
        case 'issue-without-expiry':
          json(200, { access_token: accessToken, token_type: 'bearer' });
          return;
        case 'non-bearer':
          json(200, { access_token: accessToken, token_type: 'mac', expires_in: 3600 });
          return;
        case 'malformed-form-body':
          res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' });
          res.end(`access_token=${accessToken}&token_type=bearer`);
          return;
        case 'truncated-json':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(`{"access_token":"${accessToken}","token_type":"Bea`);
          return;
      }
    }
    if (req.method === 'GET' && req.url === '/probe') {
      this.probeRequests.push(req.headers.authorization);
      if (this.probeBehaviour === 'status-500') {
        json(500, { message: 'internal error' });
        return;
      }
      const valid = this.issued.some((t) => req.headers.authorization === `Bearer ${t}`);
      if (this.probeBehaviour === 'status-401' || !valid) {
        json(401, { message: 'invalid token' });
        return;
      }
      json(200, { ok: true });
      return;
    }
    json(404, { message: 'not found' });
  }
}
