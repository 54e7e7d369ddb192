/**
 * Retries with exponential backoff and full jitter, honouring a server's Retry-After, within a bounded number of
 * attempts and a bounded total wait. Pure: the clock, the sleep and the random source are parameters.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. @default 5 */
  readonly maxAttempts: number;
  /** Backoff ceiling of the first retry; it doubles per retry (full jitter: the wait is uniform in [0, ceiling)). @default 250 */
  readonly baseDelayMs: number;
  /** Largest ceiling for one backoff wait. @default 10_000 */
  readonly maxDelayMs: number;
  /**
   * Most time spent waiting between attempts, summed over one operation. A Retry-After beyond what is left of
   * this budget ends the retries at once rather than sleeping past it.
   * @default 30_000
   */
  readonly maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxTotalWaitMs: 30_000,
});

export interface RetryDeps {
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** How the caller judges a failed attempt. */
export interface RetryDecision {
  readonly retry: boolean;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
}

/** The operation failed on every attempt allowed, or the next wait would exceed the wait budget. */
export class RetriesExhaustedError extends Error {
  constructor(
    message: string,
    public readonly attempts: number,
    public readonly lastError: unknown,
  ) {
    super(message, { cause: lastError });
    this.name = 'RetriesExhaustedError';
  }
}

/** Checks a policy once, so a bad injected setting fails loudly instead of retrying forever or never. */
export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const problems: string[] = [];
  if (!Number.isSafeInteger(policy.maxAttempts) || policy.maxAttempts < 1) problems.push('maxAttempts must be an integer >= 1');
  for (const key of ['baseDelayMs', 'maxDelayMs', 'maxTotalWaitMs'] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] < 0) problems.push(`${key} must be a finite number >= 0`);
  }
  if (problems.length > 0) throw new RangeError(`Invalid retry policy: ${problems.join('; ')}`);
  return policy;
}

/**
 * Full-jitter backoff (the AWS Architecture Blog's "Exponential Backoff And Jitter"): uniform in
 * [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))). `retry` counts from 1.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling);
}

/**
 * Parses an HTTP Retry-After value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds from
 * `nowMs` (a date in the past gives 0), or undefined when the header is absent or unreadable.
 */
export function parseRetryAfterMs(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names a month; requiring a letter keeps Date.parse from reading bare numbers as years.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation` until it succeeds, `classify` says an error is final, the attempts run out, or the next wait
 * would exceed the wait budget. A Retry-After is waited in full (never less); without one the wait is full-jitter
 * backoff. Final errors are rethrown unchanged; exhaustion throws RetriesExhaustedError carrying the last error.
 * `what` names the operation in messages (it must not contain secrets or data).
 */
export async function retrying<T>(
  what: string,
  operation: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  deps: RetryDeps = {},
): Promise<T> {
  checkRetryPolicy(policy);
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const decision = classify(error);
      if (!decision.retry) throw error;
      const reason = error instanceof Error ? error.message : 'unknown error';
      if (attempt >= policy.maxAttempts) {
        throw new RetriesExhaustedError(`${what}: gave up after ${attempt} attempts; last: ${reason}`, attempt, error);
      }
      const delay = decision.retryAfterMs ?? backoffDelayMs(attempt, policy, random);
      if (waited + delay > policy.maxTotalWaitMs) {
        const asked = decision.retryAfterMs !== undefined ? `the server asked to wait ${Math.ceil(delay / 1000)} s, which` : `the next wait of ${delay} ms`;
        throw new RetriesExhaustedError(
          `${what}: gave up after ${attempt} attempts because ${asked} would exceed the ${policy.maxTotalWaitMs} ms retry budget; last: ${reason}`,
          attempt,
          error,
        );
      }
      waited += delay;
      await sleep(delay);
    }
  }
}
