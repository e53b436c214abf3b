import { type CatalogEntry, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { isPlaceholderCode } from '../identifiers/index.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';

/**
 * The subject code of a valid row (Art. 8): with `subjectCodeByType`, the first non-empty field of the row's
 * own subject type — a natural person's 证件号码, never a company code that happens to be on the same row;
 * otherwise the first non-empty field of `subjectCodeField`. An accepted placeholder (个体工商户
 * 00000000000000000X) identifies nobody: the next field is taken.
 */
export function compileSubjectCode(entry: CatalogEntry): (row: NormalizedRow) => string | undefined {
  const fallback = subjectCodeFields(entry);
  const byType = entry.subjectCodeByType;
  const firstCode = (row: NormalizedRow, fields: readonly string[]) => {
    for (const field of fields) {
      const value = row[field];
      if (value !== undefined && !isPlaceholderCode(String(value))) return String(value);
    }
    return undefined;
  };
  if (!byType) return (row) => firstCode(row, fallback);
  const typed = new Map(Object.entries(byType.fields));
  // Lint requires every type of the code list to be listed; the fallback serves only an unlisted type,
  // which validation has already rejected.
  return (row) => firstCode(row, typed.get(String(row[byType.typeField])) ?? fallback);
}
