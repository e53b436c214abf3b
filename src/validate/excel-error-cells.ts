import type { SourceRow } from '../../connectors/contracts.ts';
import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';

/**
 * Rejects a row whose cell in a field's column has no value to load (`SourceRow.errorCells`, set by the xlsx
 * format): an Excel error (`#N/A` from a lookup that found nothing, `#REF!` from a deleted reference) is Excel's
 * mark that a value is missing, not a value, and a formula saved without its result holds nothing the platform can
 * compute. Loaded as text, `#N/A` became a 处罚机关 and a formula's lost result a misleading `missing-value`. A cell
 * in a column no field takes is left alone: its column is not loaded.
 */
export function excelErrorCheck(
  entry: CatalogEntry,
  columns: (string | undefined)[],
): (row: SourceRow) => RowError[] {
  return (row) => {
    if (!row.errorCells) return [];
    const errors: RowError[] = [];
    for (const { index, kind, value } of row.errorCells) {
      const code = columns[index];
      if (code === undefined) continue;
      const title = entry.schema.properties[code]?.title ?? code;
      const at = `第${row.rowNumber}行"${title}"`;
      errors.push(
        kind === 'no-result'
          ? {
              field: code,
              code: 'formula-without-result',
              message: `${at}是公式"${value}"，文件中没有保存它的计算结果（多见于由程序生成、未经 Excel 计算的文件），该行未入库：公式没有保存计算结果，请在 Excel 中重新计算并保存后报送`,
              value,
            }
          : {
              field: code,
              code: 'excel-error-value',
              message:
                kind === 'error'
                  ? `${at}是 Excel 错误值"${value}"（公式或引用出错的标记，不是数据），该行未入库：请在 Excel 中改正该单元格（如 #N/A 是查找不到，#REF! 是引用的单元格已删除），填入实际内容后重新报送`
                  : `${at}的公式"${value}"的计算结果是错误值（如 #N/A、#REF!、#VALUE!，不是数据），该行未入库：请在 Excel 中改正公式或它引用的数据，使单元格显示实际内容后重新报送`,
              value,
            },
      );
    }
    return errors;
  };
}
