import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeResidentIdCheckChar } from '../src/identifiers/index.ts';
import { writeRejectionReport } from '../src/report/write-rejection-report.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const FULL_WIDTH_USCC = '９１３７０１０２０００００５０１２３';
const FORMULA = '=HYPERLINK("http://x","a")';
// 17 digits whose check character is a digit: an `x` typed as the 18th is wrong.
const ID_BODY = ['37160219680525241', '37160219680525242'].find(
  (body) => computeResidentIdCheckChar(body) !== 'X',
)!;

/** Messages quote the cell as the provider sent it, so that it can be found in the provider's own file. */
describe('rejection messages quote the cells as sent', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('raw_quoting');
  });
  afterAll(async () => fx?.close());

  it('full-width codes, dates as typed, a lower-case x and a formula are quoted as they are in the file', async () => {
    const rows = basePenalties(5, 41);
    const row = (i: number, changes: Partial<PenaltyRow>) => edit(rows[i] as PenaltyRow, changes);
    const file = writeRows(fx.scratch, 'raw.csv', [
      row(0, { '行政相对人代码_1(统一社会信用代码)': FULL_WIDTH_USCC }),
      row(1, { 处罚决定日期: '2026年13月45日' }),
      row(2, { 处罚决定日期: '2099年1月5日', 处罚有效期: '2099-12-31', 公示截止期: '' }),
      row(3, { 法定代表人: '王五', 法定代表人证件类型: '身份证', 法定代表人证件号码: `${ID_BODY}x` }),
      row(4, { '行政相对人代码_1(统一社会信用代码)': FORMULA }),
    ]);
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.counts).toMatchObject({ read: 5, rejected: 5 });
    const stored = await fx
      .warehouse('rejections')
      .where({ run_id: summary.runId })
      .orderBy('row_number')
      .select('row_number', 'errors');
    const errorOf = (rowNumber: number, field: string) =>
      stored
        .find((rejection: { row_number: number }) => rejection.row_number === rowNumber)
        ?.errors.find((error: { field: string }) => error.field === field) as
        | { code: string; message: string; value: string }
        | undefined;

    const uscc = errorOf(2, 'CF_XDR_SHDM');
    expect(uscc?.message).toContain(`的值"${FULL_WIDTH_USCC}"有误`);
    expect(uscc?.message).not.toContain('913701020000050123');
    expect(uscc?.value).toBe(FULL_WIDTH_USCC);

    const impossible = errorOf(3, 'CF_JDRQ');
    expect(impossible?.code).toBe('invalid-date');
    expect(impossible?.message).toContain('的值"2026年13月45日"（读作 2026-13-45）不是有效日期');

    const future = errorOf(4, 'CF_JDRQ');
    expect(future?.code).toBe('date-in-future');
    expect(future?.message).toContain(
      '的值"2099年1月5日"（读作 2099-01-05）晚于平台接收该数据的日期 2026-11-20',
    );
    expect(future?.value).toBe('2099年1月5日');

    const id = errorOf(5, 'CF_FR_ZJHM');
    expect(id?.code).toBe('resident-id-check-digit');
    expect(id?.message).toContain('实际为"x"');

    const formula = errorOf(6, 'CF_XDR_SHDM');
    expect(formula?.message).toContain(`的值"${FORMULA}"`);
    expect(formula?.message).not.toContain('HTTP://X');

    // The report that leaves the platform still masks the ID the message now quotes as sent.
    const out = path.join(fx.scratch, 'rejections.json');
    await writeRejectionReport(fx.warehouse, fx.catalog, { kind: 'run', runId: summary.runId }, out, 'json');
    const report = readFileSync(out, 'utf8');
    expect(report).not.toContain(ID_BODY);
    expect(report).toContain('实际为\\"x\\"');
  });
});
