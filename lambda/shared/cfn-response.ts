/**
 * Lambda-backed custom resources without the CDK Provider framework: the function itself answers CloudFormation by
 * PUTting the result to the event's pre-signed ResponseURL. No extra framework functions (outside the VPC, with
 * inline policies) are needed, and a failure is always reported, so a stack never waits an hour for a lost answer.
 */
import * as https from 'https';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

export type OnEvent = (event: CloudFormationCustomResourceEvent) => Promise<CustomResourceResult>;

export interface ResponderOptions {
  /** CA bundle to trust for the response URL (tests); @default the system trust store */
  readonly ca?: string | Buffer;
  /** @default 10 seconds */
  readonly timeoutMs?: number;
  /** Where errors are reported; messages only, never event properties. @default console.error */
  readonly log?: (message: string) => void;
}

/** Reasons are kept short and never include resource properties, which may carry configuration. */
const MAX_REASON = 1000;

/** Wraps an onEvent function into a handler that always answers CloudFormation, SUCCESS or FAILED. */
export function withCloudFormationResponse(onEvent: OnEvent, options: ResponderOptions = {}) {
  return async (event: CloudFormationCustomResourceEvent, context?: Pick<Context, 'logStreamName'>): Promise<void> => {
    let body: Record<string, unknown>;
    const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
    const previousId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
    try {
      const result = await onEvent(event);
      body = { ...base, Status: 'SUCCESS', PhysicalResourceId: result.PhysicalResourceId, Data: result.Data ?? {} };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      (options.log ?? console.error)(`custom resource ${event.RequestType} failed: ${message}`);
      body = {
        ...base,
        Status: 'FAILED',
        // A failed Create keeps a deterministic id so the rollback's Delete finds nothing to undo.
        PhysicalResourceId: previousId ?? `failed-${event.RequestId}`,
        Reason: `${message.slice(0, MAX_REASON)}${context?.logStreamName ? ` (log stream ${context.logStreamName})` : ''}`,
      };
    }
    await putResponse(event.ResponseURL, JSON.stringify(body), options);
  };
}

/** PUT to the pre-signed URL: HTTPS only, certificate verified, content-type empty as S3 signed it. */
export function putResponse(url: string, body: string, options: ResponderOptions = {}): Promise<void> {
  const target = new URL(url);
  if (target.protocol !== 'https:') {
    return Promise.reject(new Error(`refusing to send the custom resource response over ${target.protocol}`));
  }
  return new Promise((resolve, reject) => {
    const request = https.request(target, {
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      minVersion: 'TLSv1.2',
      timeout: options.timeoutMs ?? 10_000,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode !== undefined && response.statusCode < 300
        ? resolve()
        : reject(new Error(`response URL answered HTTP ${response.statusCode}`))));
    });
    request.on('timeout', () => request.destroy(new Error('timed out sending the custom resource response')));
    request.on('error', reject);
    request.end(body);
  });
}
