import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { pickVersionByHeader } from '../catalog/pick-version.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';
import { compileEntry } from './compiled-entry.ts';

/** The 2016 national 双公示 行政处罚 layout, as providers export it. */
const PENALTY_2016_HEADER = [
  '行政处罚决定书文号',
  '处罚名称',
  '处罚类别1',
  '处罚类别2',
  '处罚事由',
  '处罚依据',
  '行政相对人名称',
  '行政相对人代码_1(统一社会信用代码)',
  '行政相对人代码_2(组织机构代码)',
  '行政相对人代码_3(工商登记码)',
  '行政相对人代码_4(税务登记号)',
  '行政相对人代码_5(居民身份证号)',
  '法定代表人姓名',
  '处罚结果',
  '处罚决定日期',
  '处罚机关',
  '当前状态',
  '地方编码',
  '数据更新时间戳',
  '备注',
];

const AUTHORITY = '济南市市场监督管理局';
const AUTHORITY_CODE = '11370100MB28174284';
const lookups = { authorityCodes: { [AUTHORITY]: AUTHORITY_CODE } };

let catalog: Catalog;
let current: CatalogEntry;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  current = catalog.resolve('xzcf', '2026-12-05');
});

/** One 2016-layout row through the version's normalizers, mapping and validator. */
function read2016(values: Record<string, string>): { row: NormalizedRow; codes: [string, string][] } {
  const { entry, match } = pickVersionByHeader(current, catalog.entries, PENALTY_2016_HEADER);
  expect(match.problems).toEqual([]);
  const compiled = compileEntry(entry, {}, lookups);
  const row: NormalizedRow = {};
  PENALTY_2016_HEADER.forEach((name, i) => {
    const code = match.columns[i];
    const value = compiled.normalizers.get(code!)!(values[name] ?? '');
    if (value !== undefined) row[code!] = value;
  });
  const derived = compiled.deriveLegacy!(row);
  const problems = [...derived.errors, ...compiled.validate(row)];
  return { row, codes: problems.map((problem) => [problem.field, problem.code]) };
}

const company = {
  行政处罚决定书文号: '济市监罚〔2016〕12号',
  处罚名称: '销售不合格产品案',
  处罚类别1: '罚款',
  处罚类别2: '没收违法所得、没收非法财物',
  处罚事由: '销售不合格电线',
  处罚依据: '《产品质量法》第四十九条',
  行政相对人名称: '济南某某电器有限公司',
  '行政相对人代码_1(统一社会信用代码)': '91370112MA9A37366E',
  法定代表人姓名: '王某',
  处罚结果: '罚款人民币二万元',
  处罚决定日期: '2016/05/03',
  处罚机关: AUTHORITY,
  当前状态: '0',
  地方编码: '370100',
  数据更新时间戳: '2016-05-04 10:00:00',
};

describe('the 2016 行政处罚 layout maps onto the current model', () => {
  it('the header picks the newest 2016-layout version (v2); the 2021 header keeps the version in force', () => {
    expect(pickVersionByHeader(current, catalog.entries, PENALTY_2016_HEADER).entry.version).toBe(2);
    const header2021 = Object.values(current.schema.properties).map((field) => field.title);
    expect(pickVersionByHeader(current, catalog.entries, header2021).entry.version).toBe(current.version);
  });

  it('renames, joins 处罚类别1/2, derives the subject type and the authority code, drops source values', () => {
    const { row, codes } = read2016(company);
    expect(codes).toEqual([]);
    expect(row).toEqual({
      CF_WSH: '济市监罚〔2016〕12号',
      CF_WFXW: '销售不合格产品案',
      CF_CFLB: '罚款;没收违法所得;没收非法财物',
      CF_SY: '销售不合格电线',
      CF_YJ: '《产品质量法》第四十九条',
      CF_XDR_MC: '济南某某电器有限公司',
      CF_XDR_LB: '法人及非法人组织',
      CF_XDR_SHDM: '91370112MA9A37366E',
      CF_FRDB: '王某',
      CF_NR: '罚款人民币二万元',
      CF_JDRQ: '2016-05-03',
      CF_CFJG: AUTHORITY,
      CF_CFJGDM: AUTHORITY_CODE,
    });
  });

  it('暂扣或者吊销 (Art. 8 of the pre-2021 law: one or the other) is kept as it is, never as both', () => {
    const EITHER = '暂扣或者吊销许可证、暂扣或者吊销执照';
    for (const category of [EITHER, '暂扣或者吊销执照', '暂扣或者吊销许可证']) {
      const { row, codes } = read2016({
        ...company,
        处罚类别2: category,
        处罚结果: '罚款人民币二万元，暂扣营业执照一个月',
      });
      expect(codes).toEqual([]);
      expect(row.CF_CFLB).toBe(`罚款;${EITHER}`);
    }
    // v0, the 2016 layout as first published, stored a revocation nobody stated; published versions are not
    // edited, so it still reads what it read (files received while it was in force).
    const v0 = catalog.entries.find((entry) => entry.code === 'xzcf' && entry.version === 0)!;
    expect(v0.schema.properties.CF_CFLB?.['x-codeList']?.aliases?.[EITHER]).toBe('暂扣许可证件;吊销许可证件');
  });

  it('a 居民身份证号 makes a 自然人 with 证件类型 身份证; a 92 USCC a 个体工商户', () => {
    const person = read2016({
      ...company,
      '行政相对人代码_1(统一社会信用代码)': '',
      '行政相对人代码_5(居民身份证号)': '11010519491231002X',
      法定代表人姓名: '',
    });
    expect(person.codes).toEqual([]);
    expect(person.row).toMatchObject({
      CF_XDR_LB: '自然人',
      CF_XDR_ZJLX: '身份证',
      CF_XDR_ZJHM: '11010519491231002X',
    });
    const shop = read2016({ ...company, '行政相对人代码_1(统一社会信用代码)': '92340602MA2PBMEM24' });
    expect(shop.codes).toEqual([]);
    expect(shop.row.CF_XDR_LB).toBe('个体工商户');
  });

  it('a row with an ID number and a company code contradicts the derived 自然人, naming the 2016 column', () => {
    const { codes } = read2016({ ...company, '行政相对人代码_5(居民身份证号)': '11010519491231002X' });
    expect(codes).toEqual([['CF_XDR_SHDM', 'subject-code-not-allowed']]);
    const entry = catalog.entries.find((e) => e.code === 'xzcf' && e.version === 0)!;
    expect(entry.schema.properties.CF_XDR_SHDM?.title).toBe('行政相对人代码_1(统一社会信用代码)');
  });

  it('an authority not in the lookup table and a 当前状态 outside 0–3 are rejected with their columns', () => {
    const { codes } = read2016({ ...company, 处罚机关: '某某局', 当前状态: '5' });
    expect(codes).toEqual(
      expect.arrayContaining([
        ['CF_CFJG', 'lookup-missing'],
        ['DQZT', 'not-in-code-list'],
      ]),
    );
  });

  it('当前状态 is kept as a source value (撤销 read as 1), not as content', () => {
    const { entry, match } = pickVersionByHeader(current, catalog.entries, PENALTY_2016_HEADER);
    const compiled = compileEntry(entry, {}, lookups);
    const row: NormalizedRow = {};
    match.columns.forEach((code, i) => {
      const value = compiled.normalizers.get(code!)!(
        { ...company, 当前状态: '撤销' }[PENALTY_2016_HEADER[i] as keyof typeof company] ?? '',
      );
      if (value !== undefined) row[code!] = value;
    });
    const { source } = compiled.deriveLegacy!(row);
    expect(source).toEqual({
      CF_CFLB1: '罚款',
      CF_CFLB2: '没收违法所得、没收非法财物',
      DQZT: '1',
      DFBM: '370100',
      SJGXSJ: '2016-05-04 10:00:00',
    });
    expect(row.DQZT).toBeUndefined();
  });
});
