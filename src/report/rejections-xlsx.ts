import type ExcelJS from 'exceljs';
import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  countErrors,
  countRejectedRows,
  type RejectionRow,
  rejectedCatalogCodes,
  rejectionsIn,
} from '../warehouse/rejections-repository.ts';
import { DEFAULT_ISSUER, type Issuer } from './issuer.ts';
import { rejectionLayouts } from './rejection-layouts.ts';
import { type RejectionSheet, rejectionSheet, sheetName } from './rejection-sheet.ts';
import { entryColumns, fieldTitle, type MessageReader, maskingNote, reportMasker } from './report-columns.ts';
import { type ReportScope, scopeInWords } from './report-scope.ts';
import { streamingWorkbook } from './streaming-workbook.ts';
import { summarySheet } from './summary-sheet.ts';

/** Excel's rows per sheet, the header included: a sheet with more is repaired (cut short) when opened. */
export const EXCEL_ROW_LIMIT = 1_048_576;
/** Rejected rows (over the workbook) whose bad cells carry their messages as cell notes. */
export const NOTED_ROWS = 10_000;

export interface RejectionsXlsxOptions {
  unmasked?: boolean;
  issuer?: Issuer;
  /** A provider's report (downloaded from the direct-report page): messages without the operators' remarks. */
  reader?: MessageReader;
  /** Rows a sheet holds, its header included (Excel's limit); more go on to `<sheet>-2`, `<sheet>-3`… */
  rowLimit?: number;
  /**
   * Rejected rows whose bad cells carry `<code>：<message>` as a note; the rows after them are filled red only.
   * exceljs holds a sheet's notes in memory until the sheet ends: without a cap memory grows with the report.
   */
  notedRows?: number;
}

/**
 * The rejection workbook: a summary sheet (the masking statement, counts by error code and by field) and one
 * sheet per catalog entry with every rejected row. Streaming writer: each sheet is finished before the next
 * starts, so memory does not grow with the report.
 */
export async function writeRejectionsXlsx(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  outFile: string,
  options: RejectionsXlsxOptions = {},
): Promise<number> {
  const limits = {
    rowLimit: options.rowLimit ?? EXCEL_ROW_LIMIT,
    notes: options.notedRows ?? NOTED_ROWS,
  };
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const masker = reportMasker(catalog, Boolean(options.unmasked), options.reader);
  const counts = await countErrors(warehouse, scope);
  const codes = await rejectedCatalogCodes(warehouse, scope);
  const workbook = await streamingWorkbook(outFile);

  const summary = summarySheet(workbook, '汇总', [24, 60, 12, 12], `${issuer.name} 拒收数据报告`);
  summary.title(issuer.name);
  summary.title('拒收数据报告');
  summary.line('脱敏说明', maskingNote(masker.unmasked), { warn: masker.unmasked });
  summary.line('范围', masker.text(await scopeInWords(warehouse, scope)));
  summary.line('生成时间', `${shanghaiTime(new Date())}（北京时间）`);
  if (issuer.contact) summary.line('联系方式', issuer.contact);
  summary.line('拒收行数', await countRejectedRows(warehouse, scope));
  const byCode = new Map<
    string,
    { count: number; message: string; value: string; catalogCode: string; field: string }
  >();
  for (const count of counts) {
    const seen = byCode.get(count.code);
    if (seen) seen.count += count.count;
    else byCode.set(count.code, { ...count });
  }
  summary.table(
    '按错误代码统计',
    ['错误代码', '错误说明（示例）', '次数'],
    [...byCode].map(([code, seen]) => [code, masker.error(seen.catalogCode, seen).message, seen.count]),
  );
  summary.table(
    '按字段统计',
    ['字段', '字段名称', '错误代码', '次数'],
    counts.map((count) => [
      count.field,
      // A legacy layout's source column (DQZT) is no field of the current columns: named from the catalog.
      fieldTitle(entryColumns(catalog, count.catalogCode), count.field),
      count.code,
      count.count,
    ]),
  );
  summary.commit();

  let rows = 0;
  for (const code of codes) {
    for (const group of await rejectionLayouts(warehouse, catalog, scope, code)) {
      const { columns, layout, files } = group;
      const name = `${columns.title}(${code})${layout === undefined ? '' : `旧版布局v${layout}`}`;
      const sheet = continuedSheets(workbook, name, limits, (part, notes) =>
        rejectionSheet(workbook, part, columns, masker, { document: `拒收数据报告 ${columns.title}`, notes }),
      );
      for await (const rejection of rejectionsIn(warehouse, scope, code)) {
        if (!files.has(rejection.sourceFileId)) continue;
        sheet.add(rejection);
        await workbook.drained();
      }
      rows += sheet.end();
    }
  }
  await workbook.commit();
  return rows;
}

/**
 * The sheet `name`, continued on `name-2`, `name-3`… once it holds `rowLimit` rows (its header included). Each
 * sheet is committed when full (and by `end()`): exceljs queues a later sheet's zip entry behind an open one, so
 * an uncommitted sheet would hold the next in memory. `limits.notes` is what is left of the workbook's noted rows.
 */
function continuedSheets(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  limits: { rowLimit: number; notes: number },
  open: (name: string, notes: number) => RejectionSheet,
): { add(rejection: RejectionRow): void; end(): number } {
  const perSheet = Math.max(limits.rowLimit - 1, 1);
  let part = 0;
  let written = 0;
  let current = { name: '', sheet: undefined as unknown as RejectionSheet };
  const start = () => {
    part++;
    const suffix = part === 1 ? '' : `-${part}`;
    const partName = sheetName(name).slice(0, 31 - suffix.length) + suffix;
    current = { name: partName, sheet: open(partName, limits.notes) };
  };
  const finish = () => {
    written += current.sheet.rows;
    limits.notes = Math.max(limits.notes - current.sheet.rows, 0);
    workbook.getWorksheet(current.name)?.commit();
  };
  start();
  return {
    add(rejection) {
      if (current.sheet.rows >= perSheet) {
        finish();
        start();
      }
      current.sheet.add(rejection);
    },
    end() {
      finish();
      return written;
    },
  };
}
