/** The custom-resource responder against a real local HTTPS server standing in for the pre-signed S3 response URL. */
import { putResponse, withCloudFormationResponse } from '../../../lambda/shared/cfn-response';
import { customResourceEvent, ResponseServer, startResponseServer } from '../../helpers/cfn-response-server';

let server: ResponseServer;
let url: string;

beforeAll(async () => {
  server = await startResponseServer();
  url = server.url;
});
afterAll(() => server.close());
beforeEach(() => { server.received.length = 0; server.status = 200; });

const event = (type: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = {}) => customResourceEvent(type, properties, url);

test('success: PUTs SUCCESS with the id and data, content-type empty as the URL was signed', async () => {
  const handler = withCloudFormationResponse(async () => ({ PhysicalResourceId: 'thing-1', Data: { A: 'b' } }), { ca: server.cert.cert });
  await handler(event('Create'));
  expect(server.received).toEqual([{ method: 'PUT', contentType: '', body: {
    Status: 'SUCCESS', PhysicalResourceId: 'thing-1', Data: { A: 'b' },
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1', RequestId: 'req-1', LogicalResourceId: 'Thing',
  } }]);
});

test('failure: PUTs FAILED with the message and never the resource properties', async () => {
  const logged: string[] = [];
  const handler = withCloudFormationResponse(async () => { throw new Error('database unreachable'); }, { ca: server.cert.cert, log: (m) => logged.push(m) });
  await handler(event('Update', { Password: 'hunter2-secret' }), { logStreamName: '2026/11/25/[$LATEST]abc' });
  expect(server.received[0]!.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'thing-1', Reason: 'database unreachable (log stream 2026/11/25/[$LATEST]abc)' });
  expect(JSON.stringify(server.received) + logged.join()).not.toContain('hunter2');
});

test('a failed Create reports a deterministic id so the rollback Delete is harmless', async () => {
  const handler = withCloudFormationResponse(async () => { throw new Error('boom'); }, { ca: server.cert.cert, log: () => undefined });
  await handler(event('Create'));
  expect(server.received[0]!.body.PhysicalResourceId).toBe('failed-req-1');
});

test('the certificate is verified and only HTTPS is used; an error status is an error', async () => {
  await expect(putResponse(url, '{}')).rejects.toThrow(/self.signed|certificate/i);
  await expect(putResponse(url.replace('https:', 'http:'), '{}')).rejects.toThrow(/refusing.*http:/);
  server.status = 403;
  await expect(putResponse(url, '{}', { ca: server.cert.cert })).rejects.toThrow(/HTTP 403/);
});

describe('deadline before the Lambda timeout', () => {
  const never = () => new Promise<never>(() => undefined);

  test('work that never finishes is answered FAILED before the function would time out, naming what timed out', async () => {
    let aborted: unknown;
    const handler = withCloudFormationResponse((_event, signal) => {
      signal.addEventListener('abort', () => (aborted = signal.reason));
      return never();
    }, { ca: server.cert.cert, answerMarginMs: 10_000, log: () => undefined });
    const started = Date.now();
    // 10.2 s left, 10 s kept for the answer: the work gets 200 ms.
    await handler(event('Create'), { logStreamName: 'stream-1', getRemainingTimeInMillis: () => 10_200 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.body).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'failed-req-1',
      Reason: expect.stringMatching(/^Create of Thing \(Custom::Thing\) did not finish within 0 s, the Lambda time left .*abandoned \(log stream stream-1\)$/),
    });
    // The work is told to stop, so it releases its connections.
    expect(aborted).toMatchObject({ name: 'CustomResourceTimeoutError' });
  });

  test('with less time left than the answer needs, the work is not started at all', async () => {
    let started = false;
    const handler = withCloudFormationResponse(async () => { started = true; return { PhysicalResourceId: 'x' }; },
      { ca: server.cert.cert, log: () => undefined });
    await handler(event('Update'), { getRemainingTimeInMillis: () => 14_000 });
    expect(started).toBe(false);
    expect(server.received[0]!.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'thing-1', Reason: expect.stringMatching(/^Update of Thing .*did not finish/) });
  });

  test('work that finishes in time answers SUCCESS and leaves no timer behind', async () => {
    const handler = withCloudFormationResponse(async () => ({ PhysicalResourceId: 'thing-1' }), { ca: server.cert.cert, answerMarginMs: 1_000 });
    await handler(event('Update'), { getRemainingTimeInMillis: () => 60_000 });
    expect(server.received[0]!.body).toMatchObject({ Status: 'SUCCESS' });
  });
});
