import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { rejectedFileLayouts } from '../warehouse/rejections-repository.ts';
import type { ReportScope } from '../warehouse/scope-filter.ts';
import { type EntryColumns, entryColumns, layoutColumns, legacyLayoutOf } from './report-columns.ts';

/** The rows of some files of one entry, all in one layout, and that layout's columns. */
export interface RejectionLayout {
  catalogCode: string;
  /** The legacy version whose layout the rows are in; undefined for the current columns. */
  layout?: number;
  columns: EntryColumns;
  files: Set<number>;
}

/**
 * The layouts a scope's rejections of one entry are in, each with its columns and its files: a rejection's `raw`
 * is keyed by the catalog version its file was read by, so the rows of a file read by a legacy layout (the 2016
 * 双公示 one) are shown under that layout's own columns (当前状态, 处罚类别1…), the others under the current
 * columns. Decided per file from what the file recorded (its version and header), never from the rows. The
 * current layout first, then each legacy layout.
 */
export async function rejectionLayouts(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  catalogCode: string,
): Promise<RejectionLayout[]> {
  const groups = new Map<number | undefined, { files: Set<number>; carried: Set<string> }>();
  for (const file of await rejectedFileLayouts(warehouse, scope, catalogCode)) {
    const layout = legacyLayoutOf(catalog, catalogCode, file.catalogVersion);
    const group = groups.get(layout) ?? { files: new Set<number>(), carried: new Set<string>() };
    group.files.add(file.sourceFileId);
    for (const column of file.columns) group.carried.add(column);
    groups.set(layout, group);
  }
  return [...groups]
    .sort(([a], [b]) => (a ?? -1) - (b ?? -1))
    .map(([layout, { files, carried }]) => ({
      catalogCode,
      ...(layout === undefined ? {} : { layout }),
      files,
      columns: layoutColumns(catalog, catalogCode, layout, carried),
    }));
}

/**
 * The layout of each rejected row of a scope, by its entry and file, for the reports that list every entry's rows
 * together (CSV, JSON): a row whose file is not found is shown under its entry's current columns.
 */
export async function rowLayouts(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  catalogCodes: readonly string[],
): Promise<{
  layouts: RejectionLayout[];
  of(row: { catalogCode: string; sourceFileId: number }): RejectionLayout;
}> {
  const layouts: RejectionLayout[] = [];
  const byFile = new Map<string, RejectionLayout>();
  const current = new Map<string, RejectionLayout>();
  for (const catalogCode of catalogCodes) {
    for (const group of await rejectionLayouts(warehouse, catalog, scope, catalogCode)) {
      layouts.push(group);
      for (const file of group.files) byFile.set(`${catalogCode}:${file}`, group);
    }
  }
  const currentOf = (catalogCode: string): RejectionLayout => {
    let group = current.get(catalogCode);
    if (!group) {
      group = { catalogCode, columns: entryColumns(catalog, catalogCode), files: new Set() };
      current.set(catalogCode, group);
    }
    return group;
  };
  return {
    layouts,
    of: (row) => byFile.get(`${row.catalogCode}:${row.sourceFileId}`) ?? currentOf(row.catalogCode),
  };
}
