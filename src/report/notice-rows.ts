import type { RowError } from '../../connectors/row-error.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { maskQuotedIds } from '../identifiers/mask-ids.ts';
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
            ...standingErrors(row),
            ...conflictErrors(
              catalog,
              row.catalog_code,
              row.conflict_data ?? {},
              row.current_data ?? {},
              standingOf(row),
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

/**
 * A delivery for a record a legal procedure withdrew, superseded or corrected is never applied (merge-staged.ts):
 * the provider is told why, first, before the fields that differ.
 */
function standingErrors(row: NoticeRowRecord): RowError[] {
  const { status, superseded_by: supersededBy, basis } = row;
  if (standingOf(row) === 'same-level')
    return [
      {
        field: '*',
        code: 'record-of-another-provider',
        message:
          '该记录的现行数据由同级的其他报送单位报送，本单位报送的不同内容未采用：请核实业务主键是否填错；' +
          '确属本单位的记录，请与平台联系，由原报送单位更正或按法定程序办理',
      },
    ];
  if (status === 'current' && row.corrected_by !== null)
    return [
      {
        field: '*',
        code: 'record-corrected',
        message: `该记录已依法定程序更正（依据：${row.correction_basis ?? '—'}），本次报送与更正后的内容不一致，未采用：请核实并更正源数据后重新报送`,
      },
    ];
  if (status !== 'withdrawn' && status !== 'superseded') return [];
  const message =
    status === 'withdrawn'
      ? `该记录已依法定程序撤销（依据：${basis ?? '—'}），本次报送未采用：请从报送数据中删除该记录`
      : `该记录已依法定程序由记录 ${supersededBy} 取代（依据：${basis ?? '—'}），本次报送未采用：请按正确的主体或主键报送`;
  return [{ field: '*', code: `record-${status}`, message }];
}

/**
 * Why the current version stands against a conflicting delivery: a procedure corrected it, another department of
 * the same level delivered it (merge-staged.ts: only its author corrects it at that level), or a higher channel.
 */
function standingOf(row: NoticeRowRecord): 'corrected' | 'same-level' | 'higher' {
  if (row.status === 'current' && row.corrected_by !== null) return 'corrected';
  if (row.status === 'current' && row.delivered_level !== null && row.delivered_level === row.record_level)
    return 'same-level';
  return 'higher';
}

const STANDING_WORDS = {
  corrected: '依法更正后',
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
  standingKind: 'corrected' | 'same-level' | 'higher',
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
