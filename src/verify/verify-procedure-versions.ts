import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  type ProcedureVersionFindingRow,
  procedureVersionFindings,
} from '../warehouse/integrity-repository.ts';
import type { IntegrityProblem, RecordFinding, VerifyScope } from './integrity-finding.ts';

/**
 * The versions the legal procedures wrote, and the versions their log entries name, against the log
 * (integrity-repository.ts, PROCEDURE_VERSIONS). A procedure's version is in no file's digest: its chain only
 * links it to the record's other versions, so a superuser who rewrites it (data, content hash, subject, formation
 * date) and recomputes its chain hash leaves nothing else to find; the procedure log, hash-chained and checked
 * first, recorded what the procedure wrote.
 *
 * - `version-differs-from-procedure`: a version a procedure wrote (or an entry named) that differs from what the
 *   entry logged of it: content hash, version number, subject, formation date, catalog entry version, a field the
 *   procedure set, or a field it did not set that differs from the version it was based on.
 * - `version-without-procedure`: a version that claims a correct/reattribute entry naming another version.
 * - `procedure-version-missing`: the version an entry names as the record's current one then is gone.
 *
 * Field names only, never values: a value may be a person's ID number or name (the log and `record` show them,
 * masked, to whoever may see them).
 */
export async function verifyProcedureVersions(
  warehouse: Warehouse,
  scope: VerifyScope,
): Promise<RecordFinding[]> {
  const rows = await procedureVersionFindings(warehouse, scope);
  return rows.map((row) => ({
    recordId: row.recordId,
    catalogCode: row.catalogCode,
    businessKey: row.businessKey,
    catalogVersion: row.keyCatalogVersion,
    versionNo: row.versionNo,
    ...describe(row),
  }));
}

function describe(row: ProcedureVersionFindingRow): { problem: IntegrityProblem; detail: string } {
  const entry = `procedure #${row.procedureId} (${row.kind})`;
  if (row.side === 'wrote') {
    if (row.notNamed)
      return {
        problem: 'version-without-procedure',
        detail: `version id ${row.versionId} claims ${entry}, whose log entry names version ${row.loggedVersionId ?? 'none'}: the procedure did not write this one`,
      };
    return {
      problem: 'version-differs-from-procedure',
      detail: `the version ${entry} wrote (id ${row.versionId}) differs from its log entry: ${differences(row).join('; ')}`,
    };
  }
  const named =
    row.side === 'before'
      ? `names as the record's current version then`
      : `names as the current version of the record that superseded it`;
  if (row.versionId === null)
    return {
      problem: 'procedure-version-missing',
      detail: `${entry} ${named} version id ${row.loggedVersionId} of record ${row.recordId}, which is not there: deleted behind the engine`,
    };
  return {
    problem: 'version-differs-from-procedure',
    detail: `the version ${entry} ${named} (id ${row.versionId}) differs from its log entry: ${differences(row).join('; ')}`,
  };
}

/** Each difference in words: `content hash logged dnV2yj_1qD2oA-YR…, stored ApSItRn5RkwTPe5N…`, the fields by name. */
function differences(row: ProcedureVersionFindingRow): string[] {
  const said = row.differs.map(({ what, logged, stored }) =>
    logged === null && stored === null
      ? `${what} differs from the logged one`
      : `${what} logged ${shown(logged)}, stored ${shown(stored)}`,
  );
  if (row.fields.length > 0)
    said.push(
      `${row.side === 'wrote' ? 'set' : 'logged'} field(s) ${row.fields.join(', ')} no longer hold the logged value`,
    );
  if (row.unlogged.length > 0)
    said.push(
      `field(s) ${row.unlogged.join(', ')} differ from version ${row.basedOnNo} it was based on, and the log does not set them`,
    );
  return said;
}

/** A logged or stored value from its JSON text: a content hash (base64url sha256) cut to 16 characters. */
function shown(json: string | null): string {
  if (json === null) return 'none';
  const text = json.startsWith('"') ? (JSON.parse(json) as string) : json;
  return /^[A-Za-z0-9_-]{40,}$/.test(text) ? `${text.slice(0, 16)}…` : text;
}
