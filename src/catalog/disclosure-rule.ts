/**
 * How long a catalog entry's records are shown to the public (使用期限, Art. 7) and kept (保存期限), as data a
 * program can compute with: the `disclosure` block of every catalog entry (catalog/catalog.schema.json).
 * The periods and their legal basis are in docs/warehouse.md "Disclosure and credit repair".
 */

/** 失信程度 (《信用修复管理办法》): each has a minimum and a maximum disclosure period. */
export const SEVERITIES = ['轻微', '一般', '严重'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Minimum and maximum disclosure period in months, counted from the `from` date (民法典 Art. 201–202). */
export interface PeriodMonths {
  /** Repair (信用修复) may be asked for once this period has run; 0: at once. */
  minMonths: number;
  /** Disclosure ends by itself when this period has run (最长公示期届满后自动停止公示). */
  maxMonths: number;
}

/**
 * The longest any 失信信息 is shown (严重: 1 to 3 years, 最长公示期届满后自动停止公示): the end of a 失信 entry's
 * record whose row gives no end of its own (an `until-field` rule with `repair`, e.g. 严重失信主体名单 without 移出日期).
 */
export const LONGEST_DISCLOSURE_MONTHS = 36;

/**
 * A code-list value that states no severity of its own, decided by what another field's text says: the pre-2021
 * category 暂扣或者吊销许可证、暂扣或者吊销执照 is a suspension *or* a revocation, and 处罚内容 tells which. The most
 * severe term found wins; a term written as one side of an alternative (`暂扣或者吊销`, `暂扣或吊销`) is no
 * statement and is not counted. No term found: the value counts as one the map does not name (the default).
 */
export interface SeverityFromText {
  field: string;
  terms: Record<string, Severity>;
}

/**
 * How a row's severity is known: a fixed severity, or a field's code-list values mapped to severities (the
 * most severe value of a multiple-value cell wins), some of them (`fromText`) by another field's text. A value
 * the map does not name, or an empty field, gives `default`, and the state says so (`severitySource:
 * 'default'`): a guess is never silent.
 */
export type SeverityRule =
  | { fixed: Severity }
  | {
      field: string;
      values: Record<string, Severity>;
      fromText?: Record<string, SeverityFromText>;
      default: Severity;
    };

interface RuleCommon {
  /** Credit repair (信用修复) may end the disclosure early: the entry holds 失信信息. */
  repair: boolean;
  /** 保存期限: `permanent` (长期保存, never deleted) or a number of years after disclosure ends. */
  retention: 'permanent' | { years: number };
  /** The rule's source, as the published catalog shows it. */
  basis: string;
}

/** Periods by severity (行政处罚): from `from`, ending on the row's `until` date when it has one, within the period. */
export interface SeverityPeriodRule extends RuleCommon {
  period: 'by-severity';
  from: string;
  /** The row's own end of disclosure (公示截止期), honoured within the severity's periods. */
  until?: string;
  severity: SeverityRule;
  periods: Record<Severity, PeriodMonths>;
}

/**
 * Shown from `from` to the row's `until` date inclusive (有效期至, 移出日期). While it is empty: open-ended, except
 * for 失信信息 (`repair`), which ends after LONGEST_DISCLOSURE_MONTHS.
 */
export interface UntilFieldRule extends RuleCommon {
  period: 'until-field';
  from: string;
  until: string;
  /** Repair may be asked for this many months after `from` (0 or absent: at once). */
  repairAfterMonths?: number;
}

/** Shown for as long as the record is current (登记注册基本信息). */
export interface WhileCurrentRule extends RuleCommon {
  period: 'while-current';
  from: string;
}

/** Not shown to the public at all (shared between authorities only). */
export interface NotPublicRule extends RuleCommon {
  period: 'not-public';
}

export type DisclosureRule = SeverityPeriodRule | UntilFieldRule | WhileCurrentRule | NotPublicRule;

/** The fields a disclosure rule reads, for `catalog lint`. */
export function disclosureFields(rule: DisclosureRule): string[] {
  switch (rule.period) {
    case 'by-severity':
      return [
        rule.from,
        ...(rule.until ? [rule.until] : []),
        ...('field' in rule.severity
          ? [rule.severity.field, ...Object.values(rule.severity.fromText ?? {}).map((how) => how.field)]
          : []),
      ];
    case 'until-field':
      return [rule.from, rule.until];
    case 'while-current':
      return [rule.from];
    case 'not-public':
      return [];
  }
}
