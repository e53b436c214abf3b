import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A company's USCC (the xzcf fixtures' first company), an individual business's, and its full-width typing.
const COMPANY = '913701020000050122';
const COMPANY_FULL_WIDTH = '９１３７０１０２０００００５０１２２';
const SOLE_TRADER = '92370102000006066P';
// Valid resident IDs that are valid USCCs as well (about 1 in 400 IDs are): a Beijing resident's, and a foreign
// permanent resident card's (the 2023 card has the resident ID layout). They are the people's own numbers.
const ID_ALSO_A_USCC = '110105198504120014';
const PERMANENT_RESIDENT_ALSO_A_USCC = '911840199005170211';
// 18 characters of the USCC set that are no valid USCC (wrong 18th character): not refused by this rule.
const NOT_A_VALID_USCC = '913701020000050123';
const PASSPORT = 'E12345678';
const PERSON = '370103199005170121';

const RECEIVED = new Date('2026-12-06T10:00:00+08:00');
const USCC_COLUMN = '行政相对人代码_1(统一社会信用代码)';

const rejectionMessages = async (fx: WarehouseFixture, runId: number, row: number) => {
  const [rejection] = await fx
    .warehouse('rejections')
    .where({ run_id: runId, row_number: row })
    .select('errors');
  return (rejection?.errors ?? []).map((error: { message: string }) => error.message) as string[];
};
const subjectsOf = async (fx: WarehouseFixture, catalog: string, code: string) =>
  (
    await fx.warehouse('records').where({ catalog_code: catalog, subject_code: code }).select('business_key')
  ).map((record: { business_key: string }) => record.business_key);

/**
 * A natural person is filed under their 证件号码 (Art. 8): a company's USCC typed there (as a passport number, a
 * 军官证 number, full-width) filed the person's record under the company, beside its own. It is refused in every
 * entry with natural persons, by subjectCodeByType; a valid resident ID that also checks as a USCC stays the person's.
 */
describe('a natural person’s 证件号码 that is a company’s USCC', () => {
  let fx: WarehouseFixture;
  let penalties: RunSummary;
  let listings: RunSummary;
  const rows = basePenalties(12, 41);
  const legal = (i: number) => {
    if (i % 10 === 7) throw new Error(`generated row ${i} is a natural person`);
    return rows[i] as PenaltyRow;
  };
  const natural = (i: number, 证件类型: string, 证件号码: string) =>
    edit(legal(i), {
      行政相对人名称: `自然人${i}`,
      行政相对人类别: '自然人',
      [USCC_COLUMN]: '',
      法定代表人: '',
      法定代表人证件类型: '',
      法定代表人证件号码: '',
      证件类型,
      证件号码,
    });
  const penaltyRows: PenaltyRow[] = [
    /* row 2 */ edit(legal(0), { [USCC_COLUMN]: COMPANY }),
    /* row 3 */ natural(1, '护照号', COMPANY),
    /* row 4 */ natural(2, '护照号', COMPANY_FULL_WIDTH),
    /* row 5 */ natural(3, '其他-军官证', SOLE_TRADER),
    /* row 6 */ natural(4, '身份证', ID_ALSO_A_USCC),
    /* row 7 */ natural(5, '外国人永久居留身份证', PERMANENT_RESIDENT_ALSO_A_USCC),
    /* row 8 */ natural(6, '护照号', PASSPORT),
    /* row 9 */ natural(8, '护照号', NOT_A_VALID_USCC),
  ];

  const LISTING_HEADER = [
    '失信主体名称',
    '主体类别',
    '统一社会信用代码',
    '工商注册号',
    '法定代表人（负责人）',
    '证件类型',
    '证件号码',
    '名单类型',
    '认定决定文书号',
    '失信行为（列入事由）',
    '认定依据',
    '列入日期',
    '认定机关',
    '认定机关统一社会信用代码',
    '移出日期',
    '移出原因',
    '数据来源单位',
    '数据来源单位统一社会信用代码',
    '备注',
  ];
  const listing = (n: number, changes: Record<string, string>): PenaltyRow => ({
    失信主体名称: `济南示例建筑有限公司${n}`,
    主体类别: '法人及非法人组织',
    统一社会信用代码: COMPANY,
    '法定代表人（负责人）': `孙${n}`,
    名单类型: '失信被执行人',
    认定决定文书号: `（2026）鲁01执${900 + n}号`,
    '失信行为（列入事由）': '有履行能力而拒不履行生效法律文书确定的义务',
    认定依据: '《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条',
    列入日期: '2026-03-05',
    认定机关: '济南市中级人民法院',
    认定机关统一社会信用代码: '1137010000010001XF',
    数据来源单位: '济南市中级人民法院',
    数据来源单位统一社会信用代码: '1137010000010001XF',
    ...changes,
  });
  const person = (n: number, 证件类型: string, 证件号码: string) =>
    listing(n, {
      失信主体名称: `自然人${n}`,
      主体类别: '自然人',
      统一社会信用代码: '',
      '法定代表人（负责人）': '',
      证件类型,
      证件号码,
    });
  const listingRows: PenaltyRow[] = [
    /* row 2 */ listing(1, {}),
    /* row 3 */ person(2, '护照号', COMPANY),
    /* row 4 */ listing(3, { 证件类型: '身份证', 证件号码: PERSON }),
    /* row 5 */ person(4, '护照号', PASSPORT),
    /* row 6 */ listing(5, {
      主体类别: '个体工商户',
      统一社会信用代码: SOLE_TRADER,
      证件类型: '身份证',
      证件号码: PERSON,
    }),
  ];

  beforeAll(async () => {
    fx = await openWarehouseFixture('person_id_not_a_uscc');
    penalties = await fx.ingest([writeRows(fx.scratch, 'subj.csv', penaltyRows)], {
      provider: '11370100MB28174284',
      level: 'city',
      receivedAt: RECEIVED,
    });
    listings = await fx.ingest([writeRows(fx.scratch, 'sx.csv', listingRows, LISTING_HEADER)], {
      catalog: 'yzsxmd',
      provider: '11370100MB28174284',
      level: 'city',
      receivedAt: RECEIVED,
    });
  });
  afterAll(async () => fx?.close());

  it('xzcf: passport, full-width and 军官证 numbers that are USCCs are refused; people’s own numbers load', async () => {
    expect(penalties.counts).toMatchObject({ read: 8, inserted: 5, rejected: 3 });
    expect(await flatRejections(fx.warehouse, penalties.runId)).toEqual([
      [3, 'CF_XDR_ZJHM', 'person-id-is-uscc'],
      [4, 'CF_XDR_ZJHM', 'person-id-is-uscc'],
      [5, 'CF_XDR_ZJHM', 'person-id-is-uscc'],
    ]);
    // The company's own record is the only one under its code; the individual business has none.
    expect(await subjectsOf(fx, 'xzcf', COMPANY)).toHaveLength(1);
    expect(await subjectsOf(fx, 'xzcf', SOLE_TRADER)).toEqual([]);
    // A valid resident ID is the person's even where it also checks as a USCC; so is any number no valid USCC.
    for (const own of [ID_ALSO_A_USCC, PERMANENT_RESIDENT_ALSO_A_USCC, PASSPORT, NOT_A_VALID_USCC])
      expect(await subjectsOf(fx, 'xzcf', own), own).toHaveLength(1);
  });

  it('the message names the field, the type and the value as sent, unmasked: a USCC is public', async () => {
    expect(await rejectionMessages(fx, penalties.runId, 3)).toEqual([
      `"证件号码"的值"${COMPANY}"是统一社会信用代码，不是个人的证件号码："行政相对人类别"为"自然人"时，` +
        '"证件号码"填写本人的证件号码（本行"证件类型"为"护照号"），不能填写单位或个体工商户的代码，' +
        '否则该记录会归入该单位名下；如相对人实为法人、非法人组织或个体工商户，请改正"行政相对人类别"，' +
        `代码填入"${USCC_COLUMN}"`,
    ]);
    const [fullWidth] = await rejectionMessages(fx, penalties.runId, 4);
    expect(fullWidth).toMatch(new RegExp(`^"证件号码"的值"${COMPANY_FULL_WIDTH}"是统一社会信用代码`));
    const [soleTrader] = await rejectionMessages(fx, penalties.runId, 5);
    expect(soleTrader).toContain(`"${SOLE_TRADER}"是统一社会信用代码`);
    expect(soleTrader).toContain('（本行"证件类型"为"其他-军官证"）');
  });

  it('yzsxmd: the same refusal, and a company’s or individual business’s row takes no 证件类型/证件号码 (v2)', async () => {
    expect(listings.counts).toMatchObject({ read: 5, inserted: 2, rejected: 3 });
    expect(await flatRejections(fx.warehouse, listings.runId)).toEqual([
      [3, 'SX_ZJHM', 'person-id-is-uscc'],
      [4, 'SX_ZJLX', 'subject-code-not-allowed'],
      [4, 'SX_ZJHM', 'subject-code-not-allowed'],
      [6, 'SX_ZJLX', 'subject-code-not-allowed'],
      [6, 'SX_ZJHM', 'subject-code-not-allowed'],
    ]);
    const file = await fx.warehouse('source_files').where({ run_id: listings.runId }).first();
    expect(file).toMatchObject({ catalog_code: 'yzsxmd', catalog_version: 2 });
    expect((await rejectionMessages(fx, listings.runId, 3))[0]).toContain(
      `"证件号码"的值"${COMPANY}"是统一社会信用代码，不是个人的证件号码："主体类别"为"自然人"时`,
    );
    // The person's number on a company's row is named masked, never in full.
    const messages = (await rejectionMessages(fx, listings.runId, 4)).join('\n');
    expect(messages).toContain(
      '"主体类别"为"法人及非法人组织"时，"证件号码"应为空：请清空该列（本行填写了"3701**********0121"）',
    );
    expect(messages).not.toContain(PERSON);
    expect(await subjectsOf(fx, 'yzsxmd', COMPANY)).toHaveLength(1);
    expect(await subjectsOf(fx, 'yzsxmd', PERSON)).toEqual([]);
  });

  it('DESIGN: yzsxmd v1 is not edited: a delivery received before v2 took effect is read by v1 as before', async () => {
    const before = await fx.ingest(
      [
        writeRows(
          fx.scratch,
          'sx-before.csv',
          [listing(7, {}), listing(8, { 证件类型: '身份证', 证件号码: PERSON })],
          LISTING_HEADER,
        ),
      ],
      {
        catalog: 'yzsxmd',
        provider: '11370100MB28174284',
        level: 'city',
        receivedAt: new Date('2026-12-05T10:00:00+08:00'),
      },
    );
    expect(before.counts).toMatchObject({ read: 2, inserted: 2, rejected: 0 });
    const file = await fx.warehouse('source_files').where({ run_id: before.runId }).first();
    expect(file).toMatchObject({ catalog_version: 1 });
  });
});
