import { newestEntryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { type FieldMasker, fieldMaskerOf } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { ProcedureEntry, ProcedureState } from '../warehouse/procedure-log-repository.ts';
import { versionDataOfRecords } from '../warehouse/records-repository.ts';
import type { RowData } from './record-history.ts';

/**
 * A procedure's changed field values and subject codes masked as the record's own data is: a passport number
 * corrected in 证件号码 is personal by its field, which free-text masking alone would not see. `versions` are the
 * whole rows of the record's versions (and of the record a reattribute or supersede names): a procedure logs only
 * the fields it changed, and a 处罚内容 quoting the subject's own ID, or that ID one character off (mistyped, so
 * no valid ID free-text masking would find), is masked only where the row's 证件号码 is known.
 */
export function maskProcedure<P extends { before: ProcedureState; after: ProcedureState }>(
  procedure: P,
  masker: FieldMasker,
  versions: readonly Readonly<Record<string, unknown>>[],
): P {
  let own = masker.owning(versions);
  for (const state of [procedure.before, procedure.after]) {
    if (state.subject_code) own = own.owning(versions, state.subject_code);
  }
  const side = (state: ProcedureState): ProcedureState => ({
    ...state,
    ...(state.subject_code
      ? { subject_code: own.subjectCode(state.subject_code, (state.fields ?? {}) as RowData) }
      : {}),
    ...(state.superseded_by_subject_code
      ? { superseded_by_subject_code: own.subjectCode(state.superseded_by_subject_code, {}) }
      : {}),
    ...(state.fields ? { fields: own.row(state.fields as RowData) as ProcedureState['fields'] } : {}),
  });
  return { ...procedure, before: side(procedure.before), after: side(procedure.after) };
}

/**
 * Log entries as `procedure log` and a procedure's own output show them: each masked by its catalog entry's fields
 * and against the whole rows of its records' versions (maskProcedure), read in one query.
 */
export async function maskedProcedureEntries(
  warehouse: Warehouse,
  catalog: Catalog,
  entries: readonly ProcedureEntry[],
): Promise<ProcedureEntry[]> {
  const recordIds = entries.flatMap((entry) =>
    entry.otherRecordId === null ? [entry.recordId] : [entry.recordId, entry.otherRecordId],
  );
  const rows = new Map<number, RowData[]>();
  for (const version of await versionDataOfRecords(warehouse, recordIds)) {
    const of = rows.get(version.recordId) ?? [];
    of.push(version.data);
    rows.set(version.recordId, of);
  }
  return entries.map((entry) =>
    maskProcedure(entry, fieldMaskerOf(newestEntryVersion(catalog, entry.catalogCode)), [
      ...(rows.get(entry.recordId) ?? []),
      ...(entry.otherRecordId === null ? [] : (rows.get(entry.otherRecordId) ?? [])),
    ]),
  );
}
