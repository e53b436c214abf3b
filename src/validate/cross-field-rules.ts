import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry, CrossFieldRule } from '../catalog/catalog-entry.ts';
import {
  type IdentifierKind,
  identifierProblem,
  isPlaceholderCode,
  maskResidentId,
  shownCode,
} from '../identifiers/index.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import type { NormalizedRow, ValidatorOptions } from './compile-validator.ts';
import { quoteValue, type RawCell, rawText, readingOf, withRawCharacter } from './quote-value.ts';

/** A compiled cross-field rule: appends its errors, if any; messages quote the cells as sent (`rawCell`). */
export type CompiledRule = (row: NormalizedRow, errors: RowError[], rawCell?: RawCell) => void;

export function compileCrossFieldRules(entry: CatalogEntry, options: ValidatorOptions): CompiledRule[] {
  const title = (field: string) => entry.schema.properties[field]?.title ?? field;
  const hasError = (errors: RowError[], field: string) => errors.some((error) => error.field === field);
  // Placeholder rules first: they withdraw the generic placeholder error the later rules would see. Then the
  // fields that must be empty for the row's type: whatever else is wrong with such a value, the fix is to
  // clear it, and the rules after them stay quiet about a field that already has an error.
  const order = (rule: CrossFieldRule) =>
    rule.rule === 'placeholder-for-type' ? 0 : rule.rule === 'empty-for-type' ? 1 : 2;
  const ordered = [...entry.rules].sort((a, b) => order(a) - order(b));
  const subjectFieldsOf = (type: string) =>
    (entry.subjectCodeByType?.fields[type] ?? []).map((field) => `"${title(field)}"`);
  // A personal field (证件号码: a passport number too) is shown masked; a code column only when it holds an ID.
  // The cell is quoted as sent; whether it is an ID is asked of the normalized value.
  const shown = (field: string, value: string, raw: string | undefined) => {
    const text = rawText(value, raw);
    if (entry.schema.properties[field]?.['x-personal']) return maskResidentId(text);
    return shownCode(value) === value ? text : maskResidentId(text);
  };
  return ordered.map((rule) => compileRule(rule, title, hasError, options, subjectFieldsOf, shown));
}

function compileRule(
  rule: CrossFieldRule,
  title: (field: string) => string,
  hasError: (errors: RowError[], field: string) => boolean,
  options: ValidatorOptions,
  subjectFieldsOf: (type: string) => string[],
  shown: (field: string, value: string, raw: string | undefined) => string,
): CompiledRule {
  switch (rule.rule) {
    case 'date-not-before':
      return (row, errors, rawCell) => {
        const value = row[rule.field];
        const reference = row[rule.reference];
        if (typeof value !== 'string' || typeof reference !== 'string') return;
        if (!isRealIsoDate(value) || !isRealIsoDate(reference) || value >= reference) return;
        const referenceRaw = rawCell?.(rule.reference);
        const referenceReading = readingOf(reference, referenceRaw);
        const referenceText = `${rawText(reference, referenceRaw)}${referenceReading === undefined ? '' : `，读作 ${referenceReading}`}`;
        errors.push({
          field: rule.field,
          code: 'date-before-reference',
          message: `"${title(rule.field)}"的值${quoteValue(value, rawCell?.(rule.field))}早于"${title(rule.reference)}"（${referenceText}），请核对日期`,
          value,
        });
      };
    case 'identifier-by-type':
      return (row, errors, rawCell) => {
        const value = row[rule.field];
        const kind = rule.types[String(row[rule.typeField])];
        if (typeof value !== 'string' || !kind || hasError(errors, rule.field)) return;
        const problem = identifierProblem(kind as IdentifierKind, value, options);
        if (!problem || problem.severity === 'warning') return;
        const raw = rawCell?.(rule.field);
        const shown = problem.personal ? quoteValue(value, raw, maskResidentId) : quoteValue(value, raw);
        errors.push({
          field: rule.field,
          code: problem.code,
          message: `"${title(rule.field)}"的值${shown}有误：${withRawCharacter(problem.message, value, raw)}`,
          value,
        });
      };
    case 'subject-type-matches-uscc': {
      const categories = Object.entries(rule.categories);
      return (row, errors, rawCell) => {
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
          message: `"${title(rule.field)}"的值${quoteValue(code, rawCell?.(rule.field))}与"${title(rule.typeField)}"（${type}）不一致：${type}的代码${expected}，请核对相对人类别或代码`,
          value: code,
        });
      };
    }
    case 'placeholder-for-type':
      return (row, errors, rawCell) => {
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
              `"${title(rule.field)}"的值${quoteValue(rule.placeholder, rawCell?.(rule.field))}是${rule.type}专用的占位代码，只有"${title(rule.typeField)}"` +
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
    case 'empty-for-type': {
      const types = new Set(rule.types);
      return (row, errors, rawCell) => {
        const type = row[rule.typeField];
        if (typeof type !== 'string' || !types.has(type)) return;
        for (const field of rule.fields) {
          const value = row[field];
          if (value === undefined) continue;
          // An ID in a USCC column already has the error that says where it belongs; any other problem of
          // the value is moot, as the value must go.
          if (errors.some((error) => error.field === field && error.code === 'uscc-resident-id')) continue;
          for (let i = errors.length - 1; i >= 0; i--) if (errors[i]?.field === field) errors.splice(i, 1);
          const subject = subjectFieldsOf(type);
          const where = subject.length > 0 ? `；${type}的主体代码填在${subject.join('或')}` : '';
          errors.push({
            field,
            code: 'subject-code-not-allowed',
            message:
              `"${title(rule.typeField)}"为"${type}"时，"${title(field)}"应为空：请清空该列` +
              `（本行填写了"${shown(field, String(value), rawCell?.(field))}"）${where}`,
            value: String(value),
          });
        }
      };
    }
  }
}
