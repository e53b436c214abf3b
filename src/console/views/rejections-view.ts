import type { Catalog } from '../../catalog/load-catalog.ts';
import { fixHint } from '../../report/fix-hint.ts';
import { type Provider, providerLabel } from '../../report/providers.ts';
import { entryColumns, fieldTitle, reportMasker } from '../../report/report-columns.ts';
import type { RejectionPage } from '../../warehouse/rejection-browse-repository.ts';

/** One error of a rejected row as the console lists it: field, value, message, and what to do. */
export interface RejectionErrorLine {
  field: string;
  fieldTitle: string;
  code: string;
  value: string;
  message: string;
  fix: string;
}

/** One rejected row as the console lists it, personal data masked unless an entitled person asked. */
export interface RejectionLine {
  id: number;
  receivedAt: Date;
  file: string;
  sourceFileId: number;
  runId: number;
  rowNumber: number;
  catalogCode: string;
  catalogTitle: string;
  provider: string;
  errors: RejectionErrorLine[];
}

/**
 * A page of rejections as lines: the same masking as the reports (report-columns.ts: personal fields whole, IDs
 * in messages and file names) and the same fix hints as the workbook (fix-hints.json).
 */
export function rejectionLines(
  page: RejectionPage,
  catalog: Catalog,
  providers: readonly Provider[],
  unmasked: boolean,
): RejectionLine[] {
  const masker = reportMasker(catalog, unmasked);
  return page.rows.map((row) => {
    const columns = entryColumns(catalog, row.catalogCode);
    return {
      id: row.id,
      receivedAt: row.receivedAt,
      file: masker.text(row.file),
      sourceFileId: row.sourceFileId,
      runId: row.runId,
      rowNumber: row.rowNumber,
      catalogCode: row.catalogCode,
      catalogTitle: columns.title,
      provider: providerLabel(providers, row.providerCode),
      errors: row.errors.map((error) => {
        const shown = masker.error(row.catalogCode, error, row.raw);
        return {
          field: error.field,
          fieldTitle: fieldTitle(columns, error.field),
          code: error.code,
          value: shown.value,
          message: shown.message,
          fix: fixHint(error.code),
        };
      }),
    };
  });
}
