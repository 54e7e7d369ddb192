/** The custom-resource responder against a real local HTTPS server standing in for the pre-signed S3 response URL. */
import * as https from 'https';
import { AddressInfo } from 'net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { putResponse, withCloudFormationResponse } from '../../../lambda/shared/cfn-response';
import { selfSignedCertificate, TestCertificate } from '../../helpers/tls';

interface Received { method?: string; contentType?: string; body: Record<string, unknown> }

let cert: TestCertificate;
let server: https.Server;
let received: Received[] = [];
let status = 200;
let url: string;

beforeAll(async () => {
  cert = await selfSignedCertificate();
  server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ method: req.method, contentType: req.headers['content-type'], body: JSON.parse(data) });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=abc`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => { received = []; status = 200; });

function event(type: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = {}): CloudFormationCustomResourceEvent {
  return {
    RequestType: type, ResponseURL: url, StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1', RequestId: 'req-1',
    LogicalResourceId: 'Thing', ResourceType: 'Custom::Thing', ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:f',
    ResourceProperties: { ServiceToken: 'x', ...properties },
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'thing-1', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}

test('success: PUTs SUCCESS with the id and data, content-type empty as the URL was signed', async () => {
  const handler = withCloudFormationResponse(async () => ({ PhysicalResourceId: 'thing-1', Data: { A: 'b' } }), { ca: cert.cert });
  await handler(event('Create'));
  expect(received).toEqual([{ method: 'PUT', contentType: '', body: {
    Status: 'SUCCESS', PhysicalResourceId: 'thing-1', Data: { A: 'b' },
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1', RequestId: 'req-1', LogicalResourceId: 'Thing',
  } }]);
});

test('failure: PUTs FAILED with the message and never the resource properties', async () => {
  const logged: string[] = [];
  const handler = withCloudFormationResponse(async () => { throw new Error('database unreachable'); }, { ca: cert.cert, log: (m) => logged.push(m) });
  await handler(event('Update', { Password: 'hunter2-secret' }), { logStreamName: '2026/11/25/[$LATEST]abc' });
  expect(received[0]!.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'thing-1', Reason: 'database unreachable (log stream 2026/11/25/[$LATEST]abc)' });
  expect(JSON.stringify(received) + logged.join()).not.toContain('hunter2');
});

test('a failed Create reports a deterministic id so the rollback Delete is harmless', async () => {
  const handler = withCloudFormationResponse(async () => { throw new Error('boom'); }, { ca: cert.cert, log: () => undefined });
  await handler(event('Create'));
  expect(received[0]!.body.PhysicalResourceId).toBe('failed-req-1');
});

test('the certificate is verified and only HTTPS is used; an error status is an error', async () => {
  await expect(putResponse(url, '{}')).rejects.toThrow(/self.signed|certificate/i);
  await expect(putResponse(url.replace('https:', 'http:'), '{}')).rejects.toThrow(/refusing.*http:/);
  status = 403;
  await expect(putResponse(url, '{}', { ca: cert.cert })).rejects.toThrow(/HTTP 403/);
});
