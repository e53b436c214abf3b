import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fieldCodes } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { maskIf, personalFieldsOf, rejectionsOfRun } from './rejection-rows.ts';
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
  runId: number,
  outFile: string,
  options: RejectionReportOptions = {},
): Promise<number> {
  const catalogCodes = (
    await warehouse('source_files').where({ run_id: runId }).distinct('catalog_code')
  ).map((row: { catalog_code: string }) => row.catalog_code);
  const entries = catalog.entries.filter((entry) => catalogCodes.includes(entry.code));
  const columns = [...new Set(entries.flatMap((entry) => fieldCodes(entry)))];
  const titles = columns.map(
    (code) => entries.find((e) => e.schema.properties[code])?.schema.properties[code]?.title ?? code,
  );
  const isPersonal = personalFieldsOf(catalog);
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  const out = createWriteStream(outFile);
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write('\uFEFF');
  await write(
    csvLine(['来源文件', '行号', '字段代码', '字段名称', '错误代码', '错误说明', '错误值', ...titles]),
  );
  let lines = 0;
  for await (const rejection of rejectionsOfRun(warehouse, runId)) {
    const cells = columns.map((code) =>
      maskIf(!options.unmasked && isPersonal(rejection.catalogCode, code), rejection.raw[code] ?? ''),
    );
    for (const error of rejection.errors) {
      const mask = !options.unmasked && isPersonal(rejection.catalogCode, error.field);
      const fieldTitle =
        titles[columns.indexOf(error.field)] ?? (error.field === '*' ? '（整行）' : error.field);
      await write(
        csvLine([
          rejection.file,
          String(rejection.rowNumber),
          error.field,
          fieldTitle,
          error.code,
          maskIf(mask, error.message),
          maskIf(mask, error.value ?? ''),
          ...cells,
        ]),
      );
      lines++;
    }
  }
  out.end();
  await once(out, 'finish');
  return lines;
}
