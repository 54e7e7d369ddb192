/** Backoff with full jitter, Retry-After parsing and the attempt and wait budgets (lambda/shared/retry). */
import fc from 'fast-check';
import { backoffDelayMs, parseRetryAfterMs, RetriesExhaustedError, retrying, RetryPolicy } from '../../../lambda/shared/retry';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalWaitMs: 5_000 };

/** A sleep that only records what it was asked to wait. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

class Transient extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('transient');
  }
}
const classify = (e: unknown) =>
  e instanceof Transient ? { retry: true, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) } : { retry: false };

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  test.each([
    ['0', 0],
    ['3', 3_000],
    [' 120 ', 120_000],
    ['Wed, 01 May 2024 12:00:05 GMT', 5_000],
    ['Wed, 01 May 2024 11:00:00 GMT', 0], // in the past
    ['1.5', undefined],
    ['-1', undefined],
    ['2025', 2_025_000], // a bare number is seconds, never a year
    ['soon', undefined],
    [undefined, undefined],
  ])('%p → %p ms', (header, expected) => {
    expect(parseRetryAfterMs(header, now)).toBe(expected);
  });
});

describe('backoffDelayMs (full jitter)', () => {
  test('is uniform below min(maxDelay, base·2^(retry-1))', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(30, policy, () => 0.999)).toBe(999); // capped
  });

  test('stays within [0, ceiling) for any retry and random value (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
      const delay = backoffDelayMs(retry, policy, () => r);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1)));
    }));
  });
});

describe('retrying', () => {
  test('retries transient failures and returns the first success', async () => {
    const { sleep, waits } = recordingSleep();
    let calls = 0;
    const result = await retrying('op', async () => {
      calls += 1;
      if (calls < 3) throw new Transient();
      return 'ok';
    }, classify, policy, { sleep, random: () => 0.5 });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([50, 100]);
  });

  test('waits the full Retry-After instead of the backoff', async () => {
    const { sleep, waits } = recordingSleep();
    let calls = 0;
    await retrying('op', async () => {
      if (++calls === 1) throw new Transient(2_000);
      return 'ok';
    }, classify, policy, { sleep });
    expect(waits).toEqual([2_000]);
  });

  test('rethrows a final error at once', async () => {
    const { sleep, waits } = recordingSleep();
    const final = new Error('bad request');
    await expect(retrying('op', async () => { throw final; }, classify, policy, { sleep })).rejects.toBe(final);
    expect(waits).toEqual([]);
  });

  test('gives up after maxAttempts with the last error attached', async () => {
    const { sleep, waits } = recordingSleep();
    let calls = 0;
    const error = await retrying('Reading x', async () => {
      calls += 1;
      throw new Transient();
    }, classify, policy, { sleep, random: () => 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(4);
    expect((error as Error).message).toBe('Reading x: gave up after 4 attempts; last: transient');
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
  });

  test('gives up without sleeping when a Retry-After exceeds what is left of the wait budget', async () => {
    const { sleep, waits } = recordingSleep();
    const error = await retrying('op', async () => { throw new Transient(60_000); }, classify, policy, { sleep }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/server asked to wait 60 s, which would exceed the 5000 ms retry budget/);
    expect(waits).toEqual([]);
  });

  test('never waits more than maxTotalWaitMs in all, whatever the servers ask (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.option(fc.integer({ min: 0, max: 4_000 }), { nil: undefined }), { minLength: 1, maxLength: 10 }),
      async (retryAfters) => {
        const { sleep, waits } = recordingSleep();
        let i = 0;
        await retrying('op', async () => { throw new Transient(retryAfters[i++ % retryAfters.length]); }, classify, { ...policy, maxAttempts: 10 }, { sleep })
          .catch(() => undefined);
        expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(policy.maxTotalWaitMs);
        expect(waits.length).toBeLessThanOrEqual(9);
      },
    ));
  });

  test('refuses a policy that would never try or wait negatively', async () => {
    await expect(retrying('op', async () => 1, classify, { ...policy, maxAttempts: 0 })).rejects.toThrow(/maxAttempts must be an integer >= 1/);
  });
});
