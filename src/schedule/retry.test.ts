import { describe, expect, it } from 'vitest';
import { isRetryable, withRetry } from './retry.ts';

const networkError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('retries', () => {
  it('tells network errors and lock timeouts from fatal ones', () => {
    expect(isRetryable(networkError())).toBe(true);
    expect(isRetryable(Object.assign(new Error('lock timeout'), { code: '55P03' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('no such column'), { code: '42703' }))).toBe(false);
    expect(isRetryable(new Error('bad config'))).toBe(false);
  });

  it('retries a retryable failure until it succeeds, pausing longer each time', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      { attempts: 4, backoffSeconds: 0.001 },
      async () => {
        calls++;
        if (calls < 3) throw networkError();
        return 'done';
      },
      { onRetry: (_attempt, _error, delay) => delays.push(delay) },
    );
    expect(result).toBe('done');
    expect(delays).toEqual([1, 2]);
  });

  it('gives up at once on a fatal error and after the last attempt on a retryable one', async () => {
    let calls = 0;
    const fatal = withRetry({ attempts: 5, backoffSeconds: 0 }, async () => {
      calls++;
      throw new Error('catalog entry missing');
    });
    await expect(fatal).rejects.toMatchObject({ message: 'catalog entry missing', attempts: 1 });
    expect(calls).toBe(1);
    const exhausted = withRetry({ attempts: 3, backoffSeconds: 0 }, async () => {
      throw networkError();
    });
    await expect(exhausted).rejects.toMatchObject({ code: 'ECONNRESET', attempts: 3 });
  });
});
