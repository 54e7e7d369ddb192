/** A real local HTTPS server standing in for the pre-signed S3 URL a custom resource answers CloudFormation through. */
import * as https from 'https';
import { AddressInfo } from 'net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { selfSignedCertificate, TestCertificate } from './tls';

export interface ReceivedResponse {
  readonly method?: string;
  readonly contentType?: string;
  readonly body: Record<string, unknown>;
}

export interface ResponseServer {
  readonly url: string;
  /** Trust this certificate (`ca`) to reach the server. */
  readonly cert: TestCertificate;
  /** Every response PUT so far; empty it between tests with `received.length = 0`. */
  readonly received: ReceivedResponse[];
  /** The HTTP status the server answers with. */
  status: number;
  close(): Promise<void>;
}

export async function startResponseServer(path = '/response?X-Amz-Signature=abc'): Promise<ResponseServer> {
  const cert = await selfSignedCertificate();
  const received: ReceivedResponse[] = [];
  const state = { status: 200 };
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ method: req.method, contentType: req.headers['content-type'], body: JSON.parse(data) });
      res.statusCode = state.status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    cert,
    received,
    get status() { return state.status; },
    set status(value: number) { state.status = value; },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A custom-resource event as CloudFormation sends it; Update and Delete carry the physical id `thing-1`. */
export function customResourceEvent(type: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown>, responseUrl: string): CloudFormationCustomResourceEvent {
  return {
    RequestType: type, ResponseURL: responseUrl, StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1', RequestId: 'req-1',
    LogicalResourceId: 'Thing', ResourceType: 'Custom::Thing', ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:f',
    ResourceProperties: { ServiceToken: 'x', ...properties },
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'thing-1', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}
