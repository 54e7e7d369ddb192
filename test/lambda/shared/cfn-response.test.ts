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
