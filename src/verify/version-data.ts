import { isWarning } from '../../connectors/row-error.ts';
import { fieldMaskerOf } from '../log/mask-personal-data.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import type { CompiledEntry } from '../run/compiled-entry.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';
import type { IntegrityProblem } from './integrity-finding.ts';

/** A current version as stored: its data, and what was stored beside it that its data should give. */
export interface StoredVersion {
  data: unknown;
  /** record_versions.subject_code */
  subjectCode: string | null;
  /** record_versions.formation_date, YYYY-MM-DD */
  formationDate: string | null;
  /** The legal procedure that wrote it, if one did. */
  procedureId: number | null;
}

export interface VersionDataProblem {
  problem: Extract<IntegrityProblem, 'data-invalid' | 'version-subject-differs' | 'formation-date-differs'>;
  detail: string;
}

/**
 * What a delivery could not have stored: the merge stores a row only when the entry version's validator passes
 * it (the same normalized row, validator and cross-field rules as stage-row.ts; warnings such as a pilot-era
 * USCC do not count), holding no field the entry version lacks (canonical JSON keeps only its fields), filed
 * under the subject and formation date its data gives (compileSubjectCode, the formation date field when it is a
 * real day). `credit-etl correct` and `reattribute` build their row the same way (corrected-row.ts), but the
 * database functions store whatever their caller hands them: an officer calling one directly could store a fine
 * of −5, move the record into another company's archive, or give it another formation date (which the disclosure
 * periods and repairs count from), all with a matching content hash and key.
 *
 * The validator's rule on dates not in the future only ever lets more through as days pass, so a version valid
 * when it was stored is valid now.
 */
export function versionDataProblems(compiled: CompiledEntry, version: StoredVersion): VersionDataProblem[] {
  const { entry } = compiled;
  const under = `${entry.code} v${entry.version}`;
  const by = version.procedureId === null ? '' : `, written by procedure #${version.procedureId},`;
  const data = version.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const what = data === null ? 'null' : Array.isArray(data) ? 'an array' : `a ${typeof data}`;
    return [
      { problem: 'data-invalid', detail: `its current version${by} holds ${what}, not a row of ${under}` },
    ];
  }
  const row = data as NormalizedRow;
  // Built only for a finding: nearly every version has none.
  const masker = () => fieldMaskerOf(entry);
  const properties = entry.schema.properties;
  const problems: VersionDataProblem[] = [];
  // Only a procedure's version: a delivered row passed the validator of its day, and a rule made stricter since
  // (a code list narrowed) must not read as tampering; its hash chain already holds it as it was stored.
  const faults =
    version.procedureId === null
      ? []
      : [
          ...Object.keys(row)
            .filter((field) => !Object.hasOwn(properties, field))
            .map((field) => `${field}: no field of ${under}`),
          ...compiled
            .validate(row)
            .filter((error) => !isWarning(error))
            .map((error) => `${error.field}: ${masker().message(error.message, row)}`),
        ];
  if (faults.length > 0)
    problems.push({
      problem: 'data-invalid',
      detail: `its current version${by} fails ${under}, which every delivered row passes: ${faults.join('; ')}`,
    });
  const subject = compiled.subjectCode(row) ?? null;
  if (subject !== version.subjectCode) {
    const shown = (code: string | null) => (code === null ? 'none' : masker().subjectCode(code, row));
    problems.push({
      problem: 'version-subject-differs',
      detail: `its current version${by} is filed under subject ${shown(version.subjectCode)}, its data (${under}) gives ${shown(subject)}`,
    });
  }
  const field = entry.formationDateField;
  const value = row[field];
  const formation = typeof value === 'string' && isRealIsoDate(value) ? value : null;
  if (formation !== version.formationDate) {
    const title = properties[field]?.title;
    problems.push({
      problem: 'formation-date-differs',
      detail: `its current version${by} has formation date ${version.formationDate ?? 'none'}, its data (${under}) gives ${formation ?? 'none'} (${title ? `${title} ` : ''}${field})`,
    });
  }
  return problems;
}
