import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { noticeDetails } from '../src/console/views/notices-view.ts';
import { checkResidentId } from '../src/identifiers/resident-id.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { outputsCli } from './support/fixture-cli.ts';
import { naturalPersonCells } from './support/natural-person.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { sheetValues } from './support/sheet-values.ts';

/*
 * Three gaps of a privacy review, through the real CLI, reports and console on a real warehouse:
 * - a 20-character 税务登记号, an individual business owner's ID and a 2-digit sequence number, was shown in clear
 *   (the text masker passed over digit runs longer than 18);
 * - a person's own ID with one digit wrong, quoted in their record's 违法事实, was shown: 17 of 18 digits of a
 *   number masked everywhere else;
 * - a conflict notice to the city quoted the province's current 备注 with mistyped IDs in clear: another
 *   organisation's text, in which an ID with a wrong check character or typed in groups is still a person's.
 */

const CITY = '11370100MB28174284';
/** A valid ID, and the owner's 税务登记号: the ID and `01`. */
const OWNER_ID = '370102198811203273';
const TAX_NUMBER = `${OWNER_ID}01`;
/** The person of a record (valid), and their number as 违法事实 mistypes it (check digit wrong). */
const PERSON_ID = '370102197906124047';
const PERSON_MISTYPED = '370102197906124048';
/** Mistyped IDs in the province's 备注: a wrong check digit, and a valid one in dashed groups. */
const WRONG_CHECK = '370102199207156622';
const GROUPED = '370102-1988-1120-3274';

/** Digits of the numbers above no output may show: their birth dates and what follows. */
const SECRETS = ['198811203273', '1988-1120', '19790612404', '19920715'];

/** A workbook's sheets' values (each under `<label> <sheet name>`) and its cell notes (`<label> notes`). */
async function workbookTexts(label: string, file: string): Promise<[string, string][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(file);
  const notes: string[] = [];
  for (const sheet of book.worksheets) {
    sheet.eachRow((row) =>
      row.eachCell((cell) => {
        if (cell.note) notes.push(JSON.stringify(cell.note));
      }),
    );
  }
  return [
    ...book.worksheets.map((sheet): [string, string] => [
      `${label} ${sheet.name}`,
      JSON.stringify(sheetValues(sheet)),
    ]),
    [`${label} notes`, notes.join('\n')],
  ];
}

describe('near and embedded IDs are masked in every output', () => {
  let cx: ConsoleFixture;
  const { outputs, cli } = outputsCli(
    () => cx.fx,
    (fx) => ({ CREDIT_ETL_REPORT_DIR: fx.scratch }),
  );
  const rows = basePenalties(3, 2026);
  const business = edit(rows[0] as PenaltyRow, {
    行政相对人类别: '个体工商户',
    '行政相对人代码_1(统一社会信用代码)': makeUscc('92', '370102', 3_273),
    '行政相对人代码_4(税务登记号)': TAX_NUMBER,
  });
  const person = edit(rows[1] as PenaltyRow, {
    ...naturalPersonCells('张三', PERSON_ID),
    违法事实: `当事人张三（身份证号误写为${PERSON_MISTYPED}）销售过期食品`,
  });
  const company = edit(rows[2] as PenaltyRow, {
    备注: `当事人身份证号${WRONG_CHECK}；联系人证件 ${GROUPED}`,
  });
  let ids: { business: number; person: number; company: number };

  const page = async (label: string, url: string) => {
    const response = await (await cx.http('viewer')).get(url);
    expect(response.status, label).toBe(200);
    outputs.set(label, await response.text());
  };

  beforeAll(async () => {
    cx = await openConsoleFixture('mask_near_ids', { browser: false });
    const fx = cx.fx;
    const province = await fx.ingest([writeRows(fx.scratch, 'province.csv', [business, person, company])]);
    expect(province.counts.inserted).toBe(3);
    const idOf = async (key: string) =>
      Number((await fx.owner('records').where('business_key', 'like', `%${key}%`).pluck('id'))[0]);
    ids = {
      business: await idOf(business.行政处罚决定书文号!),
      person: await idOf(person.行政处罚决定书文号!),
      company: await idOf(company.行政处罚决定书文号!),
    };
    // The business's row again with a date no calendar has: rejected, its 税务登记号 in the rejection report.
    const rejected = await fx.ingest([
      writeRows(fx.scratch, 'rejected.csv', [edit(business, { 处罚决定日期: '2026-02-30' })]),
    ]);
    expect(rejected.counts.rejected).toBe(1);
    // The city delivers the company's and the person's records with other content: conflicts, noticed to it.
    const city = await fx.ingest(
      [
        writeRows(fx.scratch, 'city.csv', [
          edit(company, { 备注: '市级备注' }),
          edit(person, { 处罚内容: `${person.处罚内容}（市级版本）` }),
        ]),
      ],
      { provider: CITY, level: 'city' },
    );
    expect(city.counts.conflict).toBe(2);

    await cli('record --json (business)', 'record', String(ids.business), '--json');
    await cli(
      'subject --json (business)',
      'subject',
      business['行政相对人代码_1(统一社会信用代码)']!,
      '--json',
    );
    await cli('record --json (person)', 'record', String(ids.person), '--json');
    await cli('record (person)', 'record', String(ids.person));
    for (const extension of ['json', 'csv', 'xlsx']) {
      const out = path.join(fx.scratch, `rejections.${extension}`);
      await cli(
        `rejections.${extension}`,
        'report',
        'rejections',
        '--run',
        String(rejected.runId),
        '--out',
        out,
      );
      if (extension !== 'xlsx') outputs.set(`rejections.${extension} file`, readFileSync(out, 'utf8'));
      else for (const [label, text] of await workbookTexts('rejections.xlsx', out)) outputs.set(label, text);
    }
    const notice = path.join(fx.scratch, 'notice.xlsx');
    await cli(
      'report notice',
      'report',
      'notice',
      '--provider',
      CITY,
      '--run',
      String(city.runId),
      '--out',
      notice,
    );
    for (const [label, text] of await workbookTexts('notice.xlsx', notice)) outputs.set(label, text);
    const [noticeId] = (await fx.owner('notices').pluck('id')) as number[];
    await page('console /records (business)', `/records/${ids.business}`);
    await page('console /records (person)', `/records/${ids.person}`);
    await page('console /notices', `/notices/${noticeId}`);
    outputs.set(
      'console notice rows',
      JSON.stringify((await noticeDetails(fx.warehouse, fx.catalog, Number(noticeId), false))?.rows),
    );
  }, 600_000);
  afterAll(async () => cx?.close());

  it('holds the numbers the review found (the premise)', () => {
    expect(checkResidentId(OWNER_ID)).toBeNull();
    expect(checkResidentId(PERSON_ID)).toBeNull();
    expect(checkResidentId(PERSON_MISTYPED)?.code).toBe('resident-id-check-digit');
    expect(checkResidentId(WRONG_CHECK)?.code).toBe('resident-id-check-digit');
    expect(checkResidentId(GROUPED.replaceAll('-', ''))?.code).toBe('resident-id-check-digit');
  });

  it('shows none of them in clear anywhere', () => {
    expect([...outputs.keys()].filter((label) => label.startsWith('notice.xlsx'))).toEqual([
      'notice.xlsx 复核通知',
      'notice.xlsx 问题清单',
      'notice.xlsx 重报模板-行政处罚',
      'notice.xlsx notes',
    ]);
    expect(outputs.size).toBe(21);
    const shown = [...outputs].flatMap(([label, text]) =>
      SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${label}: ${secret}`),
    );
    // The re-upload template masks its rows whole: the person's own ID mistyped in 违法事实 is theirs there too.
    expect(shown).toEqual([]);
  });

  it('shows them masked where they were: the 税务登记号 with its sequence number, 违法事实, the notice', () => {
    for (const label of ['record --json (business)', 'subject --json (business)', 'rejections.json file']) {
      expect(outputs.get(label), label).toContain('3701**********327301');
    }
    expect(outputs.get('record --json (person)')).toContain('身份证号误写为3701**********4048');
    expect(outputs.get('console /records (person)')).toContain('身份证号误写为3701**********4048');
    for (const label of [
      'notice.xlsx 问题清单',
      'notice.xlsx notes',
      'console /notices',
      'console notice rows',
    ]) {
      expect(outputs.get(label), label).toContain('当事人身份证号3701**********6622');
      expect(outputs.get(label), label).toContain('联系人证件 3701**-****-****-3274');
    }
  });
});
