import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { type CliResult, runCli } from './support/run-cli.ts';

/*
 * A conflict notice quotes the current version's values, another channel's text, with every ID-shaped run masked
 * (maskQuotedIds), mistyped ones too. An unmasked view, asked for with a reason by someone entitled to it, showed
 * them masked all the same in the re-upload template of `report notice --unmasked` and on an auditor's unmasked
 * console notice: both now quote them as they are. Every masked view (the notice as sent, `--template-unmasked`,
 * which unmasks only the provider's own values, a GET, another role's POST) still masks them. Through the real
 * CLI and console on real PostgreSQL.
 */

const CITY = '11370100MB28174284';
/** Mistyped IDs in the province's 备注 (a wrong check digit; a valid one in dashed groups): only quotes mask them. */
const WRONG_CHECK = '370102199207156622';
const GROUPED = '370102-1988-1120-3274';
const QUOTED = `当事人身份证号${WRONG_CHECK}；联系人证件 ${GROUPED}`;
const QUOTED_MASKED = '当事人身份证号3701**********6622；联系人证件 3701**-****-****-3274';

/** The cell notes of a workbook's re-upload template sheets (重报模板-…). */
async function templateNotes(file: string): Promise<string> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(file);
  const notes: string[] = [];
  for (const sheet of book.worksheets.filter((one) => one.name.startsWith('重报模板'))) {
    sheet.eachRow((row) =>
      row.eachCell((cell) => {
        if (cell.note) notes.push(JSON.stringify(cell.note));
      }),
    );
  }
  return notes.join('\n');
}

describe("an unmasked notice quotes another channel's values unmasked; a masked one masks them", () => {
  let cx: ConsoleFixture;
  let noticeId: number;
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, {
      DATABASE_URL: cx.fx.url,
      CREDIT_ETL_LOG_FILE: path.join(cx.fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: cx.fx.scratch,
    });
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };
  const out = (name: string) => path.join(cx.fx.scratch, name);

  beforeAll(async () => {
    cx = await openConsoleFixture('notice_unmasked_quotes', { browser: false });
    const [company] = basePenalties(1, 2027) as [PenaltyRow];
    const province = await cx.fx.ingest([
      writeRows(cx.fx.scratch, 'province.csv', [edit(company, { 备注: QUOTED })]),
    ]);
    expect(province.counts.inserted).toBe(1);
    const city = await cx.fx.ingest(
      [writeRows(cx.fx.scratch, 'city.csv', [edit(company, { 备注: '市级备注' })])],
      {
        provider: CITY,
        level: 'city',
      },
    );
    expect(city.counts.conflict).toBe(1);
    await cli(
      'report',
      'notice',
      '--provider',
      CITY,
      '--run',
      String(city.runId),
      '--out',
      out('masked.xlsx'),
    );
    [noticeId] = (await cx.fx.owner('notices').pluck('id')) as [number];
  }, 300_000);
  afterAll(async () => cx?.close());

  it('report notice --unmasked: the re-upload template quotes them as they are; the notice as sent masks them', async () => {
    await cli(
      'report',
      'notice',
      '--id',
      String(noticeId),
      '--unmasked',
      '--reason',
      '核对冲突数据',
      '--out',
      out('unmasked.xlsx'),
    );
    const unmasked = await templateNotes(out('unmasked.xlsx'));
    expect(unmasked).toContain(QUOTED);
    expect(unmasked).not.toContain(QUOTED_MASKED);
    const masked = await templateNotes(out('masked.xlsx'));
    expect(masked).toContain(QUOTED_MASKED);
    expect(masked).not.toContain(WRONG_CHECK);
  }, 120_000);

  it('report notice --template-unmasked: the provider’s own values in clear, the other channel’s quote masked', async () => {
    await cli(
      'report',
      'notice',
      '--id',
      String(noticeId),
      '--template-unmasked',
      '--reason',
      '单位重新报送',
      '--out',
      out('own-values.xlsx'),
    );
    const notes = await templateNotes(out('own-values.xlsx'));
    expect(notes).toContain(QUOTED_MASKED);
    expect(notes).not.toContain(WRONG_CHECK);
  }, 120_000);

  it('the console: an auditor’s unmasked notice quotes them as they are; a GET and a viewer’s POST mask them', async () => {
    const auditor = await cx.http('auditor');
    const shown = await auditor.post(`/notices/${noticeId}`, { unmask: '1', reason: '核对冲突数据' });
    expect(shown.status).toBe(200);
    const page = await shown.text();
    expect(page).toContain(QUOTED);
    expect(page).not.toContain(QUOTED_MASKED);
    const masked = await (await auditor.get(`/notices/${noticeId}`)).text();
    expect(masked).toContain(QUOTED_MASKED);
    expect(masked).not.toContain(WRONG_CHECK);
    const viewer = await cx.http('viewer');
    const viewed = await (
      await viewer.post(`/notices/${noticeId}`, { unmask: '1', reason: '核对冲突数据' })
    ).text();
    expect(viewed).toContain(QUOTED_MASKED);
    expect(viewed).not.toContain(WRONG_CHECK);
  }, 120_000);
});
