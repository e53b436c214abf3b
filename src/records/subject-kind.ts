import { type CatalogEntry, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';
import { isResidentIdNumber } from '../identifiers/resident-id.ts';
import { fieldMaskerOf } from '../log/mask-personal-data.ts';

/**
 * Whose record it is: a natural person's, or an organization's (法人及非法人组织, 个体工商户). The warehouse keys
 * subjects on the bare code, and one string can be both: about 1 in 400 resident ID numbers also passes the USCC
 * check (`110101199003071049`: authority 1, category 1 机关), and a passport number may equal a company's USCC. A
 * subject is its code and its kind.
 */
export type SubjectKind = 'person' | 'organization';
export const SUBJECT_KINDS: readonly SubjectKind[] = ['person', 'organization'];

/** The subject type (行政相对人类别) that is a natural person in every entry's code list. */
const NATURAL_PERSON = '自然人';

/**
 * The kind of the subject `subjectCode` a record of `entry` with `data` (its version as stored) is filed under:
 * - with `subjectCodeByType`, by the row's own type: 自然人, or a type whose code fields are all personal (the
 *   fields the masker masks whole: `x-personal`, `format: resident-id`), is a person; 法人及非法人组织 and 个体工商户
 *   (a USCC, a 工商注册号) are organizations;
 * - otherwise by the entry's fixed subject types: only natural persons (执业资格), or none (法人登记);
 * - else (an entry of several types without `subjectCodeByType`, a type no longer in the list, an entry the
 *   catalog no longer has) by the field that holds the code: a personal field is a person's; no field found, a
 *   code that checks as a resident ID is a person's, so a number that may be one is never shown for a company.
 */
export function subjectKindOf(
  entry: CatalogEntry | undefined,
  data: Readonly<Record<string, unknown>>,
  subjectCode: string,
): SubjectKind {
  const byCode = (): SubjectKind =>
    isResidentIdNumber(normalizeCode(subjectCode)) ? 'person' : 'organization';
  if (!entry) return byCode();
  const masker = fieldMaskerOf(entry);
  const byType = entry.subjectCodeByType;
  if (byType) {
    const type = data[byType.typeField];
    const fields = typeof type === 'string' ? byType.fields[type] : undefined;
    if (type === NATURAL_PERSON) return 'person';
    if (fields && fields.length > 0)
      return fields.every((field) => masker.isPersonal(field)) ? 'person' : 'organization';
  } else if (entry.subjectTypes.length > 0) {
    if (entry.subjectTypes.every((type) => type === 'natural-person')) return 'person';
    if (!entry.subjectTypes.includes('natural-person')) return 'organization';
  }
  const code = normalizeCode(subjectCode);
  const holder = subjectCodeFields(entry).find((field) => {
    const value = data[field];
    return typeof value === 'string' && normalizeCode(value) === code;
  });
  if (holder === undefined) return byCode();
  return masker.isPersonal(holder) ? 'person' : 'organization';
}

/** A subject's name, as the catalog's field titles say it: 名称, 姓名, 行政相对人名称, 失信主体名称, 当事人姓名 … */
const NAME_TITLE = /^(?:(?:行政)?相对人|.*主体|当事人|企业|单位|机构)?(?:名称|姓名)$/;

/**
 * The field of `entry` that holds its subject's name. The catalog declares none, so it is the field titled as one
 * (行政相对人名称 in the 双公示 entries, 失信主体名称, 名称 in 法人登记), its title read without a parenthesised
 * note; a name of something else (资格名称, 处罚机关) is not taken. Undefined when the entry has no such field.
 */
export function subjectNameField(entry: CatalogEntry | undefined): string | undefined {
  if (!entry) return undefined;
  const subjectFields = new Set(subjectCodeFields(entry));
  return Object.entries(entry.schema.properties).find(
    ([field, schema]) =>
      !subjectFields.has(field) &&
      NAME_TITLE.test(
        String(schema.title ?? '')
          .replace(/[（(].*?[）)]/g, '')
          .trim(),
      ),
  )?.[0];
}
