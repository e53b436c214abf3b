import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SourceRow, SourceUnit } from '../connectors/contracts.ts';
import { isInfrastructureFault } from '../connectors/infrastructure-fault.ts';
import type { TableTransportConfig } from '../connectors/transports/table-config.ts';
import { tableTransportFactory } from '../connectors/transports/table-transport.ts';
import { type CuttableProxy, openCuttableProxy } from './support/cuttable-proxy.ts';
import {
  ingestAll,
  PENALTY_HEADER,
  penaltyRows,
  pollAndIngest,
  transportContext,
} from './support/penalty-delivery.ts';
import {
  createPenaltyTable,
  insertPenalties,
  penaltyColumns,
  SOURCE_KINDS,
  type SourceDatabase,
} from './support/source-database.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { openXtabSource } from './support/xtab-source.ts';

// A 前置库 whose connection is lost mid-read (or refused) is an infrastructure fault: the run's attempt ends to be
// retried, nothing is recorded against the batch, the poll does not go on to the next batches, and once the
// source is back every row loads.
describe.each(SOURCE_KINDS)('a lost %s source connection is retried, not blamed on the batch', (kind) => {
  let fx: WarehouseFixture;
  let source: SourceDatabase;
  let proxy: CuttableProxy;
  let tables = 0;

  beforeAll(async () => {
    fx = await openWarehouseFixture(`xtab_lost_${kind}`);
    source = await openXtabSource(kind, `lost_${kind}`);
    proxy = await openCuttableProxy(source.url);
  });
  afterEach(async () => proxy?.reopened());
  afterAll(async () => {
    await proxy?.close();
    await source?.drop();
    await fx?.close();
  });

  async function sourceTable(rows: number): Promise<TableTransportConfig> {
    const table = `xzcf_lost_${++tables}`;
    await createPenaltyTable(source.db, table);
    await insertPenalties(
      source.db,
      table,
      penaltyRows(rows, `${kind}-${table}`),
      '2026-11-20 10:00:00.000001',
    );
    const columns = Object.fromEntries(penaltyColumns().map((column, i) => [column, PENALTY_HEADER[i]!]));
    const cursor = { column: 'updated_at', tieBreaker: 'id' };
    return { type: 'table', urlEnv: 'QZK_URL', table, columns, cursor, batchSize: 10, pageSize: 3 };
  }
  const open = (config: TableTransportConfig) =>
    tableTransportFactory.create(config, transportContext(fx, { QZK_URL: proxy.url }));

  /** The unit, with the proxy cut (and refusing for a while) once its first page has been read. */
  function cutAfterFirstPage(unit: SourceUnit): SourceUnit {
    const read = unit.rows;
    if (!read) throw new Error('a table unit streams rows');
    return {
      ...unit,
      async rows() {
        const stream = await read.call(unit);
        async function* cutting(): AsyncIterable<SourceRow[]> {
          let pages = 0;
          for await (const page of stream.batches) {
            yield page;
            if (++pages === 1) proxy.cut(3_000);
          }
        }
        return { ...stream, batches: cutting() };
      },
    };
  }

  const failedFiles = async (table: string) =>
    (await fx.warehouse('source_files').where('name', 'like', `${table} %`).andWhere({ status: 'failed' }))
      .length;

  it('a cut mid-batch ends the load as a retryable fault, records no failed batch and stops the poll', async () => {
    const config = await sourceTable(30);
    const transport = open(config);
    const polled = transport.poll({ alreadyLoaded: async () => false })[Symbol.asyncIterator]();
    const first = await polled.next();
    const failure = await ingestAll(fx, [cutAfterFirstPage(first.value as SourceUnit)]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isInfrastructureFault(failure), String(failure)).toBe(true);
    // The next batches would only be refused (watermark-moved): even with the source back, the poll ends with
    // the same retryable fault and the attempt is retried as a whole.
    await proxy.reopened();
    const next = await polled.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isInfrastructureFault(next), String(next)).toBe(true);
    await transport.close();
    expect(await failedFiles(config.table)).toBe(0);

    const retried = open(config);
    const { summary } = await pollAndIngest(fx, retried);
    await retried.close();
    expect(summary?.counts.inserted).toBe(30);
    expect(await failedFiles(config.table)).toBe(0);
  });

  it('a source that refuses connections fails the poll as a retryable fault', async () => {
    const config = await sourceTable(5);
    proxy.cut(3_000);
    const transport = open(config);
    const polling = transport
      .poll({ alreadyLoaded: async () => false })
      [Symbol.asyncIterator]()
      .next();
    const failure = await polling.then(
      () => undefined,
      (error: unknown) => error,
    );
    await transport.close();
    expect(isInfrastructureFault(failure), String(failure)).toBe(true);
  });

  /** What `poll` prints while the source refuses connections: onto stdout (console.log, write) and stderr. */
  async function printedWhileRefused(notice?: (message: string) => void) {
    const config = await sourceTable(1);
    proxy.cut(3_000);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const spies = [
      vi.spyOn(console, 'log').mockImplementation((...args) => void stdout.push(args.join(' '))),
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => stdout.push(String(chunk)) > 0),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0),
    ];
    try {
      const context = transportContext(fx, { QZK_URL: proxy.url });
      const transport = tableTransportFactory.create(config, notice ? { ...context, notice } : context);
      const failure = await transport
        .poll({ alreadyLoaded: async () => false })
        [Symbol.asyncIterator]()
        .next()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await transport.close();
      expect(isInfrastructureFault(failure), String(failure)).toBe(true);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    return { stdout, stderr };
  }

  // `credit-etl run --json` writes its JSON on stdout: knex's default logger (console.log) put its
  // `Acquire connection error: …` stack there, and the output was no JSON any more.
  it("knex's messages about a refused source go to the run's log, never to stdout", async () => {
    const notices: string[] = [];
    const { stdout, stderr } = await printedWhileRefused((message) => notices.push(message));
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([]);
    expect(notices).toEqual([
      expect.stringMatching(/^knex warning \(source database\): Acquire connection error/),
    ]);
  });

  it("without a log to hear them, knex's messages go to stderr, never to stdout", async () => {
    const { stdout, stderr } = await printedWhileRefused();
    expect(stdout).toEqual([]);
    expect(stderr.join('')).toMatch(/^knex warning \(source database\): Acquire connection error/);
  });
});
