import { periodEnd } from '../../src/disclosure/civil-dates.ts';
import { basePenalties, edit, type PenaltyRow } from './penalty-variants.ts';

/**
 * Penalties of one company (`company`, its USCC, and `name`), each a 警告 decided on `decided`, from generated
 * legal persons' rows (`seed`): `penalty(i, decision, changes)` is the `i`-th under its own decision number.
 */
export function warningPenalties(options: { seed: number; company: string; name: string; decided: string }) {
  const rows = basePenalties(12, options.seed).filter((row) => row.行政相对人类别 !== '自然人');
  return (i: number, decision: string, changes: Partial<PenaltyRow> = {}) =>
    edit(rows[i] as PenaltyRow, {
      '行政相对人代码_1(统一社会信用代码)': options.company,
      行政相对人名称: options.name,
      行政处罚决定书文号: decision,
      处罚类别: '警告',
      处罚决定日期: options.decided,
      // 轻微 is shown only with the provider's own end date (within 3 months).
      公示截止期: periodEnd(options.decided, 2),
      ...changes,
    });
}
