import { LONGEST_DISCLOSURE_MONTHS } from '../catalog/disclosure-rule.ts';
import { markOriginTitle } from '../warehouse/objection-vocabulary.ts';
import type { ObjectionMark } from '../warehouse/objections-repository.ts';
import { nextDay } from './civil-dates.ts';
import type { DisclosurePeriod } from './disclosure-period.ts';
import type { RecordRetention } from './record-retention.ts';

/**
 * A record's public-disclosure state on one day:
 * - `disclosed` 公示中 (until a day, or open-ended);
 * - `objection` 异议处理中: would be shown, and an objection about it is in progress (Art. 18: shown with a label);
 * - `expired` 公示期满: the period has run; shown no more, kept;
 * - `repaired` 已信用修复: a credit repair (procedure_log kind `repair`) ended it early; kept. A repair made before
 *   the first day the version now in force may be repaired (a later delivery or correction raised the severity)
 *   ends nothing: the state is the one without it, `earlyRepair` and the label say so. The record may then be
 *   repaired again (057): the first repair in force is the one that counts, the early ones stay in the log;
 * - `not-disclosed`: never shown that day: withdrawn, superseded, an entry not shown to the public, a 轻微 record
 *   the provider gave no end date (原则上不公示), not begun, (a past day) not yet in the warehouse, or stored under a
 *   catalog entry version whose file catalog/ lacks (`version-missing`: its disclosure is unknown, so not shown).
 */
export type DisclosureStateKind = 'disclosed' | 'objection' | 'expired' | 'repaired' | 'not-disclosed';

export type NotDisclosedReason =
  | 'withdrawn'
  | 'superseded'
  | 'not-public'
  | 'version-missing'
  | 'minor'
  | 'not-yet'
  | 'not-recorded';

/** The credit repair of a record: its procedure and the day it was done (Asia/Shanghai). */
export interface RepairMark {
  procedureId: number;
  on: string;
}

/** A repair that predates the severity now in force: its mark and the current version's first repairable day. */
export interface EarlyRepair extends RepairMark {
  repairableFrom: string;
}

/**
 * The repair, when it was made before the first day the version now in force allows (`period.repairableFrom`):
 * a repair of a 轻微 version does not end the disclosure of the 严重 one a later delivery or correction made of it.
 */
export function repairPredatesPeriod(
  repair: RepairMark | undefined,
  period: DisclosurePeriod,
): EarlyRepair | undefined {
  if (!repair || period.repairableFrom === null || repair.on >= period.repairableFrom) return undefined;
  return { ...repair, repairableFrom: period.repairableFrom };
}

/** `信用修复（2026-12-07，程序 #3）早于现行失信程度，可申请信用修复自 2027-10-13，不停止公示`. */
export function earlyRepairText(early: EarlyRepair): string {
  return (
    `信用修复（${early.on}，程序 #${early.procedureId}）早于现行失信程度，` +
    `可申请信用修复自 ${early.repairableFrom}，不停止公示`
  );
}

export interface DisclosureFacts {
  /** The record's status (012-legal-procedures.ts). */
  status: 'current' | 'withdrawn' | 'superseded';
  period: DisclosurePeriod;
  /** The record's credit repairs, oldest first (more than one when an earlier one predates the severity, 057). */
  repairs?: readonly RepairMark[] | undefined;
  objection?: ObjectionMark | undefined;
  /** False for a past day the record was not yet in the warehouse (delivered or made by a procedure later). */
  recorded?: boolean | undefined;
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
  /**
   * A repair made before the first day the version now in force may be repaired (a later delivery or correction
   * raised the severity): it does not stop the disclosure. The state is the one without it; the label says why.
   */
  earlyRepair?: EarlyRepair;
  /** An objection in progress (also on an expired or repaired record: it is the record's, not the disclosure's). */
  objection?: ObjectionMark;
  reason?: NotDisclosedReason;
  period: DisclosurePeriod;
  /** 保存期限 on that day, for a record's own page (`record`, the console): record-retention.ts. */
  retention?: RecordRetention;
}

const REASON_LABELS: Record<NotDisclosedReason, string> = {
  withdrawn: '不公示：已撤销',
  superseded: '不公示：已被取代',
  'not-public': '不公示：本目录信息不向社会公示',
  // Set by recordDisclosure, which names the missing file in the label.
  'version-missing': '不公示：目录版本文件缺失，公示状态未知',
  minor: '不公示：轻微失信信息原则上不公示（未填公示截止期）',
  'not-yet': '不公示：尚未开始公示',
  'not-recorded': '不公示：当日尚无此记录',
};

/**
 * The state of one record on `asOf` (YYYY-MM-DD). Pure: the facts are read beforehand (the period from the
 * catalog and the current version, the repair from the procedure log, the objection mark from 013's objections);
 * for a past day, the status, version and objection mark as they stood at its end (record-disclosures.ts). A
 * repair or an objection later than `asOf` is not seen either: the state is the one of that day.
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
  if (facts.recorded === false) return notDisclosed('not-recorded');
  if (facts.status !== 'current') return notDisclosed(facts.status);
  const minor = period.untilSource === 'minor-unpublished';
  if (!period.public && !minor) return notDisclosed('not-public');
  const made = (facts.repairs ?? []).filter((repair) => repair.on <= asOf);
  // The first repair in force ended the disclosure, on its day; one made before is void under this version.
  const repair = made.find((one) => !repairPredatesPeriod(one, period));
  const early = repair ? undefined : repairPredatesPeriod(made.at(-1), period);
  if (early) {
    // The state without the repairs, said: the newest was made under a version of lower severity.
    const state = disclosureState({ ...facts, repairs: undefined }, asOf);
    return { ...state, earlyRepair: early, label: `${state.label}；${earlyRepairText(early)}` };
  }
  if (repair) {
    return {
      ...base,
      state: 'repaired',
      repair,
      label: `已信用修复（${repair.on}，程序 #${repair.procedureId}），停止公示`,
    };
  }
  if (minor) return notDisclosed('minor');
  if (period.from && asOf < period.from) return notDisclosed('not-yet', `不公示：自 ${period.from} 起公示`);
  if (period.until && asOf > period.until) {
    const since = nextDay(period.until);
    return { ...base, state: 'expired', since, label: `公示期满（自 ${since} 起停止公示）` };
  }
  const shown = period.until ? `公示中（至 ${period.until}）` : '公示中（长期）';
  if (objection) {
    // A mark carried from a record this one replaced says which, in the words of the record's mark line.
    const origin = markOriginTitle(objection);
    return {
      ...base,
      state: 'objection',
      until: period.until,
      label: `异议处理中（异议 #${objection.objectionId}，${objection.receivedOn} 受理${origin ? `，${origin}` : ''}）· ${shown}`,
    };
  }
  return { ...base, state: 'disclosed', until: period.until, label: shown };
}

/** The severity and where the period's end came from, in a few Chinese words (empty when there is nothing to say). */
export function periodNote(period: DisclosurePeriod): string {
  const notes: string[] = [];
  if (period.severity) {
    notes.push(`失信程度 ${period.severity}（${severityHow(period)}）`);
  }
  const until: Record<DisclosurePeriod['untilSource'], string> = {
    // Without a severity (严重失信主体名单): the longest period any 失信信息 may be shown.
    max: period.severity
      ? '按最长公示期'
      : `未填截止日期，按失信信息最长公示期（${LONGEST_DISCLOSURE_MONTHS / 12}年）`,
    row: '按数据所填截止日期',
    'row-cut-to-max': '所填截止日期超过最长公示期，按最长公示期',
    'row-raised-to-min': '所填截止日期早于最短公示期，按最短公示期',
    'minor-unpublished': '未填公示截止期，轻微失信信息原则上不公示',
    open: '',
  };
  if (until[period.untilSource]) notes.push(until[period.untilSource]);
  if (period.repairableFrom && period.public) notes.push(`可申请信用修复自 ${period.repairableFrom}`);
  return notes.join('；');
}

/** How the severity was known, in words: the value (and the text) that decided it, the catalog, or the default. */
function severityHow(period: DisclosurePeriod): string {
  switch (period.severitySource) {
    case 'fixed':
      return '目录规定';
    case 'text':
      return `按 ${period.severityValue}，内容写明“${period.severityTerm}”`;
    case 'field':
      return `按 ${period.severityValue}`;
    default: {
      if (!period.severityValue) return '默认：未填处罚类别';
      const unsaid = period.severitySought?.length ? `，内容未写明${period.severitySought.join('或')}` : '';
      return `默认：${period.severityValue} 不能确定失信程度${unsaid}`;
    }
  }
}
