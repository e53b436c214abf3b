import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { basePenalties, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const CITY = { level: 'city', provider: '11370100MB1234567X', receivedAt: RECEIVED } as const;
const OTHER_PROVIDER = '11370200MB7654321X';

/**
 * The loader's one procedure (015-provider-withdrawals.ts) withdraws only what a file being loaded asks for, of
 * records whose current content that file's provider delivered; the loader can do nothing else with it.
 */
describe('provider_withdraw_delivered: least privilege (real PostgreSQL, as credit_etl_loader)', () => {
  let fx: WarehouseFixture;
  let fileId: number;
  let recordId: number;
  let versionId: number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('withdraw_privilege');
    const summary = await fx.ingest([writeRows(fx.scratch, 'city.csv', basePenalties(2))], CITY);
    fileId = summary.files[0]!.sourceFileId;
    const record = await fx.warehouse('records').orderBy('id').first('id', 'current_version_id');
    recordId = record.id;
    versionId = record.current_version_id;
  });
  afterAll(async () => fx?.close());

  /** A file "being loaded" by `provider` (no digest yet, its run running) whose lineage asks to withdraw the record. */
  const forgeRequest = (provider: string) =>
    fx.warehouse.transaction(async (trx) => {
      // A run of its own: a file filed under a run that ended is no delivery being loaded (041).
      const [{ id: runId }] = await trx('runs').insert({ kind: 'ingest' }).returning('id');
      const [file] = await trx('source_files')
        .insert({
          run_id: runId,
          name: 'forged.csv',
          catalog_code: 'xzcf',
          provider_code: provider,
          level: 'city',
          received_at: RECEIVED,
          status: 'loaded',
          started_at: RECEIVED,
        })
        .returning('id');
      await trx('record_sources').insert({
        record_id: recordId,
        version_id: versionId,
        outcome: 'withdrawn',
        run_id: runId,
        source_file_id: file.id,
        row_number: 2,
        provider_code: provider,
        level: 'city',
        content_hash: 'x',
        received_at: RECEIVED,
        late: false,
        withdrawal_signal: 'del_flag=1',
      });
      await trx.raw('SELECT provider_withdraw_delivered(?)', [file.id]);
    });

  it('refuses a file already loaded: an earlier delivery cannot be replayed to withdraw anything', async () => {
    await expect(fx.warehouse.raw('SELECT provider_withdraw_delivered(?)', [fileId])).rejects.toThrow(
      /不是正在载入的文件/,
    );
  });

  it('refuses to withdraw a record whose current content another provider delivered, and changes nothing', async () => {
    await expect(forgeRequest(OTHER_PROVIDER)).rejects.toThrow(
      /当前内容不是数据提供单位 11370200MB7654321X 报送的/,
    );
    expect(await fx.warehouse('records').where({ id: recordId }).first('status')).toEqual({
      status: 'current',
    });
    expect(await fx.warehouse('procedure_log')).toEqual([]);
  });

  it('is the only procedure the loader may run: the officer procedures stay closed to it', async () => {
    await expect(
      fx.warehouse.raw("SELECT procedure_withdraw(?, '文号', '理由', 'me')", [recordId]),
    ).rejects.toThrow(/permission denied/);
  });

  it("withdraws, as the provider's own request, the record it delivered: one entry whose basis names the file", async () => {
    await forgeRequest(CITY.provider);
    const [entry] = await fx
      .warehouse('procedure_log')
      .select('kind', 'record_id', 'basis', 'operator', 'db_user');
    expect(entry).toMatchObject({
      kind: 'withdraw',
      record_id: recordId,
      operator: `数据提供单位 ${CITY.provider}`,
    });
    expect(entry.basis).toMatch(/文件「forged\.csv」.*第 2 行，del_flag=1/);
    expect(await fx.warehouse('records').where({ id: recordId }).first('status')).toEqual({
      status: 'withdrawn',
    });
  });
});

describe('a provider withdrawal in the merge: 省市互补 (real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('withdraw_levels');
  });
  afterAll(async () => fx?.close());

  const withdrawing = async (
    file: string,
    rows: PenaltyRow[],
    level: 'city' | 'province',
    provider: string,
  ) => {
    const header = [...Object.keys(rows[0]!), '当前状态'];
    const written = writeRows(
      fx.scratch,
      file,
      rows.map((row) => ({ ...row, 当前状态: '1' })),
      header,
    );
    return ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: [await localFileUnit(written, RECEIVED)],
        catalog: 'xzcf',
        providerCode: provider,
        level,
        encoding: 'auto',
        withdrawals: { status: { column: '当前状态', values: ['1'] } },
      },
      createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false }),
    );
  };

  it('a city cannot withdraw what the province delivers too; the province can, and its key fields are all it needs', async () => {
    const rows = basePenalties(2, 9);
    await fx.ingest([writeRows(fx.scratch, 'city.csv', rows)], CITY);
    await fx.ingest([writeRows(fx.scratch, 'province.csv', rows.slice(0, 1))], {
      level: 'province',
      provider: '113700000000000000',
      receivedAt: RECEIVED,
    });
    const city = await withdrawing('city-withdraws.csv', rows, 'city', CITY.provider);
    // Row 1: the province vouches for it now; row 2: the city's alone.
    expect(city.counts).toMatchObject({ read: 2, withdrawn: 1, rejected: 1 });
    expect(city.errorsByCode).toEqual({ 'withdrawal-not-provider-record': 1 });
    // Only the key has to be right: a withdrawal row's other cells are not checked.
    const sloppy = { ...rows[0]!, 处罚内容: '', 违法事实: '' };
    const province = await withdrawing('province-withdraws.csv', [sloppy], 'province', '113700000000000000');
    expect(province.counts).toMatchObject({ read: 1, withdrawn: 1, rejected: 0 });
    expect(await fx.warehouse('records').where({ status: 'withdrawn' })).toHaveLength(2);
    expect(await fx.warehouse('procedure_log').where({ kind: 'withdraw' })).toHaveLength(2);
  });
});
