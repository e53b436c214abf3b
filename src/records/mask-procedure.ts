import type { FieldMasker } from '../log/mask-personal-data.ts';
import type { ProcedureState } from '../warehouse/procedure-log-repository.ts';
import type { RowData } from './record-history.ts';

/**
 * A procedure's changed field values and subject codes masked as the record's own data is: a passport number
 * corrected in 证件号码 is personal by its field, which free-text masking alone would not see.
 */
export function maskProcedure<P extends { before: ProcedureState; after: ProcedureState }>(
  procedure: P,
  masker: FieldMasker,
): P {
  const side = (state: ProcedureState): ProcedureState => ({
    ...state,
    ...(state.subject_code
      ? { subject_code: masker.subjectCode(state.subject_code, (state.fields ?? {}) as RowData) }
      : {}),
    ...(state.superseded_by_subject_code
      ? { superseded_by_subject_code: masker.subjectCode(state.superseded_by_subject_code, {}) }
      : {}),
    ...(state.fields ? { fields: masker.row(state.fields as RowData) as ProcedureState['fields'] } : {}),
  });
  return { ...procedure, before: side(procedure.before), after: side(procedure.after) };
}
