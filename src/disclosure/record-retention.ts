import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { periodEnd } from './civil-dates.ts';
import type { DisclosureState, NotDisclosedReason } from './disclosure-state.ts';

/**
 * A record's 保存期限 (Art. 7 of the Measures names it beside 使用期限) on the day its disclosure state is for. Shown
 * for information only: the warehouse never deletes or archives a record outside a legal procedure, so a period
 * that has run changes nothing by itself (RETENTION_NOTE says so wherever it is shown).
 */
export interface RecordRetention {
  /** `permanent` 长期保存; `years` after disclosure ends; `unknown`: the entry version's file is missing. */
  kind: 'permanent' | 'years' | 'unknown';
  /** years: N, from the catalog entry's `disclosure.retention`. */
  years?: number;
  /** years: the day disclosure ended (or will end) that the years count from; null: no such day known yet. */
  countedFrom?: string | null;
  /** years: what ends the disclosure: its period's last day (`expiry`) or a credit repair (`repair`). */
  endedBy?: 'expiry' | 'repair';
  /** years: the last day the record must be kept (inclusive); null: not known yet. */
  keptUntil?: string | null;
  /** years: disclosure has not ended on the day asked, so the day may still move (a repair ends it sooner). */
  provisional?: boolean;
  /** years: the last day kept is past on the day asked. */
  lapsed?: boolean;
  /** Chinese, e.g. `至 2031-07-15（公示截止 2026-07-15 后 5 年）`, `长期保存`. */
  label: string;
}

/** Said wherever a retention is shown: it deletes nothing. */
export const RETENTION_NOTE = '仅作提示，不自动删除或归档：保存期限届满后按法定程序处理';

/** Why no disclosure end is known, by the state's reason (a state without one: still shown, open-ended). */
const NO_END: Record<NotDisclosedReason | 'open', string> = {
  open: '公示尚未结束，无公示截止日',
  'not-public': '本目录信息不公示，无公示截止日',
  minor: '轻微失信信息未公示，无公示截止日',
  withdrawn: '记录已撤销，停止公示之日见法定程序',
  superseded: '记录已被取代，停止公示之日见法定程序',
  'not-yet': '尚未开始公示，无公示截止日',
  'not-recorded': '当日尚无此记录',
  'version-missing': '目录版本文件缺失',
};

/**
 * The 保存期限 of a record in `state` under its catalog entry's rule (`disclosure.retention`).
 *
 * Reading and sources: the project's domain notes (shared reference, on the national standards) say nothing of how
 * 保存期限 is counted, only that nothing requires physical deletion (disclosure ended, sharing stopped are states); the Shandong draft (Art. 7)
 * only lists it as a catalog item. So the catalog's own definition is followed (catalog.schema.json, src/catalog/
 * disclosure-rule.ts: "a number of years after disclosure ends"), counted as every period here is (民法典 Art.
 * 201–202, civil-dates.ts): from the day disclosure ends, not counted, to the corresponding day N years on.
 * - `permanent`: 长期保存, whatever the state (also withdrawn or never shown).
 * - Disclosure ended by a credit repair in force on the day asked: counted from the repair's day.
 * - Otherwise, when the period has a last day (公示截止) and the record is or will be shown: counted from that day;
 *   `provisional` while it has not passed (a repair or a correction may still move it).
 * - No end of disclosure known (open-ended: while current, 有效期至 empty; never shown: `not-public`, 轻微 unpublished;
 *   withdrawn or superseded, whose procedure day the state does not hold): `keptUntil` null, the label says why.
 *   Never counted from the formation or decision date instead: that would shorten what the rule says, on a guess.
 */
export function recordRetention(entry: CatalogEntry | undefined, state: DisclosureState): RecordRetention {
  if (!entry) return { kind: 'unknown', label: `未知：${NO_END['version-missing']}` };
  const rule = entry.disclosure.retention;
  if (rule === 'permanent') return { kind: 'permanent', label: '长期保存' };
  const { years } = rule;
  const counted = (from: string, endedBy: 'expiry' | 'repair', provisional: boolean): RecordRetention => {
    const keptUntil = periodEnd(from, years * 12);
    const lapsed = state.asOf > keptUntil;
    const why =
      endedBy === 'repair' ? `${from} 信用修复停止公示后 ${years} 年` : `公示截止 ${from} 后 ${years} 年`;
    return {
      kind: 'years',
      years,
      countedFrom: from,
      endedBy,
      keptUntil,
      provisional,
      lapsed,
      label: `${provisional ? '暂至' : '至'} ${keptUntil}（${why}${provisional ? '，提前停止公示则相应提前' : ''}）${lapsed ? '，已届满' : ''}`,
    };
  };
  if (state.state === 'repaired' && state.repair) return counted(state.repair.on, 'repair', false);
  const until = state.period.until;
  const shown = state.state !== 'not-disclosed' || state.reason === 'not-yet';
  if (until && shown) return counted(until, 'expiry', state.state !== 'expired');
  return {
    kind: 'years',
    years,
    countedFrom: null,
    keptUntil: null,
    provisional: true,
    lapsed: false,
    label: `公示结束后 ${years} 年，届满日未定（${NO_END[state.reason ?? 'open']}）`,
  };
}
