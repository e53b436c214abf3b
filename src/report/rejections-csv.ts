import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { rejectedCatalogCodes, rejectionsIn } from '../warehouse/rejections-repository.ts';
import { rowLayouts } from './rejection-layouts.ts';
import {
  type EntryColumns,
  entryColumns,
  fieldTitle,
  type MessageReader,
  reportMasker,
} from './report-columns.ts';
import { writeReportFile } from './report-file.ts';
import type { ReportScope } from './report-scope.ts';
import { csvLine } from './spreadsheet-safe.ts';

export interface RejectionReportOptions {
  /** Write resident ID numbers in clear (internal use only); masked by default. */
  unmasked?: boolean;
  /** A provider's report (downloaded from the direct-report page): messages without the operators' remarks. */
  reader?: MessageReader;
}

/**
 * One line per error — file, row, field, code, Chinese message, value — followed by the row's original cells
 * under the catalog's column names. A row of a file read by a legacy layout (the 2016 双公示 one) has its cells
 * under that layout's own column names (处罚类别1, 当前状态…), as on its XLSX sheet: a column is a field code
 * under one title, so `CF_SY` is 违法事实 for current rows and 处罚事由 for 2016 rows, two columns; the current
 * columns come first. UTF-8 with BOM and CRLF, so Excel opens it as Chinese text.
 */
export async function writeRejectionsCsv(
  warehouse: Warehouse,
  catalog: Catalog,
  scopeOrRunId: ReportScope | number,
  outFile: string,
  options: RejectionReportOptions = {},
): Promise<number> {
  const scope: ReportScope =
    typeof scopeOrRunId === 'number' ? { kind: 'run', runId: scopeOrRunId } : scopeOrRunId;
  const codes = await rejectedCatalogCodes(warehouse, scope);
  const layouts = await rowLayouts(warehouse, catalog, scope, codes);
  const columns: { code: string; title: string }[] = [];
  const columnIndex = new Map<string, number>();
  const keyOf = (code: string, title: string) => `${code}\u0000${title}`;
  for (const shown of [
    ...codes.map((code) => entryColumns(catalog, code)),
    ...layouts.layouts.map((layout) => layout.columns),
  ]) {
    shown.codes.forEach((code, i) => {
      const title = shown.titles[i] ?? code;
      if (columnIndex.has(keyOf(code, title))) return;
      columnIndex.set(keyOf(code, title), columns.length);
      columns.push({ code, title });
    });
  }
  const titles = columns.map((column) => column.title);
  // Where each of a layout's columns goes in the line, worked out once per layout rather than per row.
  const places = new Map<EntryColumns, number[]>();
  const placesOf = (shown: EntryColumns): number[] => {
    let found = places.get(shown);
    if (!found) {
      found = shown.codes.map((code, i) => columnIndex.get(keyOf(code, shown.titles[i] ?? code)) ?? -1);
      places.set(shown, found);
    }
    return found;
  };
  const masker = reportMasker(catalog, Boolean(options.unmasked), options.reader);
  return writeReportFile(outFile, async (write) => {
    await write('\uFEFF');
    await write(
      csvLine([
        '来源文件',
        '行号',
        '目录代码',
        '字段代码',
        '字段名称',
        '错误代码',
        '错误说明',
        '错误值',
        ...titles,
      ]),
    );
    let lines = 0;
    for await (const rejection of rejectionsIn(warehouse, scope)) {
      const shown = layouts.of(rejection).columns;
      const cells: string[] = Array(columns.length).fill('');
      const values = masker.row(rejection.catalogCode, rejection.raw);
      placesOf(shown).forEach((index, i) => {
        const code = shown.codes[i]!;
        if (index >= 0) cells[index] = values[code] ?? '';
      });
      for (const error of rejection.errors) {
        const masked = masker.error(rejection.catalogCode, error, rejection.raw);
        await write(
          csvLine([
            masker.text(rejection.file),
            String(rejection.rowNumber),
            rejection.catalogCode,
            error.field,
            fieldTitle(shown, error.field),
            error.code,
            masked.message,
            masked.value,
            ...cells,
          ]),
        );
        lines++;
      }
    }
    return lines;
  });
}
