import { describe, expect, it } from 'vitest';
import { InfrastructureFault, infrastructureFault, isInfrastructureFault } from './infrastructure-fault.ts';
import { RetryableError } from './transports/retry-with-backoff.ts';

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
