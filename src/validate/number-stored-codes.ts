import type { SourceRow } from '../../connectors/contracts.ts';
import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { IDENTIFIER_KINDS } from '../identifiers/index.ts';

/** Excel keeps 15 significant digits: a longer code stored as a number has lost its tail for good. */
const EXCEL_DIGITS = 15;

/**
 * Rejects identifier cells the source stored as numbers (`SourceRow.numberCells`, set by the xlsx format):
 * an 18-digit USCC or ID number typed into a General/number column is already destroyed, and a validator
 * error about its check digit would send the provider looking for the wrong fix.
 */
export function numberStoredCodeCheck(
  entry: CatalogEntry,
  columns: (string | undefined)[],
): (row: SourceRow) => RowError[] {
  const formats = new Set<string>(IDENTIFIER_KINDS);
  const isCode = columns.map((code) => {
    const field = code === undefined ? undefined : entry.schema.properties[code];
    return (
      field !== undefined &&
      ((field.format !== undefined && formats.has(field.format)) || field['x-personal'] === true)
    );
  });
  return (row) => {
    if (!row.numberCells) return [];
    const errors: RowError[] = [];
    for (const index of row.numberCells) {
      const code = columns[index];
      const value = row.cells[index] ?? '';
      if (code === undefined || !isCode[index] || value.replace(/\D/g, '').length <= EXCEL_DIGITS) continue;
      const title = entry.schema.properties[code]?.title ?? code;
      errors.push({
        field: code,
        code: 'code-stored-as-number',
        message: `"${title}"的值"${value}"在 Excel 中是数字格式，Excel 只保留15位有效数字，超过15位的代码末尾已丢失、无法恢复：请把该列设置为"文本"格式，重新录入完整代码后再报送`,
        value,
      });
    }
    return errors;
  };
}
