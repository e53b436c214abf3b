import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry, CrossFieldRule } from '../catalog/catalog-entry.ts';
import { type IdentifierKind, identifierProblem, isPlaceholderCode } from '../identifiers/index.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import type { NormalizedRow, ValidatorOptions } from './compile-validator.ts';

/** A compiled cross-field rule: appends its errors, if any. */
export type CompiledRule = (row: NormalizedRow, errors: RowError[]) => void;

export function compileCrossFieldRules(entry: CatalogEntry, options: ValidatorOptions): CompiledRule[] {
  const title = (field: string) => entry.schema.properties[field]?.title ?? field;
  const hasError = (errors: RowError[], field: string) => errors.some((error) => error.field === field);
  // Placeholder rules first: they withdraw the generic placeholder error the later rules would see.
  const ordered = [
    ...entry.rules.filter((rule) => rule.rule === 'placeholder-for-type'),
    ...entry.rules.filter((rule) => rule.rule !== 'placeholder-for-type'),
  ];
  return ordered.map((rule) => compileRule(rule, title, hasError, options));
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
        const problem = identifierProblem(kind as IdentifierKind, value, options);
        if (!problem || problem.severity === 'warning') return;
        errors.push({
          field: rule.field,
          code: problem.code,
          message: `"${title(rule.field)}"的值"${value}"有误：${problem.message}`,
          value,
        });
      };
    case 'subject-type-matches-uscc': {
      const categories = Object.entries(rule.categories);
      return (row, errors) => {
        const code = row[rule.field];
        const type = row[rule.typeField];
        if (typeof code !== 'string' || typeof type !== 'string' || hasError(errors, rule.field)) return;
        if (isPlaceholderCode(code)) return; // an accepted placeholder has no category to compare
        const prefix = code.slice(0, 2);
        const own = rule.categories[type] ?? [];
        const claimedByOther = categories.find(
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
    case 'placeholder-for-type':
      return (row, errors) => {
        if (row[rule.field] !== rule.placeholder) return;
        // The identifier format rejected it as a placeholder; this rule says precisely when it is allowed.
        const generic = errors.findIndex(
          (error) => error.field === rule.field && error.code === 'placeholder',
        );
        if (generic >= 0) errors.splice(generic, 1);
        const type = row[rule.typeField];
        if (type !== rule.type) {
          errors.push({
            field: rule.field,
            code: 'placeholder-not-allowed',
            message:
              `"${title(rule.field)}"的值"${rule.placeholder}"是${rule.type}专用的占位代码，只有"${title(rule.typeField)}"` +
              `为"${rule.type}"时才可使用（本行为"${type ?? ''}"）；请填写真实的${title(rule.field)}`,
            value: rule.placeholder,
          });
        } else if (row[rule.requires] === undefined && !hasError(errors, rule.requires)) {
          errors.push({
            field: rule.requires,
            code: 'missing-value',
            message:
              `${rule.type}的"${title(rule.field)}"填写占位代码"${rule.placeholder}"时，必须填写"${title(rule.requires)}"，` +
              '请补充后重新报送',
            value: '',
          });
        }
      };
  }
}
