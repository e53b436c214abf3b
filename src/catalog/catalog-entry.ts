import type { DisclosureRule } from './disclosure-rule.ts';
import type { LegacyLayout } from './legacy-layout.ts';

/** Channel levels of the data-exchange platform (Art. 13): the province's unified push and city/county pushes. */
export const CHANNEL_LEVELS = ['province', 'city', 'county'] as const;
export type ChannelLevel = (typeof CHANNEL_LEVELS)[number];

/** The Art. 7 attributes every catalog entry states. */
export interface CatalogAttributes {
  /** 信息内容 */
  content: string;
  /** 共享方式: 有条件共享 / 无条件共享 / 不予共享 */
  sharingMethod: '有条件共享' | '无条件共享' | '不予共享';
  /** 使用范围 */
  usageScope: string;
  /** 更新周期 */
  updateCycle: string;
  /** 数据来源 */
  dataSource: string;
  /** 格式规范 */
  formatSpec: string;
  /** 使用（公示）期限 */
  usagePeriod: string;
  /** 保存期限 */
  retentionPeriod: string;
}

/** A code list attached to a field (`x-codeList`): allowed values, old names mapped to current ones. */
export interface CodeList {
  values: string[];
  /** Legacy or colloquial names → the canonical value they stand for (`a;b` when one old name covers two). */
  aliases?: Record<string, string>;
  /** Free-text values allowed after this prefix, e.g. `其他-军官证`. */
  otherPrefix?: string;
  /** Several values separated by `;` or `；`. */
  multiple?: boolean;
}

/** One property of an entry's row schema, with the catalog's own `x-` annotations. */
/** `x-statusSignal`: the values of a status field that withdraw the record, and those that object to it. */
export interface StatusSignal {
  withdraw: string[];
  objection?: string[];
}

export interface FieldSchema {
  title: string;
  type: 'string' | 'number';
  format?: string;
  'x-aliases'?: string[];
  'x-codeList'?: CodeList;
  /** How the value is normalized when it is part of the business key. */
  'x-key'?: 'document-number';
  'x-notFuture'?: boolean;
  'x-maxDecimals'?: number;
  /** Personal data (a natural person's ID number): masked in everything that leaves the platform. */
  'x-personal'?: boolean;
  /**
   * The field is the source's status of the record (当前状态 of the 2016 layouts): which of its values (code-list
   * codes; their aliases match too) say the provider withdrew the record (撤销) or an objection (异议) is under way.
   * A unit with no `withdrawals.status` of its own reads it as its status signal (withdrawal-signals.ts).
   */
  'x-statusSignal'?: StatusSignal;
  /** Explanation shown in the published catalog (填报说明). */
  description?: string;
  [keyword: string]: unknown;
}

export interface RowSchema {
  $schema?: string;
  type: 'object';
  properties: Record<string, FieldSchema>;
  required: string[];
  [keyword: string]: unknown;
}

/** Cross-field rules that JSON Schema cannot say well. */
export type CrossFieldRule =
  | { rule: 'date-not-before'; field: string; reference: string }
  | { rule: 'identifier-by-type'; field: string; typeField: string; types: Record<string, string> }
  | {
      rule: 'subject-type-matches-uscc';
      field: string;
      typeField: string;
      categories: Record<string, string[]>;
    }
  | {
      /**
       * Code fields that stay empty for some subject types (national 双公示 layout: a 自然人's code fields
       * 1–6 are empty, the 证件号码 is the subject; a company's 证件类型/证件号码 are empty). A value there
       * contradicts the type: the row is rejected with `subject-code-not-allowed`, naming the field to clear.
       */
      rule: 'empty-for-type';
      fields: string[];
      typeField: string;
      types: string[];
    }
  | {
      /**
       * A placeholder code that stands for "no code" only for one subject type (个体工商户 without a USCC:
       * `00000000000000000X`), and then another field becomes required (工商注册号).
       */
      rule: 'placeholder-for-type';
      field: string;
      placeholder: string;
      typeField: string;
      type: string;
      requires: string;
    };

export const CROSS_FIELD_RULES = [
  'date-not-before',
  'identifier-by-type',
  'subject-type-matches-uscc',
  'placeholder-for-type',
  'empty-for-type',
] as const;

/** The fields a cross-field rule reads (its own field or fields, the type field, references). */
export function ruleFields(rule: CrossFieldRule): string[] {
  switch (rule.rule) {
    case 'date-not-before':
      return [rule.field, rule.reference];
    case 'identifier-by-type':
    case 'subject-type-matches-uscc':
      return [rule.field, rule.typeField];
    case 'placeholder-for-type':
      return [rule.field, rule.typeField, rule.requires];
    case 'empty-for-type':
      return [...rule.fields, rule.typeField];
  }
}

/**
 * Which code identifies the subject, by subject type (行政相对人类别): a natural person by the 证件号码,
 * never by a company code on the same row; an individual business by its 92… USCC, else its 工商注册号.
 */
export interface SubjectCodeByType {
  /** The field holding the subject type, with a code list (e.g. `CF_XDR_LB`). */
  typeField: string;
  /** For each value of the type field's code list, the code fields to take, the first non-empty wins. */
  fields: Record<string, string[]>;
}

/** Subject types an entry covers. */
export const SUBJECT_TYPES = ['legal-person', 'natural-person', 'individual-business'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** One version of one catalog entry, as stored in `catalog/<code>.v<version>.json`. */
export interface CatalogEntry {
  /** Short ASCII code used on the command line and in storage, e.g. `xzcf`. */
  code: string;
  version: number;
  /** First day (YYYY-MM-DD) rows received on or after which are validated by this version. */
  effectiveFrom: string;
  /** Chinese name, e.g. 行政处罚. */
  title: string;
  subjectTypes: SubjectType[];
  attributes: CatalogAttributes;
  /** Fields whose normalized values identify one record. */
  businessKey: string[];
  /**
   * Every field that can hold the subject's code; with several fields and no `subjectCodeByType`, the first
   * non-empty one is the subject code.
   */
  subjectCodeField: string | string[];
  /** The subject code's fields per subject type; required when subjects of several types use different fields. */
  subjectCodeByType?: SubjectCodeByType;
  /** The date the information was formed (Art. 10 timeliness counts from it). */
  formationDateField: string;
  /** Channel precedence, highest first. */
  precedence: ChannelLevel[];
  schema: RowSchema;
  rules: CrossFieldRule[];
  /** How long its records are shown to the public and kept (使用期限, 保存期限), computably. */
  disclosure: DisclosureRule;
  /** An older national layout of the entry, mapped onto the current model (legacy-layout.ts). */
  legacyLayout?: LegacyLayout;
}

/** Field codes in the entry's column order. */
export function fieldCodes(entry: CatalogEntry): string[] {
  return Object.keys(entry.schema.properties);
}

export function subjectCodeFields(entry: CatalogEntry): string[] {
  return Array.isArray(entry.subjectCodeField) ? entry.subjectCodeField : [entry.subjectCodeField];
}
