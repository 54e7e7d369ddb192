/** The HTTPS client against real local TLS servers with certificates generated here. */
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import { createHttpsClient, HttpFn, parseHttpsUrl } from '../../../lambda/rotate-api-credential/https-client';
import { selfSignedCertificate, TestCertificate } from './local-oauth-provider';

let cert: TestCertificate;
const servers: https.Server[] = [];

async function serve(
  handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
  options: https.ServerOptions = {},
): Promise<string> {
  const server = https.createServer({ cert: cert.cert, key: cert.key, ...options }, handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: Error & { code?: string }) => e,
  );
}

let http: HttpFn;

beforeAll(async () => {
  cert = await selfSignedCertificate();
  http = createHttpsClient({ ca: cert.cert, timeoutMs: 2_000, maxResponseBytes: 1_024 });
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('URL policy', () => {
  test.each([
    ['http://api.example.com/token', /must use https:\/\/ \(got http:\/\/\)/],
    ['ftp://api.example.com/token', /must use https:\/\/ \(got ftp:\/\/\)/],
    ['https://user:pa55word@api.example.com/token', /must not embed user credentials/],
    ['not a url pa55word', /is not a valid absolute URL/],
  ])('%s is refused without echoing it', (raw, message) => {
    let error: unknown;
    try {
      parseHttpsUrl(raw, 'tokenUrl');
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('pa55word');
  });

  test('an https URL is accepted', () => {
    expect(parseHttpsUrl('https://api.example.com/oauth2/token?x=1', 'tokenUrl').host).toBe('api.example.com');
  });
});

describe('HTTPS client against a real local TLS server', () => {
  test('returns status, content type and body from a trusted server', async () => {
    const base = await serve((req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization }));
    });

    const response = await http({ method: 'POST', url: `${base}/x`, headers: { authorization: 'Bearer t' }, body: 'a=b' });

    expect(response.status).toBe(201);
    expect(response.contentType).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ method: 'POST', auth: 'Bearer t' });
  });

  test('negotiates TLS 1.2 or newer', async () => {
    let protocol: string | null = null;
    const base = await serve((req, res) => {
      protocol = (req.socket as import('node:tls').TLSSocket).getProtocol();
      res.end('ok');
    });
    await http({ method: 'GET', url: base });
    expect(['TLSv1.2', 'TLSv1.3']).toContain(protocol);
  });

  test('refuses a server that only offers TLS 1.1', async () => {
    let base: string;
    try {
      base = await serve((_req, res) => res.end('ok'), {
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
    } catch {
      // OpenSSL builds without TLS 1.1 cannot even start such a server; nothing to test then.
      return;
    }
    // Control: the server is reachable for a client that would accept TLS 1.0/1.1.
    const legacy = await new Promise<number | undefined>((resolve, reject) => {
      https
        .get(base, { ca: cert.cert, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject);
    }).catch(() => undefined);
    if (legacy === undefined) return; // this OpenSSL cannot speak TLS 1.1 at all; nothing to compare against

    const error = await rejection(http({ method: 'GET', url: base }));
    expect(legacy).toBe(200);
    expect(error.message).toMatch(/^TLS handshake with https:\/\/127\.0\.0\.1:\d+\/ failed \((EPROTO|ERR_SSL_\w+)\); the server must offer TLS 1\.2 or newer/);
  });

  test('refuses a trusted certificate issued for another host name', async () => {
    const localhostOnly = await selfSignedCertificate({ dns: ['localhost'], ips: [] });
    const server = https.createServer({ cert: localhostOnly.cert, key: localhostOnly.key }, (_req, res) => res.end('ok'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = createHttpsClient({ ca: localhostOnly.cert });

    const error = await rejection(client({ method: 'GET', url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/` }));

    expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).toMatch(/TLS certificate of .* was rejected/);
  });

  test('caps the response size when the server declares a large Content-Length', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '4096' });
      res.end('x'.repeat(4096));
    });
    const error = await rejection(http({ method: 'GET', url: base }));
    expect(error.code).toBe('ERESPONSETOOLARGE');
    expect(error.message).toMatch(/larger than the 1024-byte limit/);
  });

  test('caps the response size of a chunked response without Content-Length', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 8; i++) res.write('y'.repeat(512));
      res.end();
    });
    const error = await rejection(http({ method: 'GET', url: base }));
    expect(error.code).toBe('ERESPONSETOOLARGE');
  });

  test('with readBody false, returns the status without reading a body over the cap', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(204);
      res.end('z'.repeat(4096));
    });
    await expect(http({ method: 'GET', url: base, readBody: false })).resolves.toEqual({
      status: 204,
      contentType: undefined,
      body: '',
    });
  });

  test('does not follow redirects', async () => {
    let followed = false;
    const base = await serve((req, res) => {
      if (req.url === '/elsewhere') followed = true;
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const response = await http({ method: 'GET', url: `${base}/start`, headers: { authorization: 'Bearer t' } });
    expect(response.status).toBe(302);
    expect(followed).toBe(false);
  });

  test('times out a server that accepts the request but never answers', async () => {
    const base = await serve(() => undefined);
    const client = createHttpsClient({ ca: cert.cert, timeoutMs: 200 });
    const started = Date.now();
    const error = await rejection(client({ method: 'GET', url: base }));
    expect(error.code).toBe('ETIMEDOUT');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  test('times out a server that starts a response and stalls mid-body', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const client = createHttpsClient({ ca: cert.cert, timeoutMs: 200 });
    const error = await rejection(client({ method: 'GET', url: base }));
    expect(error.code).toBe('ETIMEDOUT');
  });
});
