import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableTransportConfig } from '../connectors/transports/table-config.ts';
import { tableTransportFactory } from '../connectors/transports/table-transport.ts';
import { PENALTY_HEADER, penaltyRows, pollAndIngest, transportContext } from './support/penalty-delivery.ts';
import {
  createPenaltyTable,
  insertPenalties,
  penaltyColumns,
  SOURCE_KINDS,
  type SourceDatabase,
} from './support/source-database.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { openXtabSource } from './support/xtab-source.ts';

// A cursor without a tie-breaker (an update timestamp many rows share): every row is read, none skipped, none
// twice, whatever the batch and page sizes — a page must not stop halfway through rows sharing a value.
describe.each(SOURCE_KINDS)(
  'a cursor without tie-breaker on %s: rows sharing a value are all read',
  (kind) => {
    let fx: WarehouseFixture;
    let source: SourceDatabase;
    let tables = 0;

    beforeAll(async () => {
      fx = await openWarehouseFixture(`xtab_equal_${kind}`);
      source = await openXtabSource(kind, `equal_${kind}`);
    });
    afterAll(async () => {
      await source?.drop();
      await fx?.close();
    });

    async function pull(groups: number[], sizes: Pick<TableTransportConfig, 'batchSize' | 'pageSize'>) {
      const table = `xzcf_nt_${++tables}`;
      await createPenaltyTable(source.db, table);
      for (const [i, count] of groups.entries()) {
        const rows = penaltyRows(count, `${kind}-${table}-${i}`);
        await insertPenalties(source.db, table, rows, `2026-11-20 10:00:0${i}.000001`);
      }
      const columns = Object.fromEntries(penaltyColumns().map((column, i) => [column, PENALTY_HEADER[i]!]));
      const config = {
        type: 'table',
        urlEnv: 'QZK_URL',
        table,
        columns,
        cursor: { column: 'updated_at' },
        ...sizes,
      };
      const transport = tableTransportFactory.create(
        config as TableTransportConfig,
        transportContext(fx, { QZK_URL: source.url }),
      );
      try {
        const first = await pollAndIngest(fx, transport);
        const again = await pollAndIngest(fx, transport);
        return {
          loaded: first.summary?.counts.inserted,
          batches: first.units.length,
          again: again.units.length,
        };
      } finally {
        await transport.close();
      }
    }

    it('25 rows of one timestamp, batch 50, page 10: all 25 loaded in one batch', async () => {
      expect(await pull([25], { batchSize: 50, pageSize: 10 })).toEqual({ loaded: 25, batches: 1, again: 0 });
    });

    it('groups of 4, 9 and 5 rows, batch 7, page 3: each batch ends where a value does, all 18 loaded', async () => {
      // The 7th row is in the 9-row group: the first batch takes all 13 rows up to its value, the second the 5.
      expect(await pull([4, 9, 5], { batchSize: 7, pageSize: 3 })).toEqual({
        loaded: 18,
        batches: 2,
        again: 0,
      });
    });
  },
);
