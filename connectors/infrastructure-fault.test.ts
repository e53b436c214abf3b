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
    // node-postgres's own timeouts (connectionTimeoutMillis, query_timeout): the server did not answer in time.
    expect(infrastructureFault(new Error('timeout expired'))).toBe('database');
    expect(infrastructureFault(new Error('Query read timeout'))).toBe('database');
    expect(infrastructureFault(networkError())).toBe('network');
    expect(infrastructureFault(new RetryableError('sftp-connection', 'connect: timed out'))).toBe('network');
    // fetch() wraps the socket's error; a refused dual-stack connect is an AggregateError of two.
    expect(isInfrastructureFault(new TypeError('fetch failed', { cause: networkError() }))).toBe(true);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isInfrastructureFault(new AggregateError([refused, refused]))).toBe(true);
  });

  it('knows a 前置库 connection lost under knex (its SQL in front) and mysql2 (PROTOCOL_CONNECTION_LOST, fatal)', () => {
    const knexWrapped = new Error(
      'select "id" from "xzcf_out" limit $1 - Connection terminated unexpectedly',
    );
    expect(infrastructureFault(knexWrapped)).toBe('database');
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    });
    expect(infrastructureFault(lost)).toBe('network');
    const closed = Object.assign(new Error("Can't add new command when connection is in closed state"), {
      fatal: true,
    });
    expect(infrastructureFault(closed)).toBe('network');
    // A live server's answer stays the operator's: wrong password, no SSL.
    const denied = Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR', fatal: true });
    expect(isInfrastructureFault(denied)).toBe(false);
    expect(
      isInfrastructureFault(
        Object.assign(new Error('no SSL'), { code: 'HANDSHAKE_NO_SSL_SUPPORT', fatal: true }),
      ),
    ).toBe(false);
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
