import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '../connectors/contracts.ts';
import type { TableTransportConfig } from '../connectors/transports/table-config.ts';
import { tableTransportFactory } from '../connectors/transports/table-transport.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits, type RunSummary } from '../src/run/ingest-files.ts';
import { PENALTY_HEADER, penaltyRows, transportContext } from './support/penalty-delivery.ts';
import {
  createPenaltyTable,
  insertPenalties,
  openSourceDatabase,
  penaltyColumns,
  SOURCE_KINDS,
  type SourceDatabase,
} from './support/source-database.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A batch that fails leaves the watermark where it was: the batches after it cannot commit (`watermark-moved`).
// The poll stops after the failed batch, as the pipeline runner consumes it (the next unit asked for only once the
// one before is settled): one real failure in the run and a warning, not one refused batch per batch after it.
describe.each(SOURCE_KINDS)('a failed batch from %s ends the poll', (kind) => {
  let fx: WarehouseFixture;
  let source: SourceDatabase;

  beforeAll(async () => {
    fx = await openWarehouseFixture(`table_failed_batch_${kind}`);
    source = await openSourceDatabase(kind, 'failed_batch');
  });
  afterAll(async () => {
    await source?.drop();
    await fx?.close();
  });

  function config(table: string): TableTransportConfig {
    const columns = Object.fromEntries(penaltyColumns().map((column, i) => [column, PENALTY_HEADER[i]!]));
    const cursor = { column: 'updated_at', tieBreaker: 'id' };
    return { type: 'table', urlEnv: 'QZK_URL', table, columns, cursor, batchSize: 7, pageSize: 3 };
  }

  /** One run as run-pipeline.ts makes it: the poll consumed lazily, each unit settled before the next. */
  async function run(transport: Transport): Promise<RunSummary> {
    const logger = createLogger({ logFile: path.join(fx.scratch, 'transport.log'), console: false });
    return ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: transport.poll({ alreadyLoaded: async () => false }),
        catalog: 'xzcf',
        providerCode: '113700000000000000',
        level: 'province',
        encoding: 'auto',
        thresholds: { maxRejectRate: 0.5, maxRejected: null },
        onUnitDone: (unit, result) =>
          transport.settle(
            unit,
            result.status === 'loaded' || result.status === 'skipped' ? 'loaded' : 'failed',
          ),
      },
      logger,
    );
  }

  it('reports the one failed batch, warns that the rest is left, and the next run reads on from there', async () => {
    const table = `failing_${kind}`;
    await createPenaltyTable(source.db, table);
    const number = PENALTY_HEADER.indexOf('行政处罚决定书文号');
    // The first batch (7 rows) has no decision numbers: over the threshold, it fails and moves no watermark.
    const bad = penaltyRows(7, `${kind}-bad`).map((row) => row.map((cell, i) => (i === number ? '' : cell)));
    await insertPenalties(source.db, table, bad, '2026-11-20 10:00:01.000001');
    await insertPenalties(source.db, table, penaltyRows(14, `${kind}-good`), '2026-11-20 10:00:02.000001');
    const warnings: { message: string; code: string | undefined }[] = [];
    const transport = tableTransportFactory.create(config(table), {
      ...transportContext(fx, { QZK_URL: source.url }),
      warn: (message, code) => warnings.push({ message, code }),
    });

    const first = await run(transport);
    expect(first.files.map((file) => [file.status, file.error?.code])).toEqual([
      ['failed-threshold', 'reject-threshold-exceeded'],
    ]);
    expect(first.status).toBe('failed-threshold');
    expect(warnings).toEqual([
      {
        code: 'table-rows-left',
        message: expect.stringMatching(/batch \S+ \(start … .+\] failed, so the rows after it are not read/),
      },
    ]);

    // The provider corrects the rows (a new update time): the next run reads everything from the start.
    const fixed = penaltyRows(7, `${kind}-bad`);
    const ids = (await source.db(table).orderBy('id').limit(7).select('id')).map(
      (row: { id: number }) => row.id,
    );
    for (const [i, id] of ids.entries()) {
      await source
        .db(table)
        .where({ id })
        .update({ [penaltyColumns()[number]!]: fixed[i]![number], updated_at: '2026-11-20 10:00:03.000001' });
    }
    const second = await run(transport);
    expect(second.status).toBe('completed');
    expect(second.counts).toMatchObject({ read: 21, inserted: 21 });
    expect(warnings).toHaveLength(1);
    await transport.close();
  });

  it('a failed last batch leaves nothing behind it: no warning', async () => {
    const table = `failing_last_${kind}`;
    await createPenaltyTable(source.db, table);
    const number = PENALTY_HEADER.indexOf('行政处罚决定书文号');
    const bad = penaltyRows(5, `${kind}-last`).map((row) => row.map((cell, i) => (i === number ? '' : cell)));
    await insertPenalties(source.db, table, bad, '2026-11-20 10:00:01.000001');
    const warnings: string[] = [];
    const transport = tableTransportFactory.create(config(table), {
      ...transportContext(fx, { QZK_URL: source.url }),
      warn: (message) => warnings.push(message),
    });
    const summary = await run(transport);
    expect(summary.files.map((file) => file.status)).toEqual(['failed-threshold']);
    expect(warnings).toEqual([]);
    await transport.close();
  });
});
