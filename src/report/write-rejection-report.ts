import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { Issuer } from './issuer.ts';
import { writeRejectionsCsv } from './rejections-csv.ts';
import { writeRejectionsJson } from './rejections-json.ts';
import type { MessageReader } from './report-columns.ts';
import type { ReportScope } from './report-scope.ts';

export const REJECTION_FORMATS = ['xlsx', 'csv', 'json'] as const;
export type RejectionFormat = (typeof REJECTION_FORMATS)[number];

/** The format named by the output file's extension, or undefined for any other extension. */
export function rejectionFormatOf(file: string): RejectionFormat | undefined {
  const extension = file.toLowerCase().split('.').pop();
  return REJECTION_FORMATS.find((format) => format === extension);
}

/**
 * Writes the rejection report of a scope in the given format; returns the rows (XLSX, JSON) or lines (CSV). The
 * operators' report (`report rejections`, the staff's console) has every message whole; a provider's (`reader`
 * `provider`: downloaded from the direct-report page) has them without the operators' remarks (provider-message.ts).
 */
export async function writeRejectionReport(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  outFile: string,
  format: RejectionFormat,
  options: { unmasked?: boolean; issuer?: Issuer; reader?: MessageReader } = {},
): Promise<number> {
  switch (format) {
    case 'xlsx':
      // exceljs is loaded only when a workbook is written (CLI start-up time and memory).
      return (await import('./rejections-xlsx.ts')).writeRejectionsXlsx(
        warehouse,
        catalog,
        scope,
        outFile,
        options,
      );
    case 'csv':
      return writeRejectionsCsv(warehouse, catalog, scope, outFile, options);
    case 'json':
      return writeRejectionsJson(warehouse, catalog, scope, outFile, options);
  }
}
