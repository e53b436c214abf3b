import type { RowError } from '../../connectors/row-error.ts';
import { fieldCodes } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { maskPersonalData } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { keysetPages } from '../warehouse/keyset-pages.ts';
import { type ReportScope, whereInScope } from './report-scope.ts';

export interface RejectionRow {
  id: number;
  file: string;
  sourceFileId: number;
  runId: number;
  rowNumber: number;
  catalogCode: string;
  providerCode: string;
  raw: Record<string, string>;
  errors: RowError[];
}

// Rejected rows keep every cell as sent: a page of 5,000 rows of 30 KB each (a broken wide export) took 150 MB of
// the CLI's 192 MB heap while the run summary's report was written. 1,000 bounds it at a fifth of that.
const PAGE = 1000;

/** A rejection as the page query selects it (snake_case columns). */
interface RejectionRecord {
  id: number;
  file: string;
  source_file_id: number;
  run_id: number;
  row_number: number;
  catalog_code: string;
  provider_code: string;
  raw: Record<string, string>;
  errors: RowError[];
}

/** A run's rejections in file and row order, read page by page (keyset) so memory stays flat. */
export function rejectionsOfRun(warehouse: Warehouse, runId: number): AsyncGenerator<RejectionRow> {
  return rejectionsIn(warehouse, { kind: 'run', runId });
}

/** The rejections of a scope (optionally of one catalog entry) in id order, page by page (keyset). */
export async function* rejectionsIn(
  warehouse: Warehouse,
  scope: ReportScope,
  catalogCode?: string,
): AsyncGenerator<RejectionRow> {
  const pages = keysetPages<RejectionRecord>(PAGE, (after) => {
    const query = warehouse('rejections as r')
      .join('source_files as f', 'f.id', 'r.source_file_id')
      .andWhere('r.id', '>', after)
      .orderBy('r.id')
      .limit(PAGE)
      .select(
        'r.id',
        'f.name as file',
        'r.source_file_id',
        'r.run_id',
        'r.row_number',
        'r.catalog_code',
        'r.provider_code',
        'r.raw',
        'r.errors',
      );
    if (catalogCode) query.where('r.catalog_code', catalogCode);
    return whereInScope(query, scope);
  });
  for await (const row of pages) {
    yield {
      id: row.id,
      file: row.file,
      sourceFileId: row.source_file_id,
      runId: row.run_id,
      rowNumber: row.row_number,
      catalogCode: row.catalog_code,
      providerCode: row.provider_code,
      raw: row.raw,
      errors: row.errors,
    };
  }
}

/** The catalog entries that have rejections in the scope, in code order. */
export async function rejectedCatalogCodes(warehouse: Warehouse, scope: ReportScope): Promise<string[]> {
  const query = warehouse('rejections as r')
    .join('source_files as f', 'f.id', 'r.source_file_id')
    .distinct('r.catalog_code')
    .orderBy('r.catalog_code');
  const rows: { catalog_code: string }[] = await whereInScope(query, scope);
  return rows.map((row) => row.catalog_code);
}

/** Which fields hold personal data (x-personal or a resident-ID format), per catalog code. */
export function personalFieldsOf(catalog: Catalog): (catalogCode: string, field: string) => boolean {
  const personal = new Set<string>();
  for (const entry of catalog.entries) {
    for (const code of fieldCodes(entry)) {
      const field = entry.schema.properties[code];
      if (field?.['x-personal'] || field?.format === 'resident-id') personal.add(`${entry.code}:${code}`);
    }
  }
  return (catalogCode, field) => personal.has(`${catalogCode}:${field}`);
}

/** Masks resident ID numbers in a personal field's value and in messages quoting it. */
export function maskIf(isPersonal: boolean, text: string): string {
  return isPersonal ? maskPersonalData(text) : text;
}
