import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { rejectedCatalogCodes, rejectionsIn } from '../warehouse/rejections-repository.ts';
import { type EntryColumns, entryColumns, fieldTitle, reportMasker } from './report-columns.ts';
import { writeReportFile } from './report-file.ts';
import type { ReportScope } from './report-scope.ts';
import { csvLine } from './spreadsheet-safe.ts';

export interface RejectionReportOptions {
  /** Write resident ID numbers in clear (internal use only); masked by default. */
  unmasked?: boolean;
}

/**
 * One line per error — file, row, field, code, Chinese message, value — followed by the row's original cells
 * under the catalog's column names. UTF-8 with BOM and CRLF, so Excel opens it as Chinese text.
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
  const entries = (await rejectedCatalogCodes(warehouse, scope)).map((code) => entryColumns(catalog, code));
  const columns = [...new Set(entries.flatMap((entry) => entry.codes))];
  const titles = columns.map((code) => titleIn(entries, code));
  const masker = reportMasker(catalog, Boolean(options.unmasked));
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
      const entry = entries.find((e) => e.catalogCode === rejection.catalogCode);
      const cells = columns.map((code) =>
        masker.cell(rejection.catalogCode, code, rejection.raw[code] ?? ''),
      );
      for (const error of rejection.errors) {
        const shown = masker.error(rejection.catalogCode, error, rejection.raw);
        await write(
          csvLine([
            masker.text(rejection.file),
            String(rejection.rowNumber),
            rejection.catalogCode,
            error.field,
            entry ? fieldTitle(entry, error.field) : error.field,
            error.code,
            shown.message,
            shown.value,
            ...cells,
          ]),
        );
        lines++;
      }
    }
    return lines;
  });
}

function titleIn(entries: EntryColumns[], code: string): string {
  for (const entry of entries) {
    const index = entry.codes.indexOf(code);
    if (index >= 0) return entry.titles[index] ?? code;
  }
  return code;
}
