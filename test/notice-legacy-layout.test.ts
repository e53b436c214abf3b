import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { noticeRowStates, noticeTallies } from '../src/warehouse/notices-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { sheetValues } from './support/sheet-values.ts';
import {
  fixturePath,
  flatRejections,
  openWarehouseFixture,
  type WarehouseFixture,
} from './support/warehouse-fixture.ts';

/*
 * A review notice for a delivery in the 2016 双公示 layout (read by xzcf v2): its re-upload template is in that
 * layout, under the old column names and with the provider's own cells, so that it loads back through the same
 * version; the rejection report shows the old layout's cells (当前状态) too.
 */

// Registered in config/providers.json: the CLI refuses an unregistered provider.
const PROVINCE = '11370000MB2852362M';
/** 济南市市场监督管理局's code in the fixture's lookups; ANOTHER_AUTHORITY is another authority's (济南市). */
const AUTHORITY = '1137010000010001XF';
const ANOTHER_AUTHORITY = '11370100MB28174284';
const INPUT = fixturePath('xzcf', 'legacy-2016-utf8', 'input.csv');

/** The identity cells of a current-layout row carrying a record's key (a resident ID: a natural person). */
const currentLayoutIdentity = (authorityCode = '', number = '', uscc = '', residentId = ''): PenaltyRow => ({
  行政处罚决定书文号: number,
  处罚机关: '济南市市场监督管理局',
  处罚机关统一社会信用代码: authorityCode,
  ...(residentId
    ? {
        行政相对人名称: '张某',
        行政相对人类别: '自然人',
        '行政相对人代码_1(统一社会信用代码)': '',
        法定代表人: '',
        法定代表人证件类型: '',
        法定代表人证件号码: '',
        证件类型: '身份证',
        证件号码: residentId,
      }
    : { '行政相对人代码_1(统一社会信用代码)': uscc, 证件类型: '', 证件号码: '' }),
});

const cellText = (value: ExcelJS.CellValue): string =>
  value && typeof value === 'object' && 'richText' in value
    ? value.richText.map((run) => run.text).join('')
    : String(value ?? '');

describe('the review notice of a delivery in the 2016 layout', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let lookups: string;
  const ingest = async (file: string) => {
    const result = await runCli(
      ['ingest', '--catalog', 'xzcf', '--provider', PROVINCE, '--level', 'province'].concat([
        '--lookups',
        lookups,
        '--json',
        file,
      ]),
      env,
    );
    return JSON.parse(result.stdout) as { runId: number; status: string; counts: Record<string, number> };
  };

  /** The legacy fixture's rows in other bytes (the ledger would skip a file it loaded): trailing blank lines. */
  const legacyCopy = (name: string, blankLines: number) => {
    const file = path.join(fx.scratch, name);
    writeFileSync(file, `${readFileSync(INPUT, 'utf8')}${'\n'.repeat(blankLines)}`);
    return file;
  };
  /** `report notice` over a run, as an operator issues it (no lookups given). */
  const issueNotice = async (runId: number) => {
    const issued = await runCli(
      ['report', 'notice', '--provider', PROVINCE, '--run', String(runId)].concat([
        '--out',
        path.join(fx.scratch, `notice-run-${runId}.xlsx`),
      ]),
      env,
    );
    expect(issued.code).toBe(0);
    const id = Number(/notice (\d+)/.exec(issued.stdout)?.[1]);
    const [tally] = await noticeTallies(fx.warehouse, { noticeId: id });
    return { id, rows: tally?.rows ?? 0 };
  };
  /** The notice's rows by the 文号 they were rejected with, each with its key and whether it is corrected. */
  const noticeRowsByNumber = async (noticeId: number) => {
    const corrected = await noticeRowStates(fx.warehouse, noticeId);
    const rows = await fx
      .warehouse('notice_rows as nr')
      .join('rejections as rj', 'rj.id', 'nr.rejection_id')
      .where('nr.notice_id', noticeId)
      .select('nr.id', 'nr.business_key', 'nr.key_parts', 'rj.raw');
    return new Map(
      rows.map((row) => [
        /〔2016〕(\d+)号/.exec(row.raw.CF_WSH)?.[1] ?? '',
        { businessKey: row.business_key, keyParts: row.key_parts, corrected: corrected.get(Number(row.id)) },
      ]),
    );
  };
  /** The records of the fixture's decisions 5号–9号 in the current layout, each key's authority code replaced if asked. */
  const currentLayoutRows = async (name: string, authorityCode?: string) => {
    const records = await fx
      .warehouse('records')
      .where('business_key', 'like', `${AUTHORITY}\u001f%济市监罚〔2016〕%`)
      .whereRaw(`business_key ~ '〔2016〕[5-9]号'`)
      .orderBy('business_key')
      .select('business_key');
    expect(records).toHaveLength(5);
    const base = basePenalties(5);
    const rows = records.map(({ business_key }, i) => {
      const [authority, number, uscc, residentId] = business_key.split('\u001f');
      return edit(base[i]!, currentLayoutIdentity(authorityCode ?? authority, number, uscc, residentId));
    });
    return writeRows(fx.scratch, name, rows);
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('notice_legacy_layout');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'credit-etl.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    };
    const expected = JSON.parse(
      readFileSync(fixturePath('xzcf', 'legacy-2016-utf8', 'expected.json'), 'utf8'),
    );
    lookups = path.join(fx.scratch, 'lookups.json');
    writeFileSync(lookups, JSON.stringify(expected.lookups));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('sends the template back in its own layout: unchanged it fails only with its own errors, corrected it loads', async () => {
    const first = await ingest(INPUT);
    expect(first.counts).toMatchObject({ read: 9, inserted: 4, rejected: 5 });
    const original = await flatRejections(fx.warehouse, first.runId);

    const notice = path.join(fx.scratch, 'nleg.xlsx');
    const issued = await runCli(
      [
        'report',
        'notice',
        '--provider',
        PROVINCE,
        '--run',
        String(first.runId),
        '--template-unmasked',
        '--reason',
        '重报模板回传提供单位',
      ].concat(['--out', notice]),
      env,
    );
    expect(issued.code).toBe(0);
    // Sent back unchanged: the same rows fail with the same errors, none for a column the layout never had.
    const unchanged = await ingest(notice);
    expect(unchanged.counts).toMatchObject({ read: 5, rejected: 5 });
    const again = await flatRejections(fx.warehouse, unchanged.runId);
    expect(again.map(([, field, code]) => [field, code])).toEqual(
      original.map(([, field, code]) => [field, code]),
    );
    const version = await fx.warehouse('source_files').where({ run_id: unchanged.runId }).first();
    expect(version.catalog_version).toBe(2);

    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(notice);
    // One template: every row is of the one file, in the 2016 layout.
    const templates = book.worksheets.filter((sheet) => sheet.name.startsWith('重报模板'));
    expect(templates).toHaveLength(1);
    const template = templates[0];
    const [header, ...rows] = sheetValues(template!);
    // The file's own columns, under their 2016 names; none of the current layout's, none derived from them.
    const fileHeader = readFileSync(INPUT, 'utf8').split('\n')[0]!.trim().split(',');
    expect([...(header as string[])].sort()).toEqual([...fileHeader].sort());
    expect(rows).toHaveLength(5);
    const column = (title: string) => (header as string[]).indexOf(title);
    expect(rows.map((row) => row[column('处罚类别1')])).toEqual(Array(5).fill('罚款'));
    expect(rows.map((row) => row[column('当前状态')])).toEqual(['0', '0', '5', '0', '0']);
    // Notes name only columns the template has (行政相对人代码_5(居民身份证号) is one of them here).
    const notes: string[] = [];
    template!.eachRow((row) =>
      row.eachCell((cell) => {
        if (cell.note) notes.push(typeof cell.note === 'string' ? cell.note : JSON.stringify(cell.note));
      }),
    );
    expect(notes.join('\n')).toContain('行政相对人代码_5(居民身份证号)');
    expect(header).toContain('行政相对人代码_5(居民身份证号)');
    // The list names the cell as the template does.
    const list = sheetValues(book.getWorksheet('问题清单')!);
    expect(list.map((row) => row[6])).toContain('当前状态');

    // Corrected as the notes say: every row loads.
    const fixes: Record<string, Record<string, string>> = {
      '5': { '行政相对人代码_1(统一社会信用代码)': '' },
      '6': { 处罚机关: '济南市市场监督管理局' },
      '7': { 当前状态: '0' },
      '8': { 处罚结果: '罚款人民币二万元' },
      '9': { '行政相对人代码_5(居民身份证号)': '370103198005170127' },
    };
    template!.eachRow((row, rowNumber) => {
      if (rowNumber === 1) return;
      const number =
        /〔2016〕(\d+)号/.exec(cellText(row.getCell(column('行政处罚决定书文号') + 1).value))?.[1] ?? '';
      for (const [title, value] of Object.entries(fixes[number] ?? {}))
        row.getCell(column(title) + 1).value = value;
    });
    const corrected = path.join(fx.scratch, 'nleg-corrected.xlsx');
    await book.xlsx.writeFile(corrected);
    const fixed = await ingest(corrected);
    expect(fixed.counts).toMatchObject({ read: 5, inserted: 5, rejected: 0 });
    // The correction closes the notice: each row's key was built as the loader builds the record's, through the
    // 2016 layout's mapping with the lookups the run was loaded with (kept with it, migration 047: `report notice`
    // is given none), never as an empty 处罚机关统一社会信用代码 no record carries.
    const noticeId = Number(/notice (\d+)/.exec(issued.stdout)?.[1]);
    const keys = await fx
      .warehouse('notice_rows')
      .where({ notice_id: noticeId })
      .orderBy('row_number')
      .select('row_number', 'business_key', 'key_parts');
    // 7号 and 8号 (every key field right): the full key, with the looked-up code; 5号 and 9号 (a bad subject code):
    // the other key fields, that code among them; 6号 (its 处罚机关 not in the lookups): without it.
    expect(keys.map((row) => row.business_key?.split('\u001f')[0] ?? row.key_parts['1'] ?? null)).toEqual([
      AUTHORITY,
      null,
      AUTHORITY,
      AUTHORITY,
      AUTHORITY,
    ]);
    expect(keys.filter((row) => row.business_key !== null)).toHaveLength(2);
    expect([...(await noticeRowStates(fx.warehouse, noticeId)).values()]).toEqual(Array(5).fill(true));
    const [tally] = await noticeTallies(fx.warehouse, { noticeId });
    expect(tally).toMatchObject({ rows: 5, corrected: 5 });
  }, 300_000);

  it("with the load's lookups, a rejected row's key is the one its record carries, and a correction in the current layout closes it", async () => {
    // The same rows again (other bytes: the ledger would skip the first file's), rejected with the same errors.
    const rejected = await ingest(legacyCopy('legacy-again.csv', 2));
    expect(rejected.counts).toMatchObject({ read: 9, rejected: 5 });
    // Through the command, which has no lookups of its own: the run's, kept with it, key the rows.
    const notice = await issueNotice(rejected.runId);
    expect(notice.rows).toBe(5);
    // 7号 (当前状态 5) and 8号 (处罚结果 missing) have every key field right: their full keys are their records'.
    const stored = await fx
      .warehouse('notice_rows as nr')
      .join('rejections as rj', 'rj.id', 'nr.rejection_id')
      .where('nr.notice_id', notice.id)
      .orderBy('nr.row_number')
      .select('nr.row_number', 'nr.business_key', 'nr.key_parts');
    const recordKey = async (number: number) =>
      (
        await fx
          .warehouse('records')
          .where('business_key', 'like', `%济市监罚〔2016〕${number}号%`)
          .first('business_key')
      )?.business_key;
    expect(stored.find((row) => row.row_number === 8)?.business_key).toBe(await recordKey(7));
    expect(stored.find((row) => row.row_number === 9)?.business_key).toBe(await recordKey(8));
    expect((await recordKey(7))?.split('\u001f')[0]).toBe('1137010000010001XF');
    // 6号's 处罚机关 has no entry in the lookups: its key leaves out the code that cannot be known.
    expect(stored.find((row) => row.row_number === 7)?.key_parts).toEqual({
      '2': '济市监罚〔2016〕6号',
      '3': '91370102000007069B',
      '4': '',
    });
    expect([...(await noticeRowStates(fx.warehouse, notice.id)).values()]).toEqual(Array(5).fill(false));

    // The provider moves to the current layout and sends the five decisions corrected.
    const current = await ingest(await currentLayoutRows('current-corrected.csv'));
    expect(current.counts).toMatchObject({ read: 5, rejected: 0 });
    expect([...(await noticeRowStates(fx.warehouse, notice.id)).values()]).toEqual(Array(5).fill(true));
  }, 300_000);

  it('a delivery of the same 文号 and subject under another authority does not close the row (the review)', async () => {
    const rejected = await ingest(legacyCopy('legacy-third.csv', 3));
    expect(rejected.counts).toMatchObject({ read: 9, rejected: 5 });
    const notice = await issueNotice(rejected.runId);
    // The same provider delivers the five decisions under 济南市's code instead of 济南市市场监督管理局's: other
    // records (another key), loaded; none of them is this notice's correction.
    const other = await ingest(await currentLayoutRows('another-authority.csv', ANOTHER_AUTHORITY));
    expect(other.counts).toMatchObject({ read: 5, inserted: 5, rejected: 0 });
    const rows = await noticeRowsByNumber(notice.id);
    expect(rows.get('7')).toMatchObject({
      businessKey: expect.stringContaining(AUTHORITY),
      corrected: false,
    });
    expect(rows.get('8')).toMatchObject({
      businessKey: expect.stringContaining(AUTHORITY),
      corrected: false,
    });
    expect(rows.get('5')?.corrected).toBe(false);
    expect(rows.get('9')?.corrected).toBe(false);
    // 6号 was rejected for its 处罚机关 (not in the lookups): the authority is the field its correction changes, so
    // it is matched on the others, and this delivery may well be its correction.
    expect(rows.get('6')?.corrected).toBe(true);
    // The authority's own correction closes the rest.
    await ingest(await currentLayoutRows('own-authority.csv'));
    expect([...(await noticeRowStates(fx.warehouse, notice.id)).values()]).toEqual(Array(5).fill(true));
  }, 300_000);

  it('a run whose lookups were not kept (loaded before 047): a row whose looked-up code the load found is left open, never matched on the rest', async () => {
    const rejected = await ingest(legacyCopy('legacy-fourth.csv', 4));
    // As a run loaded before migration 047 is: its tables only hashed. Tampering on purpose, as the owner.
    await fx.owner.raw('ALTER TABLE run_lookups DISABLE TRIGGER run_lookups_append_only');
    await fx.owner('run_lookups').where({ run_id: rejected.runId }).delete();
    await fx.owner.raw('ALTER TABLE run_lookups ENABLE TRIGGER run_lookups_append_only');
    const notice = await issueNotice(rejected.runId);
    const rows = await noticeRowsByNumber(notice.id);
    // 7号 and 8号: their records carry a code the load looked up; without it, no key.
    for (const number of ['7', '8'])
      expect(rows.get(number)).toMatchObject({ businessKey: null, keyParts: null, corrected: false });
    // 6号: the load could not look its 处罚机关 up either (lookup-missing): matched on its other key fields.
    expect(rows.get('6')?.keyParts).toEqual({
      '2': '济市监罚〔2016〕6号',
      '3': '91370102000007069B',
      '4': '',
    });
    await ingest(await currentLayoutRows('another-authority-again.csv', ANOTHER_AUTHORITY));
    expect((await noticeRowsByNumber(notice.id)).get('7')?.corrected).toBe(false);
  }, 300_000);

  it('the rejection report shows the 2016 layout cells, the bad 当前状态 marked', async () => {
    const out = path.join(fx.scratch, 'rejections.xlsx');
    const report = await runCli(['report', 'rejections', '--run', '1', '--out', out], env);
    expect(report.code).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    // The one rejected-row sheet (the summary first): the file's rows in its own layout.
    expect(book.worksheets).toHaveLength(2);
    const sheet = book.worksheets[1];
    const [header, ...rows] = sheetValues(sheet!);
    expect(header).toEqual(
      expect.arrayContaining(['当前状态', '处罚类别1', '处罚类别2', '行政相对人代码_5(居民身份证号)']),
    );
    const status = (header as string[]).indexOf('当前状态');
    const row = rows.findIndex((values) => values[status] === '5');
    expect(row).toBeGreaterThanOrEqual(0);
    const cell = sheet!.getRow(row + 2).getCell(status + 1);
    expect(JSON.stringify(cell.note)).toContain('not-in-code-list');
    expect(rows.map((values) => values[(header as string[]).indexOf('处罚类别1')])).toEqual(
      Array(5).fill('罚款'),
    );
  }, 120_000);

  it('a notice over files of both layouts has a template per layout, each read back by its own version', async () => {
    const current = path.join(fx.scratch, 'current.csv');
    const generated = generatePenalties(4, { badShare: 0.5, seed: 7 });
    writeFileSync(current, toCsv(PENALTY_HEADER, generated.rows));
    const legacy = path.join(fx.scratch, 'legacy.csv');
    // Other bytes than the first test's file (the ledger would skip it): a trailing blank line.
    writeFileSync(legacy, `${readFileSync(INPUT, 'utf8')}\n`);
    const result = await runCli(
      ['ingest', '--catalog', 'xzcf', '--provider', PROVINCE, '--level', 'province'].concat([
        '--lookups',
        lookups,
        '--json',
        current,
        legacy,
      ]),
      env,
    );
    const run = JSON.parse(result.stdout) as { runId: number; counts: Record<string, number> };
    expect(run.counts.rejected).toBe(generated.expected.length + 5);

    const notice = path.join(fx.scratch, 'mixed.xlsx');
    const issued = await runCli(
      ['report', 'notice', '--provider', PROVINCE, '--run', String(run.runId), '--template-unmasked'].concat([
        '--reason',
        '重报模板回传提供单位',
        '--out',
        notice,
      ]),
      env,
    );
    expect(issued.code).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(notice);
    const names = book.worksheets.map((sheet) => sheet.name);
    expect(names).toEqual(['复核通知', '问题清单', '重报模板-行政处罚', '重报模板-行政处罚(旧版布局v2)']);
    const letter = sheetValues(book.getWorksheet('复核通知')!);
    expect(letter.find((line) => line[0] === '旧版布局')?.[1]).toContain('分别另存为一个文件');
    const [currentHeader, ...currentRows] = sheetValues(book.getWorksheet(names[2]!)!);
    expect(currentHeader).toContain('数据来源单位');
    expect(currentRows).toHaveLength(generated.expected.length);
    expect(sheetValues(book.getWorksheet(names[3]!)!)).toHaveLength(6);

    // Each sheet sent back on its own is read by the version of its layout, with the rows' own errors only.
    for (const [sheet, version, rows] of [
      [names[2]!, 3, generated.expected.length],
      [names[3]!, 2, 5],
    ] as const) {
      const back = await runCli(
        [
          'ingest',
          '--catalog',
          'xzcf',
          '--provider',
          PROVINCE,
          '--level',
          'province',
          '--sheet',
          sheet,
        ].concat(['--lookups', lookups, '--json', notice]),
        env,
      );
      const summary = JSON.parse(back.stdout) as { runId: number; counts: Record<string, number> };
      expect(summary.counts).toMatchObject({ read: rows, rejected: rows });
      const errorsOf = async (where: Record<string, unknown>) =>
        (
          await fx
            .warehouse('rejections as r')
            .join('source_files as f', 'f.id', 'r.source_file_id')
            .where(where)
            .select('r.errors')
        )
          .flatMap((row: { errors: { field: string; code: string }[] }) =>
            row.errors.map((error) => `${error.field} ${error.code}`),
          )
          .sort();
      expect(await errorsOf({ 'r.run_id': summary.runId })).toEqual(
        await errorsOf({ 'r.run_id': run.runId, 'f.name': version === 3 ? 'current.csv' : 'legacy.csv' }),
      );
      const file = await fx.warehouse('source_files').where({ run_id: summary.runId }).first();
      expect(file.catalog_version).toBe(version);
    }

    const report = path.join(fx.scratch, 'mixed-rejections.xlsx');
    expect(
      (await runCli(['report', 'rejections', '--run', String(run.runId), '--out', report], env)).code,
    ).toBe(0);
    const rejections = new ExcelJS.Workbook();
    await rejections.xlsx.readFile(report);
    expect(rejections.worksheets.map((sheet) => sheet.name)).toEqual([
      '汇总',
      '行政处罚(xzcf)',
      '行政处罚(xzcf)旧版布局v2',
    ]);
  }, 300_000);
});
