import {
  type DisclosureRule,
  LONGEST_DISCLOSURE_MONTHS,
  SEVERITIES,
  type Severity,
  type SeverityFromText,
  type SeverityPeriodRule,
} from '../catalog/disclosure-rule.ts';
import { isIsoDate, later, nextDay, periodEnd } from './civil-dates.ts';

/** A stored row: field code → normalized value (dates are `YYYY-MM-DD`). */
export type DisclosureRow = Readonly<Record<string, string | number | undefined>>;

/**
 * Where a record's last day of disclosure comes from:
 * - `max`: the severity's maximum period, or for a 失信 entry without severities the longest of any (the row
 *   gives no end of its own);
 * - `row`: the row's own end (公示截止期, 有效期至, 移出日期), within what the rules allow;
 * - `row-cut-to-max`: the row's end lay beyond the maximum period, which ends disclosure by itself;
 * - `row-raised-to-min`: the row's end lay before the minimum period of a severity the row states;
 * - `minor-unpublished`: 轻微 and the row gives no end: not published at all (原则上不公示; `public` is false);
 * - `open`: no end (shown while valid or current, no end date given).
 */
export type UntilSource =
  | 'max'
  | 'row'
  | 'row-cut-to-max'
  | 'row-raised-to-min'
  | 'minor-unpublished'
  | 'open';

/**
 * How the severity was known: stated by the row's field, by another field's text for a value that states none
 * (`fromText`), fixed for the entry, or the entry's default.
 */
export type SeveritySource = 'field' | 'text' | 'fixed' | 'default';

/** A record's disclosure period, computed from its catalog entry's rule and its current version. */
export interface DisclosurePeriod {
  /** False: never shown to the public: the entry is `not-public`, or the record is 轻微 (`minor-unpublished`). */
  public: boolean;
  /** First day shown (the decision or formation date); null when the row has none. */
  from: string | null;
  /** Last day shown (inclusive); null: open-ended. */
  until: string | null;
  untilSource: UntilSource;
  severity?: Severity;
  severitySource?: SeveritySource;
  /** The field value that decided the severity, or the values that left it to the default. */
  severityValue?: string;
  /** `text`: the term of the other field's text that decided the value's severity (`暂扣`, `吊销`). */
  severityTerm?: string;
  /** `default`: the terms no text said, for values decided by text (`吊销`, `暂扣`). */
  severitySought?: string[];
  /** First day credit repair may end the disclosure; null: the entry's records cannot be repaired. */
  repairableFrom: string | null;
}

/** The disclosure period of one row under its entry's rule; `formationDate` stands in for a missing start date. */
export function disclosurePeriod(
  rule: DisclosureRule,
  row: DisclosureRow,
  formationDate: string | null = null,
): DisclosurePeriod {
  if (rule.period === 'not-public') {
    return { public: false, from: null, until: null, untilSource: 'open', repairableFrom: null };
  }
  const from = dateIn(row, rule.from) ?? (isIsoDate(formationDate) ? formationDate : null);
  if (rule.period === 'while-current') {
    return { public: true, from, until: null, untilSource: 'open', repairableFrom: null };
  }
  if (rule.period === 'until-field') {
    const rowUntil = dateIn(row, rule.until);
    const after = rule.repairAfterMonths ?? 0;
    const repairableFrom = rule.repair && from ? afterMonths(from, after) : null;
    if (rowUntil) return { public: true, from, until: rowUntil, untilSource: 'row', repairableFrom };
    // 失信信息 is never shown open-ended: without an end of its own it ends after the longest period of any.
    if (rule.repair && from) {
      const until = periodEnd(from, LONGEST_DISCLOSURE_MONTHS);
      return { public: true, from, until, untilSource: 'max', repairableFrom };
    }
    return { public: true, from, until: null, untilSource: 'open', repairableFrom };
  }
  return severityPeriod(rule, row, from);
}

function severityPeriod(rule: SeverityPeriodRule, row: DisclosureRow, from: string | null): DisclosurePeriod {
  const { severity, source, value, term, sought } = severityOf(rule, row);
  const period = rule.periods[severity];
  const known = source !== 'default';
  const base = {
    public: true,
    from,
    severity,
    severitySource: source,
    ...(value === undefined ? {} : { severityValue: value }),
    ...(term === undefined ? {} : { severityTerm: term }),
    ...(sought === undefined ? {} : { severitySought: sought }),
  };
  const rowUntil = rule.until ? dateIn(row, rule.until) : null;
  const repairableFrom = from && rule.repair ? afterMonths(from, period.minMonths) : null;
  // 轻微 is not published in principle; only the provider's own end date (确需公示) publishes it, within 3 months.
  if (severity === '轻微' && !rowUntil)
    return { ...base, public: false, until: null, untilSource: 'minor-unpublished', repairableFrom };
  if (!from) return { ...base, until: null, untilSource: 'open', repairableFrom: null };
  const maxEnd = periodEnd(from, known ? period.maxMonths : widest(rule).maxMonths);
  if (!rowUntil)
    return { ...base, until: periodEnd(from, period.maxMonths), untilSource: 'max', repairableFrom };
  if (rowUntil > maxEnd) return { ...base, until: maxEnd, untilSource: 'row-cut-to-max', repairableFrom };
  // A severity the row states has a minimum the provider's own date cannot undercut; the default severity is
  // only a stand-in, so the provider (who decided the penalty and knows its severity) is believed.
  const minEnd = period.minMonths === 0 ? from : periodEnd(from, period.minMonths);
  if (known && rowUntil < minEnd)
    return { ...base, until: minEnd, untilSource: 'row-raised-to-min', repairableFrom };
  return { ...base, until: later(rowUntil, from), untilSource: 'row', repairableFrom };
}

/** The widest period the rule allows over all severities (what a row of unknown severity may have). */
function widest(rule: SeverityPeriodRule): { minMonths: number; maxMonths: number } {
  const periods = SEVERITIES.map((severity) => rule.periods[severity]);
  return {
    minMonths: Math.min(...periods.map((period) => period.minMonths)),
    maxMonths: Math.max(...periods.map((period) => period.maxMonths)),
  };
}

/** A row's severity and how it was known (see DisclosurePeriod's severity fields). */
export interface RowSeverity {
  severity: Severity;
  source: SeveritySource;
  value?: string;
  term?: string;
  sought?: string[];
}

/**
 * The row's severity: the most severe of its field's values the map names (or, for a `fromText` value, its
 * text decides); values the map does not name, and `fromText` values whose text says none of the terms, count
 * as the default, and when they decide (or the field is empty) the severity is marked `default`.
 */
export function severityOf(rule: SeverityPeriodRule, row: DisclosureRow): RowSeverity {
  const how = rule.severity;
  if ('fixed' in how) return { severity: how.fixed, source: 'fixed' };
  const cell = row[how.field];
  const values =
    typeof cell === 'string'
      ? cell
          .split(/[;；]/)
          .map((v) => v.trim())
          .filter(Boolean)
      : [];
  const rank = (severity: Severity) => SEVERITIES.indexOf(severity);
  let best: { severity: Severity; value: string; term?: string } | undefined;
  const unnamed: string[] = [];
  const sought: string[] = [];
  for (const value of values) {
    const byText = how.fromText?.[value];
    const found = byText ? textSeverity(byText, row) : how.values[value] && { severity: how.values[value] };
    if (!found) {
      unnamed.push(value);
      if (byText) sought.push(...Object.keys(byText.terms).filter((term) => !sought.includes(term)));
    } else if (!best || rank(found.severity) > rank(best.severity)) best = { ...found, value };
  }
  if (best && (unnamed.length === 0 || rank(best.severity) >= rank(how.default))) {
    return best.term === undefined
      ? { severity: best.severity, source: 'field', value: best.value }
      : { severity: best.severity, source: 'text', value: best.value, term: best.term };
  }
  return {
    severity: how.default,
    source: 'default',
    value: unnamed.join(';') || undefined,
    ...(sought.length > 0 ? { sought } : {}),
  };
}

/**
 * A negation right before a term: the penalty was not imposed (`不予吊销`, `不吊销`, `未吊销`, `未被吊销`, `免予吊销`,
 * `暂不吊销`, `不再吊销`, `无需吊销`, `没有吊销`). A negator, then at most one of the words that may stand between it
 * and the verb.
 */
const NEGATION = '(?:不|未|免|毋|无需|无须|没有)(?:予以|给予|予|于|除|被|再|必|作|拟|宜|应)?';
/** Terms joined to the one negated share its negation (`不予吊销、暂扣`); a comma starts what was decided. */
const JOINED = '(?:、|和|及|与|以及)';

/**
 * The most severe term the text states, or undefined. `暂扣或者吊销` (or `暂扣或吊销`) names an alternative, as the
 * category does: it states neither, and is taken out before the terms are looked for; so is a negated term
 * (`不予吊销，暂扣1个月` states 暂扣 only).
 */
function textSeverity(
  how: SeverityFromText,
  row: DisclosureRow,
): { severity: Severity; term: string } | undefined {
  const cell = row[how.field];
  if (typeof cell !== 'string') return undefined;
  const terms = Object.keys(how.terms);
  const either = `(?:${terms.map(escapeRegExp).join('|')})`;
  const text = cell
    .replace(new RegExp(`${either}(?:或者|或)${either}`, 'g'), '')
    .replace(new RegExp(`${NEGATION}\\s*${either}(?:\\s*${JOINED}\\s*${either})*`, 'g'), '');
  let best: { severity: Severity; term: string } | undefined;
  for (const term of terms) {
    const severity = how.terms[term] as Severity;
    if (!text.includes(term)) continue;
    if (!best || SEVERITIES.indexOf(severity) > SEVERITIES.indexOf(best.severity)) best = { severity, term };
  }
  return best;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The first day after a period of `months` from `from`; with 0 months, `from` itself. */
function afterMonths(from: string, months: number): string {
  return months === 0 ? from : nextDay(periodEnd(from, months));
}

function dateIn(row: DisclosureRow, field: string): string | null {
  const value = row[field];
  return isIsoDate(value) ? value : null;
}
