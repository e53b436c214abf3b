import { describe, expect, it } from 'vitest';
import {
  InfrastructureFault,
  infrastructureFault,
  isInfrastructureFault,
} from '../../connectors/infrastructure-fault.ts';
import { RetryableError } from '../../connectors/transports/retry-with-backoff.ts';
import { withRetry } from './retry.ts';

const networkError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const sqlError = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

describe('one retry policy', () => {
  it('takes database trouble, network errors and transport outages for infrastructure faults', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '53100', '53300', '58030', '40001'])
      expect([code, infrastructureFault(sqlError(code))]).toEqual([code, 'database']);
    expect(infrastructureFault(sqlError('40P01'))).toBe('database');
    expect(infrastructureFault(sqlError('55P03'))).toBe('database');
    expect(infrastructureFault(new Error('Connection terminated unexpectedly'))).toBe('database');
    expect(infrastructureFault(networkError())).toBe('network');
    expect(infrastructureFault(new RetryableError('sftp-connection', 'connect: timed out'))).toBe('network');
    // fetch() wraps the socket's error; a refused dual-stack connect is an AggregateError of two.
    expect(isInfrastructureFault(new TypeError('fetch failed', { cause: networkError() }))).toBe(true);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isInfrastructureFault(new AggregateError([refused, refused]))).toBe(true);
  });

  it('leaves defects of the data, the statement and the configuration to the file or the operator', () => {
    expect(isInfrastructureFault(sqlError('42703'))).toBe(false); // undefined column: a bug
    expect(isInfrastructureFault(sqlError('22P02'))).toBe(false); // invalid text: the data
    expect(isInfrastructureFault(sqlError('23505'))).toBe(false); // unique violation
    expect(isInfrastructureFault(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isInfrastructureFault(new Error('bad config'))).toBe(false);
    expect(isInfrastructureFault('a string')).toBe(false);
  });

  it("a loader's fault names the side and the file and says the file is not at fault", () => {
    const fault = new InfrastructureFault('database', 'a.csv', sqlError('57P01'));
    expect(fault.message).toMatch(
      /^the database connection failed while loading a\.csv \(not a fault of the file/,
    );
    expect(infrastructureFault(fault)).toBe('database');
  });
});

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
