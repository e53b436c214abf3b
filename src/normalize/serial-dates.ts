import type { SourceRow } from '../../connectors/contracts.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';

/**
 * A date typed into a General-format Excel cell arrives as its serial number (`46086`). In a date field such a
 * number cell is read as the date it stands for; anywhere else a number stays a number. Returns the cells to
 * normalize (the row's own cells, untouched, keep what the provider sent for the rejection report).
 */
export function serialDateCells(
  entry: CatalogEntry,
  columns: (string | undefined)[],
  serialToDate: ((serial: number) => string) | undefined,
): (row: SourceRow) => string[] {
  const isDate = columns.map(
    (code) => code !== undefined && entry.schema.properties[code]?.format === 'cn-date',
  );
  if (!serialToDate || !isDate.some(Boolean)) return (row) => row.cells;
  return (row) => {
    if (!row.numberCells?.some((index) => isDate[index])) return row.cells;
    const cells = [...row.cells];
    for (const index of row.numberCells) {
      const serial = Number(cells[index]);
      // Excel's date serials: 1 = 1900-01-01 … 2958465 = 9999-12-31; other numbers are left to the validator.
      if (isDate[index] && Number.isFinite(serial) && serial >= 1 && serial <= 2_958_465) {
        cells[index] = serialToDate(serial);
      }
    }
    return cells;
  };
}
