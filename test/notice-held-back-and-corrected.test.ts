import { existsSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { sheetValues } from './support/sheet-values.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** Registered in the shipped config/providers.json. */
const PROVINCE = '11370000MB2852362M';
const JINAN = '11370100MB28174284';
const AMOUNT = '罚款金额（万元）';
const DOC_NO = '行政处罚决定书文号';
const CONTENT = '处罚内容';
/** A file with more than a tenth of its rows rejected is held back whole (`failed-threshold`). */
const STRICT = { maxRejectRate: 0.1, maxRejected: null };

/*
 * Two defects of the review notice (复核通知) found through the CLI:
 * - a notice about a file refused whole over its reject threshold listed the rejected rows only: it never said the
 *   file was refused whole, its template held those rows alone, and once they were sent again it read 已办结 while
 *   the valid rows held back with them were never loaded — lost for good;
 * - a notice was issued about rows a later delivery had corrected already: a deadline and "请…重新报送" for a notice
 *   already 已办结, its template carrying the old conflicting values back to the provider.
 */
describe('report notice: a file refused whole, and rows corrected before the notice', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let n = 0;
  const file = (rows: PenaltyRow[]) => writeRows(fx.scratch, `delivery-${++n}.csv`, rows);
  const rows = basePenalties(24, 31);
  const bad = (row: PenaltyRow) => edit(row, { [AMOUNT]: '-5' });
  const cli = (args: string[]) => runCli(args, env);
  const states = async () => {
    const listed = await cli(['report', 'notices', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    return JSON.parse(listed.stdout) as { id: number; rows: number; corrected: number; status: string }[];
  };
  const stateOf = async (id: number) => (await states()).find((state) => state.id === id);
  const issue = async (runId: number, name: string) => {
    const out = path.join(fx.scratch, name);
    const issued = await cli(['report', 'notice', '--provider', JINAN, '--run', String(runId), '--out', out]);
    return { ...issued, out };
  };
  const workbook = async (out: string) => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    const sheets = Object.fromEntries(book.worksheets.map((sheet) => [sheet.name, sheetValues(sheet)]));
    const letter = Object.fromEntries((sheets.复核通知 ?? []).map((row) => [row[0], String(row[1] ?? '')]));
    return { sheets, letter };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('notice_held_corrected');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    };
  }, 600_000);
  afterAll(async () => fx?.close());

  it('a file refused whole: the notice says so, asks for the whole file, and stays open until it arrives', async () => {
    const sent = rows.slice(0, 6);
    const held = await fx.ingest([file([...sent.slice(0, 5).map(bad), sent[5]!])], {
      provider: JINAN,
      level: 'city',
      thresholds: STRICT,
    });
    expect(held.status).toBe('failed-threshold');
    expect(held.counts).toMatchObject({ read: 6, rejected: 5, held: 1 });

    const issued = await issue(held.runId, 'held.xlsx');
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toMatch(
      /^notice (\d+): 6 row\(s\) \(1 of them valid rows held back with a file refused whole: the file is asked for again\)/,
    );
    const id = Number(/^notice (\d+)/.exec(issued.stdout)![1]);
    const { sheets, letter } = await workbook(issued.out);
    expect(letter.整份拒收).toBe(
      '文件“delivery-1.csv”共 6 行，其中 5 行未通过校验，超过拒收阈值：整个文件被拒收，全部 6 行均未入库，其中校验通过的 1 行也未入库。',
    );
    expect(letter.整份重新报送).toContain('将整个文件（全部行，包括未列入“问题清单”的 1 行校验通过的数据）');
    expect(letter.当前状态).toBe('待更正（已更正 0 / 6 行，含整份拒收文件中校验通过但未入库的 1 行）');
    expect(letter.办理要求).toContain('“整份拒收”所列文件须整份重新报送');
    // Never a USCC masked: the provider's own code, in the letter as it is.
    expect(letter.报送单位).toContain(JINAN);
    const list = sheets.问题清单!;
    expect(list.slice(1).map((row) => row[1])).toEqual(['拒收', '拒收', '拒收', '拒收', '拒收', '整份拒收']);
    expect(list[6]?.slice(3, 11)).toEqual([
      'delivery-1.csv',
      undefined,
      undefined,
      '（整个文件）',
      'reject-threshold-exceeded',
      letter.整份拒收,
      '更正原文件中列出的问题行后，将整个文件（共 6 行）重新报送',
      '待重新报送',
    ]);

    // The five rejected rows alone, corrected: the row held back with them is still missing, the notice open.
    await fx.ingest([file(sent.slice(0, 5))], { provider: JINAN, level: 'city' });
    expect(await stateOf(id)).toMatchObject({ rows: 6, corrected: 5, status: 'partly-corrected' });
    const again = await cli([
      'report',
      'notice',
      '--id',
      String(id),
      '--out',
      path.join(fx.scratch, 'h2.xlsx'),
    ]);
    expect(again.stdout).toContain(`notice ${id}: partly-corrected, 5/6 corrected`);
    // Closed by hand it could be; as done, it is not.
    const close = await cli(['notice', 'close', String(id), '--operator', 'test']);
    expect(close.code).not.toBe(0);
    expect(close.stderr).toContain('1 of 6 row(s) not corrected');
    const heldDocNo = sent[5]![DOC_NO]!;
    const missing = await fx.warehouse('records').whereRaw('business_key LIKE ?', [`%${heldDocNo}%`]);
    expect(missing).toEqual([]);

    // The whole file, corrected: every row loaded, the notice done.
    await fx.ingest([file(sent)], { provider: JINAN, level: 'city' });
    expect(await stateOf(id)).toMatchObject({ rows: 6, corrected: 6, status: 'closed' });
    const rewritten = path.join(fx.scratch, 'h3.xlsx');
    expect((await cli(['report', 'notice', '--id', String(id), '--out', rewritten])).code).toBe(0);
    expect((await workbook(rewritten)).letter.整份拒收).toContain('已收到重新报送的完整文件。');
  }, 120_000);

  it('a file refused whole keeps its corrected rows in the notice, and a resolved conflict does not close it', async () => {
    // Run: a file refused whole (5 rejected, 1 valid held back) and a file with one conflict with the province.
    const sent = rows.slice(6, 12);
    const standing = rows[12]!;
    await fx.ingest([file([standing])], { provider: PROVINCE });
    const run = await fx.ingest(
      [file([...sent.slice(0, 5).map(bad), sent[5]!]), file([edit(standing, { [CONTENT]: '市级版本' })])],
      { provider: JINAN, level: 'city', thresholds: STRICT },
    );
    expect(run.counts).toMatchObject({ rejected: 5, held: 1, conflict: 1 });
    // The rejected rows, corrected before the notice: the file they came in is still to be sent again whole.
    await fx.ingest([file(sent.slice(0, 5))], { provider: JINAN, level: 'city' });

    const issued = await issue(run.runId, 'mixed.xlsx');
    expect(issued.code, issued.stderr).toBe(0);
    const id = Number(/^notice (\d+): 7 row\(s\)/.exec(issued.stdout)?.[1]);
    expect(await stateOf(id)).toMatchObject({ rows: 7, corrected: 5, status: 'partly-corrected' });
    const { sheets, letter } = await workbook(issued.out);
    expect(letter.拒收数据).toBe('5');
    expect(letter.发出前已更正).toBeUndefined();
    expect(sheets['重报模板-行政处罚']).toHaveLength(7);

    // 确认以省级数据为准: the conflict is done, the row held back is not: the notice stays open.
    const accepted = await cli(['notice', 'accept-higher', String(id), '--row', '6', '--operator', 'test']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(await stateOf(id)).toMatchObject({ rows: 7, corrected: 6, status: 'partly-corrected' });
    expect(await fx.warehouse('notice_events').where({ notice_id: id, kind: 'closed' })).toEqual([]);
  }, 120_000);

  it('leaves out the rows a later delivery corrected, and says how many', async () => {
    const standing = rows.slice(13, 16);
    await fx.ingest([file(standing)], { provider: PROVINCE });
    const conflicting = await fx.ingest(
      [file(standing.map((row) => edit(row, { [CONTENT]: `${row[CONTENT]}（市级版本）` })))],
      { provider: JINAN, level: 'city' },
    );
    expect(conflicting.counts.conflict).toBe(3);
    // Jinan re-delivers the first record as it stands: that conflict is corrected.
    await fx.ingest([file([standing[0]!])], { provider: JINAN, level: 'city' });

    const issued = await issue(conflicting.runId, 'partly.xlsx');
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toMatch(/^notice \d+: 2 row\(s\) \(1 corrected before issue, left out\)/);
    const id = Number(/^notice (\d+)/.exec(issued.stdout)![1]);
    expect(await stateOf(id)).toMatchObject({ rows: 2, corrected: 0, status: 'open' });
    const { sheets, letter } = await workbook(issued.out);
    expect(letter.冲突数据).toBe('2');
    expect(letter.发出前已更正).toBe(
      '本范围内另有 1 行在本通知发出前已由贵单位后续报送更正，不再列入本通知，无需重新报送',
    );
    const template = sheets['重报模板-行政处罚']!;
    expect(template).toHaveLength(3);
    const docNos = template.slice(1).map((row) => row[template[0]!.indexOf(DOC_NO)]);
    expect(docNos).toEqual([standing[1]![DOC_NO], standing[2]![DOC_NO]]);
    expect(JSON.stringify(sheets)).not.toContain(standing[0]![DOC_NO]);
  }, 120_000);

  it('refuses a notice when every row of its scope was corrected since, as it refuses an empty one', async () => {
    const sent = rows.slice(16, 18);
    const faulty = await fx.ingest([file(sent.map(bad))], { provider: JINAN, level: 'city' });
    expect(faulty.counts.rejected).toBe(2);
    await fx.ingest([file(sent)], { provider: JINAN, level: 'city' });
    const before = await fx.warehouse('notices').count<{ count: string }[]>('* as count');

    const issued = await issue(faulty.runId, 'none.xlsx');
    expect(issued.code).toBe(2);
    expect(issued.stderr).toContain(
      `refused: nothing left to correct: all 2 rejected or conflicting row(s) of 济南市（${JINAN}）`,
    );
    expect(issued.stderr).toContain('no notice was issued');
    expect(existsSync(issued.out)).toBe(false);
    expect(await fx.warehouse('notices').count<{ count: string }[]>('* as count')).toEqual(before);
  }, 120_000);
});
