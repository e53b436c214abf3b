import { fieldCodes } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { maskPersonalData } from '../log/mask-personal-data.ts';
import type { RowError } from '../validate/row-error.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';

export interface RejectionRow {
  file: string;
  rowNumber: number;
  catalogCode: string;
  raw: Record<string, string>;
  errors: RowError[];
}

const PAGE = 5000;

/** A run's rejections in file and row order, read page by page (keyset) so memory stays flat. */
export async function* rejectionsOfRun(warehouse: Warehouse, runId: number): AsyncGenerator<RejectionRow> {
  let after = 0;
  for (;;) {
    const page = await warehouse('rejections as r')
      .join('source_files as f', 'f.id', 'r.source_file_id')
      .where('r.run_id', runId)
      .andWhere('r.id', '>', after)
      .orderBy('r.id')
      .limit(PAGE)
      .select('r.id', 'f.name as file', 'r.row_number', 'r.catalog_code', 'r.raw', 'r.errors');
    for (const row of page) {
      yield {
        file: row.file,
        rowNumber: row.row_number,
        catalogCode: row.catalog_code,
        raw: row.raw,
        errors: row.errors,
      };
    }
    if (page.length < PAGE) return;
    after = page.at(-1).id;
  }
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
