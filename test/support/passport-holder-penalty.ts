import { PENALTY_HEADER } from '../../fixtures/generate/penalty-rows.ts';

/** What a passport holder's penalty says of its own: the number, the decision, the facts, its dates. */
export interface PassportHolderCells {
  证件号码: string;
  行政处罚决定书文号: string;
  违法事实: string;
  处罚决定日期: string;
  公示截止期: string;
}

/**
 * The cells (in PENALTY_HEADER's order) of a fine 济南市市场监督管理局 imposed on 赵某, a natural person identified
 * by a passport (证件类型 护照: the 证件号码 is not checked as an ID, so it is loaded as typed). `cells` say what is
 * the test's own; `more` changes any other cell.
 */
export function passportHolderPenalty(
  cells: PassportHolderCells,
  more: Record<string, string> = {},
): string[] {
  const row: Record<string, string> = {
    行政相对人名称: '赵某',
    行政相对人类别: '自然人',
    证件类型: '护照',
    违法行为类型: '违反《中华人民共和国食品安全法》第三十四条',
    处罚依据: '《中华人民共和国食品安全法》第一百二十四条第一款',
    处罚类别: '罚款',
    处罚内容: '罚款人民币5000元',
    '罚款金额（万元）': '0.5',
    处罚有效期: '2099-12-31',
    处罚机关: '济南市市场监督管理局',
    处罚机关统一社会信用代码: '11370100MB28174284',
    数据来源单位: '济南市市场监督管理局',
    数据来源单位统一社会信用代码: '11370100MB28174284',
    ...cells,
    ...more,
  };
  return PENALTY_HEADER.map((title) => row[title] ?? '');
}
