import type { CatalogEntry, CrossFieldRule } from '../catalog/catalog-entry.ts';
import { checkIdentifier, type IdentifierKind } from '../identifiers/index.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import type { NormalizedRow, ValidatorOptions } from './compile-validator.ts';
import type { RowError } from './row-error.ts';

/** A compiled cross-field rule: appends its errors, if any. */
export type CompiledRule = (row: NormalizedRow, errors: RowError[]) => void;

export function compileCrossFieldRules(entry: CatalogEntry, options: ValidatorOptions): CompiledRule[] {
  const title = (field: string) => entry.schema.properties[field]?.title ?? field;
  const hasError = (errors: RowError[], field: string) => errors.some((error) => error.field === field);
  return entry.rules.map((rule) => compileRule(rule, title, hasError, options));
}

function compileRule(
  rule: CrossFieldRule,
  title: (field: string) => string,
  hasError: (errors: RowError[], field: string) => boolean,
  options: ValidatorOptions,
): CompiledRule {
  switch (rule.rule) {
    case 'date-not-before':
      return (row, errors) => {
        const value = row[rule.field];
        const reference = row[rule.reference];
        if (typeof value !== 'string' || typeof reference !== 'string') return;
        if (!isRealIsoDate(value) || !isRealIsoDate(reference) || value >= reference) return;
        errors.push({
          field: rule.field,
          code: 'date-before-reference',
          message: `"${title(rule.field)}"的值"${value}"早于"${title(rule.reference)}"（${reference}），请核对日期`,
          value,
        });
      };
    case 'identifier-by-type':
      return (row, errors) => {
        const value = row[rule.field];
        const kind = rule.types[String(row[rule.typeField])];
        if (typeof value !== 'string' || !kind || hasError(errors, rule.field)) return;
        const problem = checkIdentifier(kind as IdentifierKind, value, options).problem;
        if (!problem || problem.severity === 'warning') return;
        errors.push({
          field: rule.field,
          code: problem.code,
          message: `"${title(rule.field)}"的值"${value}"有误：${problem.message}`,
          value,
        });
      };
    case 'subject-type-matches-uscc':
      return (row, errors) => {
        const code = row[rule.field];
        const type = row[rule.typeField];
        if (typeof code !== 'string' || typeof type !== 'string' || hasError(errors, rule.field)) return;
        const prefix = code.slice(0, 2);
        const own = rule.categories[type] ?? [];
        const claimedByOther = Object.entries(rule.categories).find(
          ([other, prefixes]) => other !== type && prefixes.includes(prefix),
        );
        if ((own.length === 0 || own.includes(prefix)) && !claimedByOther) return;
        const expected = own.length > 0 ? `应以${own.join('或')}开头` : `不应以${prefix}开头`;
        errors.push({
          field: rule.field,
          code: 'subject-type-mismatch',
          message: `"${title(rule.field)}"的值"${code}"与"${title(rule.typeField)}"（${type}）不一致：${type}的代码${expected}，请核对相对人类别或代码`,
          value: code,
        });
      };
  }
}
