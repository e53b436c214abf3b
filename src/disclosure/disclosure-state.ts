import type { ObjectionMark } from '../warehouse/objections-repository.ts';
import { nextDay } from './civil-dates.ts';
import type { DisclosurePeriod } from './disclosure-period.ts';

/**
 * A record's public-disclosure state on one day:
 * - `disclosed` 公示中 (until a day, or open-ended);
 * - `objection` 异议处理中: would be shown, and an objection about it is in progress (Art. 18: shown with a label);
 * - `expired` 公示期满: the period has run; shown no more, kept;
 * - `repaired` 已信用修复: a credit repair (procedure_log kind `repair`) ended it early; kept;
 * - `not-disclosed`: never shown that day: withdrawn, superseded, an entry not shown to the public, or not begun.
 */
export type DisclosureStateKind = 'disclosed' | 'objection' | 'expired' | 'repaired' | 'not-disclosed';

export type NotDisclosedReason = 'withdrawn' | 'superseded' | 'not-public' | 'not-yet';

/** The credit repair of a record: its procedure and the day it was done (Asia/Shanghai). */
export interface RepairMark {
  procedureId: number;
  on: string;
}

export interface DisclosureFacts {
  /** The record's status (012-legal-procedures.ts). */
  status: 'current' | 'withdrawn' | 'superseded';
  period: DisclosurePeriod;
  repair?: RepairMark | undefined;
  objection?: ObjectionMark | undefined;
}

export interface DisclosureState {
  state: DisclosureStateKind;
  /** The day the state is for (YYYY-MM-DD). */
  asOf: string;
  /** Chinese, as an officer or the public reads it, e.g. `公示中（至 2027-03-15）`. */
  label: string;
  /** disclosed, objection: the last day shown (null: open-ended). */
  until?: string | null;
  /** expired: the first day no longer shown. */
  since?: string;
  /** repaired: the day of the repair and its procedure. */
  repair?: RepairMark;
  /** An objection in progress (also on an expired or repaired record: it is the record's, not the disclosure's). */
  objection?: ObjectionMark;
  reason?: NotDisclosedReason;
  period: DisclosurePeriod;
}

const REASON_LABELS: Record<NotDisclosedReason, string> = {
  withdrawn: '不公示：已撤销',
  superseded: '不公示：已被取代',
  'not-public': '不公示：本目录信息不向社会公示',
  'not-yet': '不公示：尚未开始公示',
};

/**
 * The state of one record on `asOf` (YYYY-MM-DD). Pure: the facts are read beforehand (the period from the
 * catalog and the current version, the repair from the procedure log, the objection mark from 013's objections).
 * A repair or an objection later than `asOf` is not seen: the state is the one of that day.
 */
export function disclosureState(facts: DisclosureFacts, asOf: string): DisclosureState {
  const { period } = facts;
  const objection = facts.objection && facts.objection.receivedOn <= asOf ? facts.objection : undefined;
  const base = { asOf, period, ...(objection ? { objection } : {}) };
  const notDisclosed = (reason: NotDisclosedReason, label = REASON_LABELS[reason]): DisclosureState => ({
    ...base,
    state: 'not-disclosed',
    reason,
    label,
  });
  if (facts.status !== 'current') return notDisclosed(facts.status);
  if (!period.public) return notDisclosed('not-public');
  if (period.from && asOf < period.from) return notDisclosed('not-yet', `不公示：自 ${period.from} 起公示`);
  if (facts.repair && facts.repair.on <= asOf) {
    return {
      ...base,
      state: 'repaired',
      repair: facts.repair,
      label: `已信用修复（${facts.repair.on}，程序 #${facts.repair.procedureId}），停止公示`,
    };
  }
  if (period.until && asOf > period.until) {
    const since = nextDay(period.until);
    return { ...base, state: 'expired', since, label: `公示期满（自 ${since} 起停止公示）` };
  }
  const shown = period.until ? `公示中（至 ${period.until}）` : '公示中（长期）';
  if (objection) {
    return {
      ...base,
      state: 'objection',
      until: period.until,
      label: `异议处理中（异议 #${objection.objectionId}，${objection.receivedOn} 受理）· ${shown}`,
    };
  }
  return { ...base, state: 'disclosed', until: period.until, label: shown };
}

/** The severity and where the period's end came from, in a few Chinese words (empty when there is nothing to say). */
export function periodNote(period: DisclosurePeriod): string {
  const notes: string[] = [];
  if (period.severity) {
    const how =
      period.severitySource === 'default'
        ? `默认：${period.severityValue ? `${period.severityValue} 不能确定失信程度` : '未填处罚类别'}`
        : period.severitySource === 'fixed'
          ? '目录规定'
          : `按 ${period.severityValue}`;
    notes.push(`失信程度 ${period.severity}（${how}）`);
  }
  const until: Record<DisclosurePeriod['untilSource'], string> = {
    max: '按最长公示期',
    row: '按数据所填截止日期',
    'row-cut-to-max': '所填截止日期超过最长公示期，按最长公示期',
    'row-raised-to-min': '所填截止日期早于最短公示期，按最短公示期',
    open: '',
  };
  if (until[period.untilSource]) notes.push(until[period.untilSource]);
  if (period.repairableFrom) notes.push(`可申请信用修复自 ${period.repairableFrom}`);
  return notes.join('；');
}
