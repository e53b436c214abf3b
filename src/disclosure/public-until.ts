import { type DisclosureRule, SEVERITIES } from '../catalog/disclosure-rule.ts';
import { isIsoDate } from './civil-dates.ts';
import type { DisclosurePeriod, DisclosureRow } from './disclosure-period.ts';

/**
 * The row's own end of disclosure (公示截止期) as the public export shows it, when the rules moved it: the provider's
 * date cut to the maximum period, raised to the minimum, or (a default severity) brought up to the first day shown.
 * The warehouse keeps the provider's value as delivered (a legal record, Art. 17); a public file that showed it
 * beside the effective end would contradict itself (a record still shown with a past end date). So the export shows
 * the effective end in that field and says in `note` what the provider gave and why it was changed.
 */
export interface PublicUntil {
  /** The field holding the row's own end (`CF_GSJZQ`). */
  field: string;
  /** What the provider delivered. */
  provided: string;
  /** The effective last day shown (the period's `until`). */
  until: string;
  /** e.g. `提供单位填报 2026-09-15，按最短公示期限（严重：1年）调整`. */
  note: string;
}

/** Undefined when the row gives no end of its own, or the rules left it as the provider gave it. */
export function publicUntil(
  rule: DisclosureRule | undefined,
  row: DisclosureRow,
  period: DisclosurePeriod,
): PublicUntil | undefined {
  if (rule?.period !== 'by-severity' || !rule.until || !period.until) return undefined;
  const provided = row[rule.until];
  if (!isIsoDate(provided) || provided === period.until) return undefined;
  const severity = period.severity;
  let why: string;
  if (period.untilSource === 'row-raised-to-min' && severity) {
    why = `按最短公示期限（${severity}：${months(rule.periods[severity].minMonths)}）调整`;
  } else if (period.untilSource === 'row-cut-to-max' && severity && period.severitySource !== 'default') {
    why = `按最长公示期限（${severity}：${months(rule.periods[severity].maxMonths)}）调整`;
  } else if (period.untilSource === 'row-cut-to-max') {
    // A default severity is only a stand-in: the provider's date is believed up to the widest period of any.
    const widest = Math.max(...SEVERITIES.map((s) => rule.periods[s].maxMonths));
    why = `失信程度未能确定，按失信信息最长公示期限（${months(widest)}）调整`;
  } else {
    why = `早于公示起始日期 ${period.from ?? period.until}，按该日调整`;
  }
  return { field: rule.until, provided, until: period.until, note: `提供单位填报 ${provided}，${why}` };
}

/** A period in words: `3个月`, `1年`, `18个月`. */
function months(count: number): string {
  return count % 12 === 0 ? `${count / 12}年` : `${count}个月`;
}
