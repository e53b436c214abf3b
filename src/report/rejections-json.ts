import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { countErrors, rejectedCatalogCodes, rejectionsIn } from '../warehouse/rejections-repository.ts';
import { rowLayouts } from './rejection-layouts.ts';
import {
  type EntryColumns,
  fieldTitle,
  type MessageReader,
  maskingNote,
  reportMasker,
} from './report-columns.ts';
import { writeReportFile } from './report-file.ts';
import { type ReportScope, scopeInWords } from './report-scope.ts';

/**
 * The same content as the CSV and XLSX reports as one JSON document: `{report, scope, masking, unmasked,
 * summary, rejections: [{file, rowNumber, catalogCode, errors, cells}]}`. Values are as received (JSON is not
 * a spreadsheet, so no formula neutralizing); personal fields masked unless unmasked. Written row by row. A row of
 * a file read by a legacy layout (the 2016 双公示 one) has its cells keyed by that layout's own columns (CF_CFLB1,
 * DQZT…), as on its XLSX sheet, with `layout` (the version); `legacyLayouts` names each such layout's columns
 * (处罚类别1…).
 */
export async function writeRejectionsJson(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  outFile: string,
  options: { unmasked?: boolean; reader?: MessageReader } = {},
): Promise<number> {
  const masker = reportMasker(catalog, Boolean(options.unmasked), options.reader);
  const layouts = await rowLayouts(warehouse, catalog, scope, await rejectedCatalogCodes(warehouse, scope));
  const summary = (await countErrors(warehouse, scope)).map((count) => ({
    catalogCode: count.catalogCode,
    field: count.field,
    code: count.code,
    count: count.count,
    message: masker.error(count.catalogCode, count).message,
  }));
  const description = masker.text(await scopeInWords(warehouse, scope));
  return writeReportFile(outFile, async (write) => {
    const head = {
      report: 'rejections',
      scope: { ...scope, description },
      masking: maskingNote(masker.unmasked),
      unmasked: masker.unmasked,
      generatedAt: new Date().toISOString(),
      summary,
      // The column names of each legacy layout a row is in, once, rather than on each of its rows.
      legacyLayouts: layouts.layouts.flatMap(({ catalogCode, layout, columns }) =>
        layout === undefined ? [] : [{ catalogCode, layout, columns: titlesOf(columns) }],
      ),
    };
    await write(`${JSON.stringify(head).slice(0, -1)},"rejections":[`);
    let rows = 0;
    for await (const rejection of rejectionsIn(warehouse, scope)) {
      const { columns: entry, layout } = layouts.of(rejection);
      const cells: Record<string, string> = {};
      const values = masker.row(rejection.catalogCode, rejection.raw);
      for (const code of entry.codes) {
        const value = values[code];
        if (value !== undefined) cells[code] = value;
      }
      const item = {
        file: masker.text(rejection.file),
        rowNumber: rejection.rowNumber,
        catalogCode: rejection.catalogCode,
        ...(layout === undefined ? {} : { layout }),
        errors: rejection.errors.map((error) => ({
          field: error.field,
          fieldTitle: fieldTitle(entry, error.field),
          code: error.code,
          ...masker.error(rejection.catalogCode, error, rejection.raw),
        })),
        cells,
      };
      await write(`${rows > 0 ? ',' : ''}\n${JSON.stringify(item)}`);
      rows++;
    }
    await write('\n]}\n');
    return rows;
  });
}

/** A layout's column names by field code (`{CF_CFLB1: '处罚类别1', DQZT: '当前状态'}`). */
function titlesOf(columns: EntryColumns): Record<string, string> {
  return Object.fromEntries(columns.codes.map((code, i) => [code, columns.titles[i] ?? code]));
}
