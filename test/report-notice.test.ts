import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { computeResidentIdCheckChar } from '../src/identifiers/index.ts';
import { noticeStates } from '../src/report/notice-status.ts';
import { writeNoticeXlsx } from '../src/report/notice-workbook.ts';
import { createNotice } from '../src/report/notices.ts';
import { loadProviders } from '../src/report/providers.ts';
import { sheetValues } from './support/sheet-values.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';
const CITY = '11370100MB28174284';
const SEED = 14;

/** Twelve rows, six bad (rows 3, 5, …, 13), and the corrected version of each bad row. */
function deliveries() {
  const bad = generatePenalties(12, { badShare: 0.5, seed: SEED });
  const clean = generatePenalties(12, { seed: SEED });
  const corrections = bad.expected.map(({ row, field }) => {
    const fixed = [...bad.rows[row - 2]!];
    if (field === 'CF_XDR_ZJHM') {
      const first17 = fixed[12]!.slice(0, 17);
      fixed[12] = first17 + computeResidentIdCheckChar(first17);
    } else {
      const index = { CF_XDR_SHDM: 2, CF_SY: 15, CF_JDRQ: 22, CF_CFLB: 17, CF_NR_FK: 19 }[field]!;
      fixed[index] = clean.rows[row - 2]![index]!;
    }
    return fixed;
  });
  return { bad, corrections };
}

describe('the review notice (复核通知)', () => {
  let fx: WarehouseFixture;
  const { bad, corrections } = deliveries();
  const write = (name: string, rows: string[][]) => {
    const file = path.join(fx.scratch, name);
    writeFileSync(file, toCsv(PENALTY_HEADER, rows));
    return file;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_notice');
  });
  afterAll(async () => fx?.close());

  it('lists the rejected rows with how to fix them, the deadline and a re-upload template', async () => {
    const run = await fx.ingest([write('first.csv', bad.rows)], { provider: PROVINCE });
    expect(run.counts.rejected).toBe(6);
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: PROVINCE,
      scope: { kind: 'run', runId: run.runId },
      issuedOn: '2026-09-25',
    });
    // 7 working days from Friday 25 September, across the National Day holiday and the 10 October 调休.
    expect(notice).toMatchObject({ rows: 6, deadline: '2026-10-12', workingDays: 7 });
    const out = path.join(fx.scratch, 'notice.xlsx');
    await writeNoticeXlsx(fx.warehouse, fx.catalog, await loadProviders(), notice.id, out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      '复核通知',
      '问题清单',
      '重报模板-行政处罚',
    ]);
    const letter = texts(workbook.worksheets[0]!);
    expect(letter).toContain('山东省（省级统一推送）（11370000MB2852362M）');
    expect(letter).toContain('2026-10-12（7 个工作日内，不含发出当日）');
    expect(letter).toContain('待更正（已更正 0 / 6 行）');
    const list = rows(workbook.worksheets[1]!);
    expect(list.slice(1).map((row) => [row[4], row[7]])).toEqual(bad.expected.map((b) => [b.row, b.code]));
    expect(list[1]![9]).toContain('统一社会信用代码');
    const template = workbook.worksheets[2]!;
    expect(rows(template)[0]?.slice(0, 3)).toEqual([
      '行政相对人名称',
      '行政相对人类别',
      '行政相对人代码_1(统一社会信用代码)',
    ]);
    expect(rows(template)).toHaveLength(7);
    const badCell = template.getRow(2).getCell(3);
    expect(badCell.fill).toMatchObject({ fgColor: { argb: 'FFFFC7CE' } });
    expect(badCell.note).toBeTruthy();
  });

  it('moves from open to partly corrected to closed as the provider corrections arrive', async () => {
    const [notice] = await noticeStates(fx.warehouse, { providerCode: PROVINCE });
    expect(notice).toMatchObject({ rows: 6, corrected: 0, status: 'open' });
    // The same corrections from another provider do not answer this provider's notice.
    await fx.ingest([write('city.csv', corrections)], { provider: CITY, level: 'city' });
    expect((await noticeStates(fx.warehouse, { providerCode: PROVINCE }))[0]?.status).toBe('open');
    await fx.ingest([write('fix-1.csv', corrections.slice(0, 3))], { provider: PROVINCE });
    expect((await noticeStates(fx.warehouse, { providerCode: PROVINCE }))[0]).toMatchObject({
      corrected: 3,
      status: 'partly-corrected',
    });
    const fix2 = await fx.ingest([write('fix-2.csv', corrections.slice(3))], { provider: PROVINCE });
    expect(fix2.counts.rejected).toBe(0);
    expect((await noticeStates(fx.warehouse, { providerCode: PROVINCE }))[0]).toMatchObject({
      corrected: 6,
      status: 'closed',
    });
  });

  it("covers a lower channel's conflicting rows, closed when it re-delivers the current content", async () => {
    const changed = corrections.slice(0, 2).map((row) => {
      const copy = [...row];
      copy[18] = `${copy[18]}（市级版本）`;
      return copy;
    });
    const run = await fx.ingest([write('conflict.csv', changed)], { provider: CITY, level: 'city' });
    expect(run.counts.conflict).toBe(2);
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: CITY,
      scope: { kind: 'run', runId: run.runId },
      issuedOn: '2026-11-02',
    });
    expect(notice.rows).toBe(2);
    const out = path.join(fx.scratch, 'conflict.xlsx');
    await writeNoticeXlsx(fx.warehouse, fx.catalog, await loadProviders(), notice.id, out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const list = rows(workbook.worksheets[1]!).slice(1);
    expect(list.map((row) => [row[1], row[6], row[7]])).toEqual([
      ['冲突', '处罚内容', 'conflict'],
      ['冲突', '处罚内容', 'conflict'],
    ]);
    expect((await noticeStates(fx.warehouse, { noticeId: notice.id }))[0]?.status).toBe('open');
    await fx.ingest([write('agree.csv', corrections.slice(0, 2))], { provider: CITY, level: 'city' });
    expect((await noticeStates(fx.warehouse, { noticeId: notice.id }))[0]?.status).toBe('closed');
  });
});

function rows(sheet: ExcelJS.Worksheet): unknown[][] {
  return sheetValues(sheet);
}

function texts(sheet: ExcelJS.Worksheet): string[] {
  return rows(sheet).flat().map(String);
}
