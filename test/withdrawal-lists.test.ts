import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyParts } from '../src/dedupe/business-key.ts';
import { normalizeDocumentNumber } from '../src/normalize/document-number.ts';
import {
  type CliPipelineFixture,
  dropFolder,
  openCliPipelineFixture,
  outcomeSum,
  withdrawEntries,
} from './support/cli-pipeline-fixture.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import {
  createPenaltyTable,
  openSourceDatabase,
  penaltyColumns,
  SOURCE_KINDS,
  type SourceDatabase,
  type SourceKind,
} from './support/source-database.ts';

/** The business key's columns (xzcf: 处罚机关 code, decision number, the subject's codes): a list names records by them. */
const KEY_HEADER = [
  '处罚机关统一社会信用代码',
  '行政处罚决定书文号',
  '行政相对人代码_1(统一社会信用代码)',
  '证件号码',
];
const keyCells = (row: string[]) => KEY_HEADER.map((title) => row[PENALTY_HEADER.indexOf(title)] ?? '');
const NUMBER = PENALTY_HEADER.indexOf('行政处罚决定书文号');
const numbersOf = (rows: string[][]) => rows.map((row) => normalizeDocumentNumber(row[NUMBER]!)).sort();

async function withdrawnNumbers(cx: CliPipelineFixture, tag: string): Promise<string[]> {
  const keys = await cx.fx.warehouse('records').where({ status: 'withdrawn' }).pluck('business_key');
  return keys.map((key: string) => keyParts(key).find((part) => part.includes(tag))!).sort();
}

describe('a file of withdrawn decisions (撤销清单) withdraws the records its rows name (real CLI)', () => {
  let cx: CliPipelineFixture;
  beforeAll(async () => {
    cx = await openCliPipelineFixture('withdraw_list_file');
  });
  afterAll(async () => cx?.fx.close());

  it('every row in one outcome: withdrawn through the procedure log, or rejected naming its row and value', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    const drop = dropFolder(fx, 'inbox');
    cx.pipeline('penalties', { transport: drop.transport, withdrawals: { file: { pattern: '*撤销*.csv' } } });
    const rows = penaltyRows(5, 'LIST');
    drop.deliver('2026-11-20.csv', PENALTY_HEADER, rows);
    const first = await cx.runJson('penalties');
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.counts).toMatchObject({ read: 5, inserted: 5, withdrawn: 0 });

    const unknown = penaltyRows(1, 'NEVER')[0]!;
    const badAuthority = keyCells(rows[4]!);
    badAuthority[0] = '11370100MB2817428X';
    drop.deliver('2026-11-21撤销清单.csv', KEY_HEADER, [
      keyCells(rows[0]!),
      keyCells(rows[2]!),
      keyCells(unknown),
      badAuthority,
    ]);
    const second = await cx.runJson('penalties');
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary.counts).toMatchObject({ read: 4, withdrawn: 2, rejected: 2, inserted: 0 });
    expect(outcomeSum(second.summary.counts)).toBe(4);
    expect(second.summary.errorsByCode).toMatchObject({ 'withdrawal-unknown-record': 1 });
    expect(await withdrawnNumbers(cx, 'LIST-')).toEqual(numbersOf([rows[0]!, rows[2]!]));

    const entries = await withdrawEntries(fx);
    expect(entries).toHaveLength(2);
    expect(entries[0]!.basis).toMatch(/文件「2026-11-21撤销清单\.csv」.*第 2 行，撤销清单/);
    expect(entries[1]!.basis).toMatch(/第 3 行，撤销清单/);

    const rejections = await fx
      .warehouse('rejections')
      .where({ run_id: second.summary.runId })
      .orderBy('row_number')
      .select('row_number', 'errors');
    expect(rejections.map((rejection) => rejection.row_number)).toEqual([4, 5]);
    const [never, bad] = rejections.map((rejection) => rejection.errors[0]);
    expect(never).toMatchObject({
      field: 'CF_WSH',
      code: 'withdrawal-unknown-record',
      value: unknown[NUMBER],
    });
    expect(never.message).toContain('本单位从未报送过该记录');
    expect(never.message).toContain('济市监罚');
    expect(bad.field).toBe('CF_CFJGDM');
    expect(bad.value).toBe('11370100MB2817428X');

    // The provider's rejection report names the row, the field and the value, in Chinese.
    const out = path.join(fx.scratch, 'withdrawals-rejected.csv');
    const report = await cx.cli([
      'report',
      'rejections',
      '--run',
      String(second.summary.runId),
      '--out',
      out,
    ]);
    expect(report.code, report.stderr).toBe(0);
    const csv = readFileSync(out, 'utf8');
    expect(csv).toContain('从未报送');
    expect(csv).toContain(unknown[NUMBER]!);
    expect((await cx.cli(['verify'])).code).toBe(0);
  });

  it('a list without any column naming the subject fails as a whole, saying which columns it needs', {
    timeout: 400_000,
  }, async () => {
    const drop = dropFolder(cx.fx, 'inbox');
    const rows = penaltyRows(1, 'LIST');
    drop.deliver('撤销清单-2.csv', KEY_HEADER.slice(0, 2), [keyCells(rows[0]!).slice(0, 2)]);
    const third = await cx.runJson('penalties');
    expect(third.summary.files[0]).toMatchObject({ status: 'failed', error: { code: 'missing-columns' } });
    expect(third.summary.files[0].error.message).toContain('缺少行政相对人的代码列');
    expect(await withdrawEntries(cx.fx)).toHaveLength(2);
  });
});

describe.each(SOURCE_KINDS)('a 前置库 withdrawal table in %s (real CLI)', (kind: SourceKind) => {
  let cx: CliPipelineFixture;
  let source: SourceDatabase;
  beforeAll(async () => {
    cx = await openCliPipelineFixture(`withdraw_list_${kind}`);
    source = await openSourceDatabase(kind, 'revoked');
  });
  afterAll(async () => {
    await source?.drop();
    await cx?.fx.close();
  });

  it('each row of the table withdraws its record once; one naming a record never delivered is rejected', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    await createPenaltyTable(source.db, 'xzcf_out');
    await source.db.schema.createTable('xzcf_revoked', (t) => {
      t.increments('id').primary();
      t.datetime('updated_at', { precision: 6 }).notNullable();
      for (const column of ['cf_cfjgdm', 'cf_wsh', 'cf_xdr_shdm', 'cf_xdr_zjhm']) t.string(column, 100);
    });
    const columns = penaltyColumns();
    const tag = `QZKW${kind === 'postgres' ? 'P' : 'M'}`;
    const rows = penaltyRows(5, tag);
    await source.db('xzcf_out').insert(
      rows.map((row, i) => ({
        updated_at: `2026-11-21 09:00:0${i}.000000`,
        ...Object.fromEntries(columns.map((column, c) => [column, row[c] ?? ''])),
      })),
    );
    cx.pipeline('exchange', {
      transport: {
        type: 'table',
        urlEnv: 'QZK_URL',
        table: 'xzcf_out',
        columns: Object.fromEntries(columns.map((column, i) => [column, PENALTY_HEADER[i]!])),
        cursor: { column: 'updated_at', tieBreaker: 'id' },
      },
      withdrawals: {
        table: {
          table: 'xzcf_revoked',
          columns: {
            cf_cfjgdm: 'CF_CFJGDM',
            cf_wsh: 'CF_WSH',
            cf_xdr_shdm: 'CF_XDR_SHDM',
            cf_xdr_zjhm: 'CF_XDR_ZJHM',
          },
        },
      },
    });
    const env = { QZK_URL: source.url };
    const first = await cx.runJson('exchange', env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.counts).toMatchObject({ read: 5, inserted: 5, withdrawn: 0 });

    const unknown = penaltyRows(1, `${tag}X`)[0]!;
    const revoked = [rows[1]!, rows[3]!, unknown].map((row, i) => {
      const [cf_cfjgdm, cf_wsh, cf_xdr_shdm, cf_xdr_zjhm] = keyCells(row);
      return { updated_at: `2026-11-22 10:00:0${i}.000000`, cf_cfjgdm, cf_wsh, cf_xdr_shdm, cf_xdr_zjhm };
    });
    await source.db('xzcf_revoked').insert(revoked);
    const second = await cx.runJson('exchange', env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary.counts).toMatchObject({ read: 3, withdrawn: 2, rejected: 1 });
    expect(outcomeSum(second.summary.counts)).toBe(3);
    expect(second.summary.errorsByCode).toEqual({ 'withdrawal-unknown-record': 1 });
    expect(await withdrawnNumbers(cx, `${tag}-`)).toEqual(numbersOf([rows[1]!, rows[3]!]));
    const entries = await withdrawEntries(fx);
    expect(entries).toHaveLength(2);
    expect(entries.every((entry) => entry.basis.includes('撤销表 xzcf_revoked'))).toBe(true);
    const rejection = await fx.warehouse('rejections').where({ run_id: second.summary.runId }).first();
    expect(rejection).toMatchObject({ row_number: 3 });
    expect(rejection.errors[0]).toMatchObject({ field: 'CF_WSH', value: unknown[NUMBER] });
    // The withdrawal table has its own watermark: nothing is read twice.
    const third = await cx.runJson('exchange', env);
    expect(third.summary.counts).toMatchObject({ read: 0 });
    expect(await withdrawEntries(fx)).toHaveLength(2);
    expect((await cx.cli(['verify'])).code).toBe(0);
  });
  // A withdrawal must not come before the record it withdraws: when a data batch fails, the rows after it are
  // read next run, and so is the withdrawal table (its own watermark stays), else it would name records not loaded.
  it('in a run where a data batch failed, the withdrawal table is left for the next run, with a warning', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    const columns = penaltyColumns();
    const tag = `QZKF${kind === 'postgres' ? 'P' : 'M'}`;
    const [broken, later] = penaltyRows(2, tag);
    const bad = [...broken!];
    bad[NUMBER] = ''; // no decision number: rejected, and over a threshold of 0 the batch fails
    const row = (cells: string[], at: string) => ({
      updated_at: at,
      ...Object.fromEntries(columns.map((column, c) => [column, cells[c] ?? ''])),
    });
    await source.db('xzcf_out').insert([row(bad, '2026-11-23 09:00:00.000000')]);
    const [cf_cfjgdm, cf_wsh, cf_xdr_shdm, cf_xdr_zjhm] = keyCells(later!);
    await source.db('xzcf_revoked').insert({
      updated_at: '2026-11-23 10:00:00.000000',
      ...{ cf_cfjgdm, cf_wsh, cf_xdr_shdm, cf_xdr_zjhm },
    });
    const run = await cx.cli(['run', 'exchange', '--json', '--max-rejected', '0'], { QZK_URL: source.url });
    const failed = { code: run.code, summary: JSON.parse(run.stdout || '{}') };
    expect(failed.code, run.stderr).toBe(3);
    expect(failed.summary.files.map((file: { status: string }) => file.status)).toEqual(['failed-threshold']);
    expect(failed.summary.warnings).toEqual([
      expect.objectContaining({ code: 'table-rows-left', message: expect.stringContaining('xzcf_revoked') }),
    ]);
    expect(await withdrawEntries(fx)).toHaveLength(2);
  });
});
