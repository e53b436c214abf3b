import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry, CrossFieldRule } from '../catalog/catalog-entry.ts';
import {
  type IdentifierKind,
  identifierProblem,
  isPlaceholderCode,
  isResidentIdNumber,
  maskResidentId,
  normalizeCode,
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
  const compiled = ordered.map((rule) => compileRule(rule, title, hasError, options, subjectFieldsOf, shown));
  // Last: the ID rules (identifier-by-type) have judged the number first, so a resident ID stays theirs.
  const personCodeNotUscc = compilePersonCodeNotUscc(entry, title, hasError, options);
  return personCodeNotUscc ? [...compiled, personCodeNotUscc] : compiled;
}

/**
 * A person's own number is no company's code (Art. 8), for every entry by its `subjectCodeByType`: where a subject
 * type is identified by a personal field (a 自然人 by 证件号码: passport, 军官证, 港澳台 permits …), a value there
 * that is a valid USCC (a pilot-era one too) and no valid resident ID is refused with `person-id-is-uscc`: it
 * would file the person's record under the company. Only valid USCCs: any other 18-character number may be a
 * person's own. A valid resident ID is kept even when it also checks as a USCC (about 1 in 400 do; the 2023
 * foreign permanent resident card shares the layout); where 证件类型 says 身份证, identifier-by-type has already
 * judged the number. The message quotes the value as sent, unmasked: it is a USCC, public.
 */
function compilePersonCodeNotUscc(
  entry: CatalogEntry,
  title: (field: string) => string,
  hasError: (errors: RowError[], field: string) => boolean,
  options: ValidatorOptions,
): CompiledRule | undefined {
  const byType = entry.subjectCodeByType;
  if (!byType) return undefined;
  const properties = entry.schema.properties;
  const personal = new Map(
    Object.entries(byType.fields)
      .map(([type, fields]) => [type, fields.filter((field) => properties[field]?.['x-personal'])] as const)
      .filter(([, fields]) => fields.length > 0),
  );
  if (personal.size === 0) return undefined;
  // Where another type's USCC goes, and the field naming the kind of number (证件类型), for the message.
  const usccFields = [
    ...new Set(
      Object.values(byType.fields)
        .flat()
        .filter((field) => properties[field]?.format === 'uscc'),
    ),
  ].map((field) => `"${title(field)}"`);
  // The identifier-by-type rule of a field (证件号码 by 证件类型), if any.
  const kindRules = new Map(
    entry.rules.flatMap((rule) => (rule.rule === 'identifier-by-type' ? [[rule.field, rule] as const] : [])),
  );
  const usccOptions = { ...options, allowPilotCodes: true };
  return (row, errors, rawCell) => {
    const type = row[byType.typeField];
    const fields = typeof type === 'string' ? personal.get(type) : undefined;
    if (!fields) return;
    for (const field of fields) {
      const value = row[field];
      if (typeof value !== 'string' || hasError(errors, field)) continue;
      const kindRule = kindRules.get(field);
      const kindValue = kindRule ? row[kindRule.typeField] : undefined;
      // Checked as a resident ID without an error: a valid one, the person's whatever else it checks as.
      if (kindRule && kindRule.types[String(kindValue)] === 'resident-id') continue;
      const code = normalizeCode(value);
      if (identifierProblem('uscc', code, usccOptions) !== null || isResidentIdNumber(code, options))
        continue;
      const stated =
        kindRule && typeof kindValue === 'string'
          ? `（本行"${title(kindRule.typeField)}"为"${kindValue}"）`
          : '';
      const move =
        usccFields.length > 0
          ? `；如相对人实为法人、非法人组织或个体工商户，请改正"${title(byType.typeField)}"，代码填入${usccFields.join('或')}`
          : '';
      errors.push({
        field,
        code: 'person-id-is-uscc',
        message:
          `"${title(field)}"的值${quoteValue(value, rawCell?.(field))}是统一社会信用代码，不是个人的证件号码：` +
          `"${title(byType.typeField)}"为"${type}"时，"${title(field)}"填写本人的证件号码${stated}，` +
          `不能填写单位或个体工商户的代码，否则该记录会归入该单位名下${move}`,
        value,
      });
    }
  };
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
