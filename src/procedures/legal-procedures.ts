import type { RowError } from '../../connectors/row-error.ts';
import { subjectCodeFields } from '../catalog/catalog-entry.ts';
import { entryVersion, missingEntryText } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { visibleLength } from '../identifiers/invisible-characters.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';
import { compileEntry } from '../run/compiled-entry.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { STAGE_TITLES } from '../warehouse/objection-vocabulary.ts';
import { objectionMarks, objectionRows } from '../warehouse/objections-repository.ts';
import { createdRecordId, currentVersion, type VersionData } from '../warehouse/procedure-log-repository.ts';
import {
  correctedRow,
  describeErrors,
  type FieldSetting,
  type ProcedureRow,
  parseSetting,
} from './corrected-row.ts';
import { checkOfficer, ProcedureRefused, runProcedure } from './run-procedure.ts';

/** What every procedure must carry (Art. 17): the legal basis (文号), the reason, and who runs it. */
export interface Grounds {
  basis: string;
  reason: string;
  operator: string;
}

export interface ProcedureDone {
  procedureId: number;
  /** Warnings the corrected row carries (loaded, as a delivered row's would be). */
  warnings: RowError[];
  /** reattribute: the record created for the right subject. */
  newRecordId?: number;
  /**
   * supersede, reattribute: the objections in progress on the record retired (its own, or one it carries from a
   * record it replaced), in Chinese and English: the successor carries the mark, the objection is still to be decided.
   */
  objectionWarnings?: string[];
}

/** correct: a new version of the record with the fields set, validated as a delivered row. */
export async function correctRecord(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  settings: readonly string[],
  grounds: Grounds,
): Promise<ProcedureDone> {
  if (settings.length === 0) throw new ProcedureRefused('correct needs at least one --set 字段=值');
  checkGrounds(grounds);
  await checkOfficer(warehouse);
  const current = await currentRow(warehouse, catalog, recordId);
  const { row, warnings } = validRow(current, settings);
  const procedureId = await runProcedure(
    warehouse,
    'procedure_correct',
    newVersionArguments(recordId, current.versionId, row, grounds),
  );
  return { procedureId, warnings };
}

/** withdraw (撤销): the record stops being current; every version is kept. */
export async function withdrawRecord(
  warehouse: Warehouse,
  recordId: number,
  grounds: Grounds,
): Promise<ProcedureDone> {
  checkGrounds(grounds);
  await checkOfficer(warehouse);
  const procedureId = await runProcedure(warehouse, 'procedure_withdraw', [
    recordId,
    grounds.basis,
    grounds.reason,
    grounds.operator,
  ]);
  return { procedureId, warnings: [] };
}

/** supersede: the old record (wrong key or subject) is replaced by a record already in the warehouse. */
export async function supersedeRecord(
  warehouse: Warehouse,
  oldRecordId: number,
  newRecordId: number,
  grounds: Grounds,
): Promise<ProcedureDone> {
  checkGrounds(grounds);
  await checkOfficer(warehouse);
  const procedureId = await runProcedure(warehouse, 'procedure_supersede', [
    oldRecordId,
    newRecordId,
    grounds.basis,
    grounds.reason,
    grounds.operator,
  ]);
  const objectionWarnings = await openObjectionWarnings(warehouse, oldRecordId, newRecordId);
  return {
    procedureId,
    warnings: [],
    newRecordId,
    ...(objectionWarnings.length ? { objectionWarnings } : {}),
  };
}

/**
 * reattribute: the record was filed against the wrong subject. The subject field that held the old code takes
 * the new one (unless a subject field holds it already), the other settings apply, the row is validated, and a
 * new record with it supersedes the old one.
 */
export async function reattributeRecord(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  subject: string,
  settings: readonly string[],
  grounds: Grounds,
): Promise<ProcedureDone> {
  checkGrounds(grounds);
  await checkOfficer(warehouse);
  const current = await currentRow(warehouse, catalog, recordId);
  const code = normalizeCode(subject);
  const fields = subjectCodeFields(current.entry);
  const holding = fields.find((field) => current.data[field] === current.subjectCode);
  const subjectSetting =
    fields.some((field) => current.data[field] === code) || !holding ? [] : [`${holding}=${code}`];
  const { row, warnings } = validRow(current, [...subjectSetting, ...settings]);
  if (row.subjectCode !== code)
    throw new ProcedureRefused(
      `after the changes the record's subject is ${row.subjectCode ?? '(none)'}, not ${code}: ` +
        `clear or set the subject fields (${fields.join(', ')}) with --set`,
    );
  const procedureId = await runProcedure(
    warehouse,
    'procedure_reattribute',
    newVersionArguments(recordId, current.versionId, row, grounds),
  );
  const newRecordId = await createdRecordId(warehouse, procedureId);
  const objectionWarnings =
    newRecordId === undefined ? [] : await openObjectionWarnings(warehouse, recordId, newRecordId);
  return {
    procedureId,
    warnings,
    ...(newRecordId === undefined ? {} : { newRecordId }),
    ...(objectionWarnings.length ? { objectionWarnings } : {}),
  };
}

/**
 * What an officer must be told when a procedure retires a record under objection (Art. 18 ¶2): the objection stays
 * open on the retired record, and its mark now shows on the record that replaced it (objectionMarks follows the
 * supersede chain), until the objection is decided.
 */
async function openObjectionWarnings(
  warehouse: Warehouse,
  oldRecordId: number,
  newRecordId: number,
): Promise<string[]> {
  const own = await objectionRows(warehouse, { recordId: oldRecordId, status: 'in-progress' });
  const carried = (await objectionMarks(warehouse, [oldRecordId])).get(oldRecordId);
  const objections = own.map((row) => ({ id: row.id, stage: row.stage, on: oldRecordId }));
  if (carried?.fromRecordId !== undefined)
    objections.push({ id: carried.objectionId, stage: carried.stage, on: carried.fromRecordId });
  return objections.map(
    ({ id, stage, on }) =>
      `记录 ${oldRecordId} 已被记录 ${newRecordId} 取代，但异议 #${id}（记录 ${on}，${STAGE_TITLES[stage]}）仍在处理中：` +
      `记录 ${newRecordId} 随之标注“异议处理中”，该异议仍须办结 ` +
      `(record ${oldRecordId}, replaced by record ${newRecordId}, is under objection #${id} (${stage}) on record ${on}: ` +
      `record ${newRecordId} now carries its mark until the objection is decided)`,
  );
}

/**
 * Refused here, before the database is asked, with the same words the database would use (051): each of the
 * grounds needs a character that shows, not only spaces, control characters or invisible ones (SHOWS_NOTHING).
 */
export function checkGrounds(grounds: Grounds): void {
  const notShown = '（空格、控制字符和不可见字符不算）';
  if (visibleLength(grounds.basis) === 0)
    throw new ProcedureRefused(`法定程序必须注明法律依据（文号）：请用 --basis 填写${notShown}`);
  if (visibleLength(grounds.reason) === 0)
    throw new ProcedureRefused(`法定程序必须注明理由：请用 --reason 填写${notShown}`);
  if (visibleLength(grounds.operator) === 0)
    throw new ProcedureRefused(`法定程序必须注明经办人：请用 --operator 填写${notShown}`);
}

interface CurrentRow {
  /** The version the row is built on: the database refuses the procedure if it is no longer current (040). */
  versionId: number;
  entry: ReturnType<typeof compileEntry>['entry'];
  subjectCode: string | null;
  data: VersionData;
}

async function currentRow(warehouse: Warehouse, catalog: Catalog, recordId: number): Promise<CurrentRow> {
  const found = await currentVersion(warehouse, recordId);
  if (!found) throw new ProcedureRefused(`记录 ${recordId} 不存在`);
  const entry = entryVersion(catalog, found.catalogCode, found.catalogVersion);
  if (!entry)
    throw new ProcedureRefused(
      `记录 ${recordId} 不能办理：${missingEntryText(found.catalogCode, found.catalogVersion)}`,
    );
  return { versionId: found.versionId, entry, subjectCode: found.subjectCode, data: found.data };
}

/**
 * The arguments of a procedure function that writes a new version: the record, the version the row was built on
 * (another procedure or a delivery may have moved the record on since it was read: then the database refuses),
 * the validated row, the grounds.
 */
function newVersionArguments(
  recordId: number,
  basedOnVersionId: number,
  row: ProcedureRow,
  grounds: Grounds,
): Array<string | number | null> {
  return [
    recordId,
    basedOnVersionId,
    row.json,
    row.contentHash,
    row.catalogVersion,
    row.formationDate,
    row.businessKey,
    row.subjectCode,
    grounds.basis,
    grounds.reason,
    grounds.operator,
  ];
}

function validRow(
  current: CurrentRow,
  texts: readonly string[],
): { row: ProcedureRow; warnings: RowError[] } {
  const settings: FieldSetting[] = [];
  for (const text of texts) {
    const setting = parseSetting(current.entry, text);
    if (typeof setting === 'string') throw new ProcedureRefused(setting);
    settings.push(setting);
  }
  const result = correctedRow(compileEntry(current.entry), current.data, settings);
  if (!result.ok)
    throw new ProcedureRefused(
      ['更正后的记录未通过目录校验，未办理：', ...describeErrors(current.entry, result.errors)].join('\n'),
    );
  return result;
}
