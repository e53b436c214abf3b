import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { compileSubjectCode } from '../run/subject-code.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';

const compiled = new WeakMap<CatalogEntry, (row: NormalizedRow) => string | undefined>();

/**
 * The subject a delivered row names, as the loader gave it (compileSubjectCode: by subject type, behind a placeholder
 * USCC the next code, such as a 个体工商户's 工商注册号); undefined when the entry is unknown or the row names none.
 */
export function deliveredSubject(
  entry: CatalogEntry | undefined,
  data: Readonly<Record<string, unknown>> | null | undefined,
): string | undefined {
  if (!entry || !data) return undefined;
  let subjectOf = compiled.get(entry);
  if (!subjectOf) {
    subjectOf = compileSubjectCode(entry);
    compiled.set(entry, subjectOf);
  }
  return subjectOf(data as NormalizedRow);
}

/**
 * The two subject codes when a conflicting delivery names another subject than its record's (merge-staged.ts: a
 * delivery never moves a record to another subject), else undefined. Without the entry nothing is said.
 */
export function subjectDiffers(
  entry: CatalogEntry | undefined,
  delivered: Readonly<Record<string, unknown>> | null | undefined,
  recordSubject: string | null,
): { delivered: string | null; current: string | null } | undefined {
  if (!entry || !delivered) return undefined;
  const subject = deliveredSubject(entry, delivered) ?? null;
  return subject === recordSubject ? undefined : { delivered: subject, current: recordSubject };
}

/** The reason `record` and the console give, in Chinese, the codes as the caller shows them (masked). */
export function subjectDiffersNote(delivered: string | null, current: string | null): string {
  return (
    `主体不一致：本次报送的主体代码为"${delivered ?? '（无）'}"，该记录的主体代码为"${current ?? '（无）'}"，` +
    '报送不能把记录改归另一主体，未采用（主体确有错误的，由主管部门按法定程序更正）'
  );
}
