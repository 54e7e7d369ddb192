/**
 * Lambda-backed custom resources without the CDK Provider framework: the function itself answers CloudFormation by
 * PUTting the result to the event's pre-signed ResponseURL. No extra framework functions (outside the VPC, with
 * inline policies) are needed, and a failure is always reported, so a stack never waits an hour for a lost answer.
 *
 * The work races a deadline taken from the Lambda context: what is left of the function's own timeout minus the
 * time the answer needs. A handler stuck on an unreachable endpoint therefore still answers FAILED, naming what
 * timed out, instead of being killed by Lambda with no answer at all (then only the resource's ServiceTimeout
 * would end the wait). https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */
import * as https from 'https';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

/** The work of one request. `signal` aborts when the deadline has passed: stop and release what you hold. */
export type OnEvent = (event: CloudFormationCustomResourceEvent, signal: AbortSignal) => Promise<CustomResourceResult>;

export interface ResponderOptions {
  /** CA bundle to trust for the response URL (tests); @default the system trust store */
  readonly ca?: string | Buffer;
  /** Deadline of the PUT to the response URL. @default 10 seconds */
  readonly timeoutMs?: number;
  /**
   * Time kept back from the Lambda time left for answering: the work is abandoned this long before the function's
   * own timeout. It must cover the PUT (timeoutMs). @default timeoutMs + 5 seconds
   */
  readonly answerMarginMs?: number;
  /** Where errors are reported; messages only, never event properties. @default console.error */
  readonly log?: (message: string) => void;
}

/** Reasons are kept short and never include resource properties, which may carry configuration. */
const MAX_REASON = 1000;
const DEFAULT_PUT_TIMEOUT_MS = 10_000;

/** The work did not finish before the deadline. */
export class CustomResourceTimeoutError extends Error {
  constructor(event: CloudFormationCustomResourceEvent, budgetMs: number) {
    super(`${event.RequestType} of ${event.LogicalResourceId} (${event.ResourceType}) did not finish within ${Math.max(0, Math.round(budgetMs / 1000))} s, ` +
      'the Lambda time left before its own timeout minus the time kept to answer; it was abandoned');
    this.name = 'CustomResourceTimeoutError';
  }
}

/** Wraps an onEvent function into a handler that always answers CloudFormation, SUCCESS or FAILED. */
export function withCloudFormationResponse(onEvent: OnEvent, options: ResponderOptions = {}) {
  const answerMarginMs = options.answerMarginMs ?? (options.timeoutMs ?? DEFAULT_PUT_TIMEOUT_MS) + 5_000;
  return async (
    event: CloudFormationCustomResourceEvent,
    context?: Partial<Pick<Context, 'logStreamName' | 'getRemainingTimeInMillis'>>,
  ): Promise<void> => {
    let body: Record<string, unknown>;
    const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
    const previousId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
    const remaining = context?.getRemainingTimeInMillis?.();
    try {
      const work = (signal: AbortSignal) => onEvent(event, signal);
      const result = remaining === undefined ? await work(new AbortController().signal) : await beforeDeadline(work, remaining - answerMarginMs, event);
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

/** Runs `work` and rejects with CustomResourceTimeoutError after `budgetMs`, aborting the work's signal. */
async function beforeDeadline(
  work: (signal: AbortSignal) => Promise<CustomResourceResult>,
  budgetMs: number,
  event: CloudFormationCustomResourceEvent,
): Promise<CustomResourceResult> {
  if (budgetMs <= 0) throw new CustomResourceTimeoutError(event, budgetMs);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new CustomResourceTimeoutError(event, budgetMs);
      controller.abort(error);
      reject(error);
    }, budgetMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
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
      timeout: options.timeoutMs ?? DEFAULT_PUT_TIMEOUT_MS,
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
