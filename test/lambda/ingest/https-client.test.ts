/** The HTTPS client of the stages that call external APIs (lambda/shared/https-client), against a real local TLS server. */
import type { ServerResponse } from 'node:http';
import * as tls from 'node:tls';
import { createHttpsClient, HttpsClient, HttpsRequestError } from '../../../lambda/shared/https-client';
import { json, LocalSourceApi } from './support/source-api';

let api: LocalSourceApi;
let client: HttpsClient;

beforeAll(async () => {
  api = await LocalSourceApi.start();
  client = createHttpsClient({ ca: api.ca, timeoutMs: 2_000 });
});

afterAll(async () => {
  client.close();
  await api.close();
});

const failure = (promise: Promise<unknown>): Promise<HttpsRequestError> =>
  promise.then(() => { throw new Error('expected a failure'); }, (e: HttpsRequestError) => e);

describe('HTTPS client (real local TLS server)', () => {
  test('returns status, headers and body from a server it trusts, over TLS 1.2 or newer', async () => {
    let protocol: string | null = null;
    api.respond((_req, res) => {
      protocol = (res.socket as tls.TLSSocket).getProtocol();
      json(res, 200, { ok: true }, { 'x-extra': 'yes' });
    });
    const response = await client.request({ url: api.url(), maxResponseBytes: 1024 });
    expect(response.status).toBe(200);
    expect(response.headers['x-extra']).toBe('yes');
    expect(JSON.parse(response.body.toString())).toEqual({ ok: true });
    expect(['TLSv1.2', 'TLSv1.3']).toContain(protocol);
  });

  test('verifies the certificate: without the test CA the self-signed server is refused', async () => {
    api.respond((_req, res) => json(res, 200, {}));
    const untrusting = createHttpsClient({ timeoutMs: 1_000 });
    const error = await failure(untrusting.request({ url: api.url(), maxResponseBytes: 1024 }));
    untrusting.close();
    expect(error.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(error.message).toMatch(/TLS certificate of https:\/\/127\.0\.0\.1:\d+\/records was rejected/);
    expect(error.transient).toBe(false);
    expect(api.requests).toHaveLength(0);
  });

  test('readBody: false ends at the status line, so a large body neither fills memory nor trips the cap', async () => {
    api.respond((_req, res) => { res.writeHead(204, { 'content-length': String(10 * 1024 * 1024) }); res.end(); });
    const response = await client.request({ url: api.url(), maxResponseBytes: 1024, readBody: false });
    expect(response.status).toBe(204);
    expect(response.body.length).toBe(0);
    const capped = await failure(client.request({ url: api.url(), maxResponseBytes: 1024 }));
    expect(capped.code).toBe('ERESPONSETOOLARGE');
    api.respond(() => undefined); // leave no recorded requests behind for the next test
  });

  test('refuses http:// before connecting', async () => {
    const error = await failure(client.request({ url: api.url().replace('https:', 'http:'), maxResponseBytes: 1024 }));
    expect(error.code).toBe('ENOTHTTPS');
    expect(api.requests).toHaveLength(0);
  });

  test('times out a server that never answers', async () => {
    api.respond(() => undefined);
    const quick = createHttpsClient({ ca: api.ca, timeoutMs: 100 });
    const started = Date.now();
    const error = await failure(quick.request({ url: api.url(), maxResponseBytes: 1024 }));
    quick.close();
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/timed out after 100 ms/);
    expect(error.transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('refuses a declared Content-Length over the cap without reading the body', async () => {
    api.respond((_req, res) => {
      res.writeHead(200, { 'content-length': '4096' });
      res.end('x'.repeat(4096));
    });
    const error = await failure(client.request({ url: api.url(), maxResponseBytes: 1024 }));
    expect(error.code).toBe('ERESPONSETOOLARGE');
    expect(error.message).toMatch(/larger than the 1024-byte limit/);
  });

  test('aborts a streamed response as soon as it passes the cap', async () => {
    let written = 0;
    let closedEarly: Promise<boolean> = Promise.resolve(false);
    api.respond((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      closedEarly = new Promise((resolve) => {
        const timer = setInterval(() => {
          if (res.destroyed || written >= 1_000) {
            clearInterval(timer);
            resolve(written < 1_000);
            res.end();
            return;
          }
          res.write('y'.repeat(512));
          written += 1;
        }, 2);
      });
    });
    const error = await failure(client.request({ url: api.url(), maxResponseBytes: 2048 }));
    expect(error.code).toBe('ERESPONSETOOLARGE');
    // The server saw the connection go away long before it would have finished (1000 chunks of 512 bytes).
    expect(await closedEarly).toBe(true);
  });

  test('does not follow redirects', async () => {
    api.respond((_req, res) => {
      res.writeHead(302, { location: 'https://elsewhere.example.com/' });
      res.end();
    });
    const response = await client.request({ url: api.url(), maxResponseBytes: 1024 });
    expect(response.status).toBe(302);
    expect(api.requests).toHaveLength(1);
  });
});
