import type { PenaltyRow } from './penalty-variants.ts';

/** The cells that make a row a natural person's (自然人) penalty: `name`, resident ID `id`, no USCC, no 法定代表人. */
export function naturalPersonCells(name: string, id: string): PenaltyRow {
  return {
    行政相对人名称: name,
    行政相对人类别: '自然人',
    '行政相对人代码_1(统一社会信用代码)': '',
    法定代表人: '',
    证件类型: '身份证',
    证件号码: id,
  };
}
