import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpPaging, HttpTransportConfig } from '../connectors/transports/http-config.ts';
import { parseRetryAfter } from '../connectors/transports/http-fetch-json.ts';
import { httpTransportFactory } from '../connectors/transports/http-transport.ts';
import { backoffDelay, RetryableError, TransportError } from '../connectors/transports/retry-with-backoff.ts';
import { type HttpTestServer, startHttpTestServer } from './support/http-test-server.ts';
import {
  penaltyFieldCodes,
  penaltyRows,
  pollAndIngest,
  transportContext,
} from './support/penalty-delivery.ts';
import { describeTransportContract } from './support/transport-contract.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const CODES = penaltyFieldCodes();
const ENV = { XZCF_TOKEN: 'secret-token' };
const records = (rows: string[][]) =>
  rows.map((row) => Object.fromEntries(CODES.map((code, i) => [code, row[i] ?? ''])));

function httpConfig(
  server: HttpTestServer,
  overrides: Partial<HttpTransportConfig> = {},
): HttpTransportConfig {
  return {
    type: 'http',
    url: server.url,
    paging: { mode: 'page', size: 10 },
    recordsPath: 'data.list',
    columns: Object.fromEntries(CODES.map((code) => [code, code])),
    auth: { header: 'Authorization', prefix: 'Bearer ', value: { env: 'XZCF_TOKEN' } },
    timeoutMs: 2000,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    ...overrides,
  };
}

describeTransportContract({
  label: 'http',
  async open(fx) {
    const server = await startHttpTestServer();
    server.token = ENV.XZCF_TOKEN;
    const transport = httpTransportFactory.create(httpConfig(server), transportContext(fx, ENV));
    return {
      transport,
      deliver: async (rows) => {
        server.records.push(...records(rows));
      },
      async close() {
        await transport.close();
        await server.close();
      },
    };
  },
});

describe('HTTP data interface: paging and misbehaving servers', () => {
  let fx: WarehouseFixture;
  let server: HttpTestServer;
  let tag = 0;
  const pull = (overrides: Partial<HttpTransportConfig> = {}) =>
    pollAndIngest(fx, httpTransportFactory.create(httpConfig(server, overrides), transportContext(fx, ENV)));

  beforeAll(async () => {
    fx = await openWarehouseFixture('http_failures');
  });
  afterAll(async () => fx?.close());
  afterEach(async () => server?.close());
  const serve = async (count: number) => {
    server = await startHttpTestServer();
    server.token = ENV.XZCF_TOKEN;
    server.records.push(...records(penaltyRows(count, `h${++tag}`)));
  };

  it.each<HttpPaging>([
    { mode: 'page', size: 10 },
    { mode: 'offset', size: 10 },
    { mode: 'cursor', nextCursorPath: 'data.next', sizeParam: 'size', size: 10 },
  ])('walks every page with %o paging, one unit per page', async (paging) => {
    await serve(25);
    const { units, summary } = await pull({ paging });
    expect(units).toHaveLength(3);
    expect(summary?.counts).toMatchObject({ read: 25, inserted: 25 });
    expect(server.requests.every((request) => request.authorization === 'Bearer secret-token')).toBe(true);
  });

  it('retries 500s, 429 with Retry-After, dropped connections and malformed JSON, then loads everything', async () => {
    await serve(12);
    server.script.push(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'malformed' },
      { kind: 'ok' },
      { kind: 'reset' },
    );
    const { summary } = await pull({ retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 100 } });
    expect(summary?.counts).toMatchObject({ read: 12, inserted: 12 });
    expect(server.requests.length).toBe(6);
  });

  it('a response slower than the timeout is abandoned and retried', async () => {
    await serve(3);
    server.script.push({ kind: 'slow', ms: 5000 });
    // The default 2 s timeout, not a short one: the retry must answer within it, which a loaded machine can take
    // hundreds of milliseconds to do even here.
    const { summary } = await pull();
    expect(summary?.counts.inserted).toBe(3);
    expect(server.requests.length).toBe(2);
  });

  it('gives up after the last try with the last error, loading nothing', async () => {
    await serve(3);
    server.script.push({ kind: 'malformed' }, { kind: 'malformed' }, { kind: 'malformed' });
    const error = await pull().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe('malformed-json');
  });

  it('refuses a response over the size cap without retrying', async () => {
    await serve(3);
    server.script.push({ kind: 'huge', bytes: 200_000 });
    const error = await pull({ maxResponseBytes: 64 * 1024 }).catch((caught: unknown) => caught);
    expect((error as TransportError).code).toBe('response-too-large');
    expect(server.requests.length).toBe(1);
  });

  it('does not retry a 401: the credentials are wrong, not the moment', async () => {
    await serve(3);
    server.token = 'another-token';
    const error = await pull().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toContain('HTTP 401');
    expect(server.requests.length).toBe(1);
  });

  it('honours Retry-After: the wait is the server’s, capped by the policy', () => {
    const policy = { attempts: 3, baseDelayMs: 10, maxDelayMs: 60_000 };
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(backoffDelay(policy, 1, new RetryableError('http-status', '429', 7000))).toBe(7000);
    expect(
      backoffDelay({ ...policy, maxDelayMs: 2000 }, 1, new RetryableError('http-status', '429', 7000)),
    ).toBe(2000);
  });
});
