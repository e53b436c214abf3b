import {
  type DisclosureRule,
  SEVERITIES,
  type Severity,
  type SeverityPeriodRule,
} from '../catalog/disclosure-rule.ts';
import { isIsoDate, later, nextDay, periodEnd } from './civil-dates.ts';

/** A stored row: field code → normalized value (dates are `YYYY-MM-DD`). */
export type DisclosureRow = Readonly<Record<string, string | number | undefined>>;

/**
 * Where a record's last day of disclosure comes from:
 * - `max`: the severity's maximum period (the row gives no end of its own);
 * - `row`: the row's own end (公示截止期, 有效期至, 移出日期), within what the rules allow;
 * - `row-cut-to-max`: the row's end lay beyond the maximum period, which ends disclosure by itself;
 * - `row-raised-to-min`: the row's end lay before the minimum period of a severity the row states;
 * - `open`: no end (shown while valid or current, no end date given).
 */
export type UntilSource = 'max' | 'row' | 'row-cut-to-max' | 'row-raised-to-min' | 'open';

/** How the severity was known: stated by the row's field, fixed for the entry, or the entry's default. */
export type SeveritySource = 'field' | 'fixed' | 'default';

/** A record's disclosure period, computed from its catalog entry's rule and its current version. */
export interface DisclosurePeriod {
  /** False: the entry is never shown to the public (`not-public`). */
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
    const until = dateIn(row, rule.until);
    const after = rule.repairAfterMonths ?? 0;
    return {
      public: true,
      from,
      until,
      untilSource: until ? 'row' : 'open',
      repairableFrom: rule.repair && from ? afterMonths(from, after) : null,
    };
  }
  return severityPeriod(rule, row, from);
}

function severityPeriod(rule: SeverityPeriodRule, row: DisclosureRow, from: string | null): DisclosurePeriod {
  const { severity, source, value } = severityOf(rule, row);
  const period = rule.periods[severity];
  const known = source !== 'default';
  const base = {
    public: true,
    from,
    severity,
    severitySource: source,
    ...(value === undefined ? {} : { severityValue: value }),
  };
  if (!from) return { ...base, until: null, untilSource: 'open', repairableFrom: null };
  const repairableFrom = rule.repair ? afterMonths(from, period.minMonths) : null;
  const rowUntil = rule.until ? dateIn(row, rule.until) : null;
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

/**
 * The row's severity: the most severe of its field's values the map names; values the map does not name count
 * as the default, and when they decide (or the field is empty) the severity is marked `default`.
 */
export function severityOf(
  rule: SeverityPeriodRule,
  row: DisclosureRow,
): { severity: Severity; source: SeveritySource; value?: string } {
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
  let best: { severity: Severity; value: string } | undefined;
  const unnamed: string[] = [];
  for (const value of values) {
    const severity = how.values[value];
    if (!severity) unnamed.push(value);
    else if (!best || rank(severity) > rank(best.severity)) best = { severity, value };
  }
  if (best && (unnamed.length === 0 || rank(best.severity) >= rank(how.default))) {
    return { severity: best.severity, source: 'field', value: best.value };
  }
  return { severity: how.default, source: 'default', value: unnamed.join(';') || undefined };
}

/** The first day after a period of `months` from `from`; with 0 months, `from` itself. */
function afterMonths(from: string, months: number): string {
  return months === 0 ? from : nextDay(periodEnd(from, months));
}

function dateIn(row: DisclosureRow, field: string): string | null {
  const value = row[field];
  return isIsoDate(value) ? value : null;
}
