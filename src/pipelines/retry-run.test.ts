import { describe, expect, it } from 'vitest';
import { withRetry } from './retry-run.ts';

const networkError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const sqlError = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

describe('a pipeline run retried', () => {
  it('retries an infrastructure fault until it succeeds, pausing longer each time', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      { attempts: 4, backoffSeconds: 0.1 },
      async () => {
        calls++;
        if (calls < 4) throw networkError();
        return 'done';
      },
      { onRetry: (_attempt, _error, delay) => delays.push(delay) },
    );
    expect(result).toBe('done');
    // The shared backoff: the nth pause lies in [½, 1] × base × 2^(n-1).
    expect(delays).toHaveLength(3);
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(delay).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('gives up at once on any other error and after the last attempt on a fault, saying how many', async () => {
    let calls = 0;
    const fatal = withRetry({ attempts: 5, backoffSeconds: 0 }, async () => {
      calls++;
      throw new Error('catalog entry missing');
    });
    await expect(fatal).rejects.toMatchObject({ message: 'catalog entry missing', attempts: 1 });
    expect(calls).toBe(1);
    const exhausted = withRetry({ attempts: 3, backoffSeconds: 0 }, async () => {
      throw sqlError('57P01');
    });
    await expect(exhausted).rejects.toMatchObject({ code: '57P01', attempts: 3 });
  });

  it('a stop during the pause ends the retries with the fault that caused it', async () => {
    const stop = new AbortController();
    const stopped = withRetry(
      { attempts: 3, backoffSeconds: 3600 },
      async () => {
        throw networkError();
      },
      { signal: stop.signal, onRetry: () => stop.abort() },
    );
    await expect(stopped).rejects.toMatchObject({ code: 'ECONNRESET', attempts: 1 });
  });
});
