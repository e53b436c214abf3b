import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { countErrors, rejectedCatalogCodes, rejectionsIn } from '../warehouse/rejections-repository.ts';
import { entryColumns, fieldTitle, maskingNote, reportMasker } from './report-columns.ts';
import { writeReportFile } from './report-file.ts';
import { type ReportScope, scopeInWords } from './report-scope.ts';

/**
 * The same content as the CSV and XLSX reports as one JSON document: `{report, scope, masking, unmasked,
 * summary, rejections: [{file, rowNumber, catalogCode, errors, cells}]}`. Values are as received (JSON is not
 * a spreadsheet, so no formula neutralizing); personal fields masked unless unmasked. Written row by row.
 */
export async function writeRejectionsJson(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  outFile: string,
  options: { unmasked?: boolean } = {},
): Promise<number> {
  const masker = reportMasker(catalog, Boolean(options.unmasked));
  const columns = new Map(
    (await rejectedCatalogCodes(warehouse, scope)).map((code) => [code, entryColumns(catalog, code)]),
  );
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
    };
    await write(`${JSON.stringify(head).slice(0, -1)},"rejections":[`);
    let rows = 0;
    for await (const rejection of rejectionsIn(warehouse, scope)) {
      const entry = columns.get(rejection.catalogCode) ?? entryColumns(catalog, rejection.catalogCode);
      const cells: Record<string, string> = {};
      for (const code of entry.codes) {
        const value = rejection.raw[code];
        if (value !== undefined) cells[code] = masker.cell(rejection.catalogCode, code, value);
      }
      const item = {
        file: masker.text(rejection.file),
        rowNumber: rejection.rowNumber,
        catalogCode: rejection.catalogCode,
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
