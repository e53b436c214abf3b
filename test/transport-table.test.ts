import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit, Transport } from '../connectors/contracts.ts';
import { TransportError } from '../connectors/transports/retry-with-backoff.ts';
import type { TableTransportConfig } from '../connectors/transports/table-config.ts';
import { tableTransportFactory } from '../connectors/transports/table-transport.ts';
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
  openSourceDatabase,
  penaltyColumns,
  SOURCE_KINDS,
  type SourceDatabase,
  type SourceKind,
} from './support/source-database.ts';
import { describeTransportContract } from './support/transport-contract.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** Source columns mapped to the catalog's Chinese titles (matchHeaders maps titles and codes alike). */
function tableConfig(table: string, overrides: Partial<TableTransportConfig> = {}): TableTransportConfig {
  const columns = Object.fromEntries(penaltyColumns().map((column, i) => [column, PENALTY_HEADER[i]!]));
  return {
    type: 'table',
    urlEnv: 'QZK_URL',
    table,
    columns,
    cursor: { column: 'updated_at', tieBreaker: 'id' },
    batchSize: 7,
    pageSize: 3,
    ...overrides,
  };
}

let tables = 0;
let clock = 0;
/** Strictly increasing update times, with microseconds, shared by every row of one delivery. */
const nextTime = () => `2026-11-20 10:00:${String(++clock).padStart(2, '0')}.123456`;

for (const kind of SOURCE_KINDS) {
  describeTransportContract({
    label: `table_${kind}`,
    async open(fx) {
      const source = await openSourceDatabase(kind, 'contract');
      const table = `xzcf_out_${++tables}`;
      await createPenaltyTable(source.db, table);
      const transport = tableTransportFactory.create(
        tableConfig(table),
        transportContext(fx, { QZK_URL: source.url }),
      );
      return {
        transport,
        deliver: (rows) => insertPenalties(source.db, table, rows, nextTime()),
        async close() {
          await transport.close();
          await source.drop();
        },
      };
    },
  });
}

describe.each(SOURCE_KINDS)('table exchange from %s', (kind: SourceKind) => {
  let fx: WarehouseFixture;
  let source: SourceDatabase;
  const open = (table: string, overrides: Partial<TableTransportConfig> = {}): Transport =>
    tableTransportFactory.create(
      tableConfig(table, overrides),
      transportContext(fx, { QZK_URL: source.url }),
    );

  beforeAll(async () => {
    fx = await openWarehouseFixture(`table_${kind}`);
    source = await openSourceDatabase(kind, 'failures');
  });
  afterAll(async () => {
    await source?.drop();
    await fx?.close();
  });

  it('pulls rows sharing one timestamp across batch boundaries without skipping or repeating any', async () => {
    await createPenaltyTable(source.db, 'ties');
    const same = nextTime();
    await insertPenalties(source.db, 'ties', penaltyRows(20, 'tie'), same);
    const transport = open('ties');
    const { units, summary } = await pollAndIngest(fx, transport);
    expect(units).toHaveLength(3);
    expect(summary?.counts).toMatchObject({ read: 20, inserted: 20, unchanged: 0 });
    await insertPenalties(source.db, 'ties', penaltyRows(2, 'tie-late'), same);
    // Rows arriving later with the same timestamp but higher ids are still after the watermark.
    expect((await pollAndIngest(fx, transport)).summary?.counts).toMatchObject({ read: 2, inserted: 2 });
    await transport.close();
  });

  it('an updated row gets a new cursor value and is loaded again as a new version', async () => {
    await createPenaltyTable(source.db, 'updates');
    await insertPenalties(source.db, 'updates', penaltyRows(5, 'upd'), nextTime());
    const transport = open('updates');
    await pollAndIngest(fx, transport);
    await source
      .db('updates')
      .where({ id: 3 })
      .update({ cf_nr: '罚款人民币1万元（更正）', updated_at: nextTime() });
    const { summary } = await pollAndIngest(fx, transport);
    expect(summary?.counts).toMatchObject({ read: 1, updated: 1 });
    expect((await pollAndIngest(fx, transport)).units).toEqual([]);
    await transport.close();
  });

  it('a crash between batches resumes after the last committed batch: nothing lost, nothing twice', async () => {
    await createPenaltyTable(source.db, 'crash');
    await insertPenalties(source.db, 'crash', penaltyRows(21, 'crash'), nextTime());
    const transport = open('crash');
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
    expect(units).toHaveLength(3);
    // The process dies while batch 2 streams: batch 1 committed with its watermark, batch 2 rolled back.
    const crashing = {
      ...units[1]!,
      rows: async () => {
        const stream = await units[1]!.rows!();
        async function* dying() {
          for await (const batch of stream.batches) {
            yield batch;
            throw new Error('connection to the 前置库 lost');
          }
        }
        return { ...stream, batches: dying() };
      },
    };
    const run = await ingestAll(fx, [units[0]!, crashing, units[2]!]);
    expect(run.files.map((file) => file.status)).toEqual(['loaded', 'failed', 'failed']);
    // Batch 3 may not commit over the gap batch 2 left: its watermark step starts where batch 2 should end.
    expect(run.files[2]?.error?.code).toBe('watermark-moved');
    const resumed = await pollAndIngest(fx, open('crash'));
    expect(resumed.summary?.counts).toMatchObject({ read: 14, inserted: 14, unchanged: 0 });
    const records = await fx.warehouse('records').where('business_key', 'like', '%CRASH-%').count({ n: '*' });
    expect(Number(records[0]?.n)).toBe(21);
    await transport.close();
  });

  it('records each row’s exchange time as its received time', async () => {
    await createPenaltyTable(source.db, 'exchanged');
    // PostgreSQL's timestamptz keeps the zone; MariaDB's DATETIME has none and is read in `timezone` (+08:00).
    const exchanged = kind === 'postgres' ? '2026-11-02 09:30:00+08' : '2026-11-02 09:30:00.000000';
    await insertPenalties(source.db, 'exchanged', penaltyRows(2, 'exch'), nextTime(), exchanged);
    const { summary } = await pollAndIngest(fx, open('exchanged', { receivedAtColumn: 'exchanged_at' }));
    const lineage = await fx
      .warehouse('record_sources')
      .where({ run_id: summary?.runId })
      .select('received_at');
    expect(lineage.map((row: { received_at: Date }) => row.received_at.toISOString())).toEqual([
      '2026-11-02T01:30:00.000Z',
      '2026-11-02T01:30:00.000Z',
    ]);
  });

  it('says how many rows have no cursor value at each poll: they cannot be read, and are not passed over unseen', async () => {
    await createPenaltyTable(source.db, 'uncursored');
    const exchanged = kind === 'postgres' ? '2026-11-02 09:30:00+08' : '2026-11-02 09:30:00.000000';
    await insertPenalties(source.db, 'uncursored', penaltyRows(3, 'cursored'), nextTime(), exchanged);
    await insertPenalties(source.db, 'uncursored', penaltyRows(2, 'uncursored'), nextTime());
    const warnings: string[] = [];
    const transport = tableTransportFactory.create(
      tableConfig('uncursored', { cursor: { column: 'exchanged_at', tieBreaker: 'id' } }),
      { ...transportContext(fx, { QZK_URL: source.url }), warn: (message) => warnings.push(message) },
    );
    const { summary } = await pollAndIngest(fx, transport);
    expect(summary?.counts).toMatchObject({ read: 3, inserted: 3 });
    expect(warnings).toEqual([
      expect.stringContaining('2 row(s) have no exchanged_at (NULL) and are never read'),
    ]);
    await source.db('uncursored').whereNull('exchanged_at').update({ exchanged_at: exchanged });
    await pollAndIngest(fx, transport);
    expect(warnings).toHaveLength(1);
    await transport.close();
  });

  it('warns of rows dated behind the watermark that came after it passed them, until they get a new cursor', async () => {
    await createPenaltyTable(source.db, 'behind');
    await insertPenalties(source.db, 'behind', penaltyRows(9, 'behind'), nextTime());
    const warnings: { message: string; code: string | undefined }[] = [];
    const transport = tableTransportFactory.create(tableConfig('behind'), {
      ...transportContext(fx, { QZK_URL: source.url }),
      warn: (message, code) => warnings.push({ message, code }),
    });
    expect((await pollAndIngest(fx, transport)).summary?.counts).toMatchObject({ read: 9, inserted: 9 });
    // Rows loaded again with a new cursor (lower ids than the highest loaded) are no rows behind the watermark.
    await source.db('behind').whereIn('id', [2, 3]).update({ updated_at: nextTime() });
    expect((await pollAndIngest(fx, transport)).summary?.counts).toMatchObject({ read: 2 });
    expect(warnings).toEqual([]);

    // A provider inserts two rows with an update time the watermark has passed: they are never read, but said.
    await insertPenalties(source.db, 'behind', penaltyRows(2, 'behind-late'), '2026-11-20 09:00:00.000001');
    expect((await pollAndIngest(fx, transport)).units).toEqual([]);
    expect(warnings).toEqual([
      {
        code: 'table-rows-behind-watermark',
        message: expect.stringContaining('2 row(s) are dated before the watermark'),
      },
    ]);
    // A watermark saved before the highest id was kept with it: what is behind it now counts as loaded, and the
    // next batch saves the highest id with the watermark again.
    const key = 'table:behind';
    const [{ position }] = await fx.warehouse('watermarks').where({ source: key }).select('position');
    expect(position).toMatchObject({ maxTie: expect.anything() });
    const { maxTie: _maxTie, ...withoutMaxTie } = position as Record<string, unknown>;
    // As saved before: only a batch moves a watermark since 061, so the owner puts the old one back, guard off.
    await fx.owner.transaction(async (trx) => {
      await trx.raw('ALTER TABLE watermarks DISABLE TRIGGER watermarks_move_with_their_batch');
      await trx('watermarks')
        .where({ source: key })
        .update({ position: JSON.stringify(withoutMaxTie) });
      await trx.raw('ALTER TABLE watermarks ENABLE TRIGGER watermarks_move_with_their_batch');
    });
    await insertPenalties(source.db, 'behind', penaltyRows(1, 'behind-next'), nextTime());
    expect((await pollAndIngest(fx, transport)).summary?.counts).toMatchObject({ read: 1, inserted: 1 });
    expect(warnings).toHaveLength(1);
    await insertPenalties(source.db, 'behind', penaltyRows(1, 'behind-later'), '2026-11-20 09:00:00.000001');
    await pollAndIngest(fx, transport);
    expect(warnings.map((warning) => warning.message)).toEqual([
      expect.stringContaining('2 row(s) are dated before the watermark'),
      expect.stringContaining('1 row(s) are dated before the watermark'),
    ]);
    // Given a new update time, the late rows are read: the warning stops.
    await source
      .db('behind')
      .where('updated_at', '<', '2026-11-20 10:00:00')
      .update({ updated_at: nextTime() });
    expect((await pollAndIngest(fx, transport)).summary?.counts).toMatchObject({ read: 3, inserted: 3 });
    expect((await pollAndIngest(fx, transport)).units).toEqual([]);
    expect(warnings).toHaveLength(2);
    await transport.close();
  });

  it('loads values that look like SQL verbatim: data is bound, never interpolated', async () => {
    await createPenaltyTable(source.db, 'hostile');
    const rows = penaltyRows(1, 'sql');
    rows[0]![PENALTY_HEADER.indexOf('违法事实')] = `'); DROP TABLE hostile; --`;
    await insertPenalties(source.db, 'hostile', rows, nextTime());
    const { summary } = await pollAndIngest(fx, open('hostile'));
    expect(summary?.counts.inserted).toBe(1);
    expect(await source.db.schema.hasTable('hostile')).toBe(true);
  });

  it('refuses identifiers that are not plain names before touching the database', () => {
    for (const bad of [{ table: 'xzcf; DROP TABLE x' }, { cursor: { column: 'id` OR 1=1' } }]) {
      expect(() => open('ties', bad)).toThrow(TransportError);
    }
    expect(() => open('ties', { columns: { 'cf_wsh"--': '行政处罚决定书文号' } })).toThrow(
      /not a plain table or column name/,
    );
  });
});
