import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { maskQuotedIds } from '../identifiers/mask-ids.ts';
import { subjectDiffers } from '../records/subject-differs.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type NoticeRowRecord, noticeRowRecords } from '../warehouse/notices-repository.ts';
import type { RejectionRow } from '../warehouse/rejections-repository.ts';
import { entryColumns, type ReportMasker } from './report-columns.ts';

/** One row a notice covers, in the shape of a rejected row: conflicts list each differing field as an error. */
export interface NoticeRow extends RejectionRow {
  kind: 'rejected' | 'conflict';
  businessKey: string | null;
  keyParts: Record<string, string> | null;
  current: Record<string, string>;
}

export interface NoticeRowsOptions {
  /**
   * An unmasked notice (internal use): a conflict's message quotes the current version's values as they are.
   * Otherwise every ID-shaped run in them is masked, even mistyped (maskQuotedIds): they are another channel's
   * data (another provider's 备注, 违法事实 …, or a procedure's correction), not the recipient's own.
   */
  unmasked?: boolean;
}

/** The rows of a notice in order (keyset paging), optionally of one catalog entry. */
export async function* noticeRows(
  warehouse: Warehouse,
  catalog: Catalog,
  noticeId: number,
  catalogCode?: string,
  options: NoticeRowsOptions = {},
): AsyncGenerator<NoticeRow> {
  const quoteCurrent = options.unmasked ? (value: string) => value : maskQuotedIds;
  for await (const row of noticeRowRecords(warehouse, noticeId, catalogCode)) {
    const conflict = row.kind === 'conflict';
    const subject = conflict
      ? subjectDiffers(entryOf(catalog, row), row.conflict_data, row.record_subject_code)
      : undefined;
    yield {
      id: row.id,
      kind: row.kind,
      businessKey: row.business_key,
      keyParts: row.key_parts,
      file: row.file,
      sourceFileId: row.source_file_id,
      runId: row.run_id,
      rowNumber: row.row_number,
      catalogCode: row.catalog_code,
      providerCode: row.provider_code,
      raw: conflict ? asText(row.conflict_data) : row.raw,
      current: conflict ? asText(row.current_data) : {},
      errors: conflict
        ? [
            ...standingErrors(row, subject, quoteCurrent),
            ...conflictErrors(
              catalog,
              row.catalog_code,
              row.conflict_data ?? {},
              row.current_data ?? {},
              standingOf(row, subject !== undefined),
              quoteCurrent,
            ),
          ]
        : row.errors,
    };
  }
}

function asText(data: Record<string, unknown> | null): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [field, value] of Object.entries(data ?? {})) text[field] = String(value);
  return text;
}

/** The entry version the row's file was read by (else the newest of its code): how its subject is derived. */
function entryOf(catalog: Catalog, row: NoticeRowRecord): CatalogEntry | undefined {
  const versions = catalog.entries
    .filter((entry) => entry.code === row.catalog_code)
    .sort((a, b) => b.version - a.version);
  return versions.find((entry) => entry.version === row.catalog_version) ?? versions[0];
}

/**
 * A delivery for a record a legal procedure withdrew, superseded or corrected, or naming another subject than the
 * record's, is never applied (merge-staged.ts): the provider is told why, first, before the fields that differ.
 */
function standingErrors(
  row: NoticeRowRecord,
  subject: { delivered: string | null; current: string | null } | undefined,
  quoteCurrent: (value: string) => string,
): RowError[] {
  const { status, superseded_by: supersededBy, basis } = row;
  const errors: RowError[] = [];
  if (status === 'withdrawn' || status === 'superseded')
    errors.push({
      field: '*',
      code: `record-${status}`,
      message:
        status === 'withdrawn'
          ? `该记录已依法定程序撤销（依据：${basis ?? '—'}），本次报送未采用：请从报送数据中删除该记录`
          : `该记录已依法定程序由记录 ${supersededBy} 取代（依据：${basis ?? '—'}），本次报送未采用：请按正确的主体或主键报送`,
    });
  // The record's code is its own subject's, quoted as another organisation's text is (a person's number masked);
  // the row's own code is masked later, as its field says.
  if (subject)
    errors.push({
      field: '*',
      code: 'record-subject-differs',
      message:
        `本次报送的主体代码"${subject.delivered ?? '（无）'}"与该记录的主体代码"${subject.current === null ? '（无）' : quoteCurrent(subject.current)}"不一致：` +
        '同一业务主键的记录不能经报送改归另一主体，本次报送未采用。请核实主体代码（如个体工商户的工商注册号）是否填错；' +
        '如该记录的主体确有错误，请与平台联系，由主管部门按法定程序更正',
    });
  const standing = standingOf(row, subject !== undefined);
  if (standing === 'same-level')
    errors.push({
      field: '*',
      code: 'record-of-another-provider',
      message:
        '该记录的现行数据由同级的其他报送单位报送，本单位报送的不同内容未采用：请核实业务主键是否填错；' +
        '确属本单位的记录，请与平台联系，由原报送单位更正或按法定程序办理',
    });
  if (standing === 'corrected')
    errors.push({
      field: '*',
      code: 'record-corrected',
      message: `该记录已依法定程序更正（依据：${row.correction_basis ?? '—'}），本次报送与更正后的内容不一致，未采用：请核实并更正源数据后重新报送`,
    });
  return errors;
}

/**
 * Why the current version stands against a conflicting delivery: a procedure corrected it, the delivery names
 * another subject (whoever sent it: its record's holder too), another department of the same level delivered it
 * (merge-staged.ts: only its author corrects it at that level), or a higher channel.
 */
function standingOf(
  row: NoticeRowRecord,
  otherSubject: boolean,
): 'corrected' | 'subject' | 'same-level' | 'higher' {
  if (row.status === 'current' && row.corrected_by !== null) return 'corrected';
  if (otherSubject) return 'subject';
  if (row.status === 'current' && row.delivered_level !== null && row.delivered_level === row.record_level)
    return 'same-level';
  return 'higher';
}

const STANDING_WORDS = {
  corrected: '依法更正后',
  subject: '原主体',
  'same-level': '同级其他报送单位',
  higher: '更高层级渠道',
} as const;

/**
 * Each field where the delivered content differs from the current version (whose standing says whose it is), the
 * current value as `quoteCurrent` shows it: the provider's own value is masked later as its field says.
 */
function conflictErrors(
  catalog: Catalog,
  catalogCode: string,
  delivered: Record<string, unknown>,
  current: Record<string, unknown>,
  standingKind: keyof typeof STANDING_WORDS,
  quoteCurrent: (value: string) => string,
): RowError[] {
  const standing = STANDING_WORDS[standingKind];
  const columns = entryColumns(catalog, catalogCode);
  const fields = [...new Set([...Object.keys(delivered), ...Object.keys(current)])];
  return fields
    .filter((field) => String(delivered[field] ?? '') !== String(current[field] ?? ''))
    .map((field) => {
      const title = columns.titles[columns.codes.indexOf(field)] ?? field;
      const mine = String(delivered[field] ?? '');
      const theirs = quoteCurrent(String(current[field] ?? ''));
      return {
        field,
        code: 'conflict',
        message: `"${title}"与现行（${standing}）数据不一致：本次报送"${mine}"，现行数据"${theirs}"`,
        value: mine,
      };
    });
}

/**
 * The business key for people: parts joined by `|`, personal parts masked unless unmasked; a part that was
 * in error (not used to match the correction) shows as `？`.
 */
export function shownKey(catalog: Catalog, row: NoticeRow, masker: ReportMasker): string {
  const entry = catalog.entries.find((candidate) => candidate.code === row.catalogCode);
  const fields = entry?.businessKey ?? [];
  let parts: (string | undefined)[];
  if (row.businessKey !== null) parts = row.businessKey.split('\u001f');
  else if (row.keyParts !== null) parts = fields.map((_, i) => row.keyParts?.[String(i + 1)]);
  else return '（无法确定）';
  return parts
    .map((part, i) => (part === undefined ? '？' : masker.cell(row.catalogCode, fields[i] ?? '', part)))
    .join('|');
}
