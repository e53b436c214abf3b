import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PENALTY_HEADER } from '../../fixtures/generate/penalty-rows.ts';
import { createNotice } from '../../src/report/notices.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/** The personal and public codes the console pages' data holds, to look for in pages and downloads. */
export const PAGE_DATA = {
  /** 证件号码 of an accepted natural person's record. */
  personId: '371102197906124048',
  personIdMasked: '3711**********4048',
  /** A resident ID typed into the USCC column: a rejected row. */
  idInUsccColumn: '11010519491231002X',
  idInUsccColumnMasked: '1101**********002X',
  /** An all-digit USCC subject, never masked. */
  companyUscc: '121200004013590816',
  authorityUscc: '913701020000050122',
  province: '113700000000000000',
  city: '113701000000000000',
  /** The company's decision number as stored, and typed another way. */
  decision: '济市监罚〔2026〕902号',
  decisionTyped: '济市监罚（2026） 902 号',
} as const;

function row(fields: Record<string, string>): string[] {
  const all: Record<string, string> = {
    行政相对人名称: '济南示例商贸有限公司',
    行政相对人类别: '法人及非法人组织',
    '行政相对人代码_1(统一社会信用代码)': '91370102001000010X',
    法定代表人: '李一',
    违法行为类型: '违反《中华人民共和国食品安全法》第三十四条',
    违法事实: '该单位未按规定公示年度报告。',
    处罚依据: '《中华人民共和国食品安全法》第一百二十四条',
    处罚类别: '罚款',
    处罚内容: '罚款人民币1万元',
    '罚款金额（万元）': '1',
    处罚决定日期: '2026-07-15',
    处罚有效期: '2099-12-31',
    公示截止期: '2029-12-31',
    处罚机关: '济南市市场监督管理局',
    处罚机关统一社会信用代码: PAGE_DATA.authorityUscc,
    数据来源单位: '济南市市场监督管理局',
    数据来源单位统一社会信用代码: PAGE_DATA.authorityUscc,
    ...fields,
  };
  return PENALTY_HEADER.map((title) => all[title] ?? '');
}

const csv = (rows: string[][]) =>
  `\uFEFF${rows.map((cells) => cells.map((cell) => `"${cell.replaceAll('"', '""')}"`).join(',')).join('\r\n')}\r\n`;

/** Markup in a delivered value: the pages must show it as text. */
export const HOSTILE_TEXT = '<script>alert("x")</script>';

/**
 * A third provider's delivery whose values are markup: an accepted record with it in 违法事实 and a row rejected
 * for it in 处罚决定日期.
 */
export async function seedHostileDelivery(fx: WarehouseFixture): Promise<{ runId: number }> {
  const file = path.join(fx.scratch, 'hostile.csv');
  writeFileSync(
    file,
    csv([
      [...PENALTY_HEADER],
      row({ 违法事实: HOSTILE_TEXT, 行政处罚决定书文号: '济市监罚〔2026〕990号' }),
      row({ 处罚决定日期: HOSTILE_TEXT, 行政处罚决定书文号: '济市监罚〔2026〕991号' }),
    ]),
  );
  const run = await fx.ingest([file], {
    provider: '113701020000000000',
    receivedAt: new Date('2026-11-22T10:00:00+08:00'),
  });
  return { runId: run.runId };
}

/**
 * What the console's data pages show: the province's delivery (a natural person's record, a company's record, two
 * rejected rows — one with an ID number in the USCC column), the city's differing copy of the company's record
 * (a conflict), and a review notice of the province's run.
 */
export async function seedConsolePages(fx: WarehouseFixture): Promise<{ runId: number; noticeId: number }> {
  const province = path.join(fx.scratch, 'province.csv');
  writeFileSync(
    province,
    csv([
      [...PENALTY_HEADER],
      row({
        行政相对人名称: '张某',
        行政相对人类别: '自然人',
        '行政相对人代码_1(统一社会信用代码)': '',
        法定代表人: '',
        证件类型: '身份证',
        证件号码: PAGE_DATA.personId,
        行政处罚决定书文号: '济市监罚〔2026〕901号',
      }),
      row({
        行政相对人名称: '山东省某某事业单位',
        '行政相对人代码_1(统一社会信用代码)': PAGE_DATA.companyUscc,
        行政处罚决定书文号: PAGE_DATA.decision,
      }),
      row({
        '行政相对人代码_1(统一社会信用代码)': PAGE_DATA.idInUsccColumn,
        行政处罚决定书文号: '济市监罚〔2026〕903号',
      }),
      row({ 处罚决定日期: '2026-02-30', 行政处罚决定书文号: '济市监罚〔2026〕906号' }),
    ]),
  );
  const run = await fx.ingest([province], {
    provider: PAGE_DATA.province,
    receivedAt: new Date('2026-11-20T10:00:00+08:00'),
  });
  const city = path.join(fx.scratch, 'city.csv');
  writeFileSync(
    city,
    csv([
      [...PENALTY_HEADER],
      row({
        行政相对人名称: '山东省某某事业单位',
        '行政相对人代码_1(统一社会信用代码)': PAGE_DATA.companyUscc,
        行政处罚决定书文号: PAGE_DATA.decision,
        处罚内容: '罚款人民币2万元',
      }),
    ]),
  );
  await fx.ingest([city], {
    provider: PAGE_DATA.city,
    level: 'city',
    receivedAt: new Date('2026-11-21T10:00:00+08:00'),
  });
  const notice = await createNotice(fx.warehouse, fx.catalog, {
    providerCode: PAGE_DATA.province,
    scope: { kind: 'run', runId: run.runId },
    issuedOn: '2026-11-23',
    operator: 'test',
  });
  return { runId: run.runId, noticeId: notice.id };
}
