import { entryVersionOrNewest } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { type FieldMasker, fieldMaskerOf } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type RecordVersionDataRow, versionDataOfRecords } from '../warehouse/records-repository.ts';

/**
 * What a person wrote about a record (an objection's applicant and claim, an officer's note) is masked against the
 * record's own personal values: the subject's ID number quoted in `钱七 身份证110101…` is theirs even when it is a
 * valid USCC as well (about 1 in 400 IDs passes the USCC check), and free-text masking alone would show it. Any
 * other ID is masked as in all free text; any other USCC is shown.
 */
export type RecordTextMasker = (recordId: number, text: string) => string;

/** The masker of texts about the given records (every version of each read in one query). */
export async function recordTextMasker(
  warehouse: Warehouse,
  catalog: Catalog,
  recordIds: readonly number[],
): Promise<RecordTextMasker> {
  const byRecord = new Map<number, RecordVersionDataRow[]>();
  for (const version of await versionDataOfRecords(warehouse, recordIds)) {
    const rows = byRecord.get(version.recordId) ?? [];
    rows.push(version);
    byRecord.set(version.recordId, rows);
  }
  const maskers = new Map<number, FieldMasker>();
  for (const [recordId, rows] of byRecord) {
    const newest = rows.at(-1)!;
    const entry = entryVersionOrNewest(catalog, newest.catalogCode, newest.catalogVersion);
    maskers.set(
      recordId,
      fieldMaskerOf(entry).owning(
        rows.map((row) => row.data),
        newest.subjectCode,
      ),
    );
  }
  const freeText = fieldMaskerOf(undefined);
  return (recordId, text) => (maskers.get(recordId) ?? freeText).message(text);
}

/** Objections with their applicant and claim masked against their records' personal values. */
export async function maskedObjections<Row extends { recordId: number; applicant: string; reason: string }>(
  warehouse: Warehouse,
  catalog: Catalog,
  rows: readonly Row[],
): Promise<Row[]> {
  const mask = await recordTextMasker(
    warehouse,
    catalog,
    rows.map((row) => row.recordId),
  );
  return rows.map((row) => ({
    ...row,
    applicant: mask(row.recordId, row.applicant),
    reason: mask(row.recordId, row.reason),
  }));
}

/** Every string of a value (an objection step's note, basis and detail: the open step's holds the claim). */
export function maskStrings<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((item) => maskStrings(item, mask)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, maskStrings(item, mask)]),
    ) as T;
  }
  return value;
}
