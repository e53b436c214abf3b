import type { SourceRow } from '../../connectors/contracts.ts';
import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { IDENTIFIER_KINDS } from '../identifiers/index.ts';
import { isRealBirthDate, maskPersonalField, maskTypedLookup } from '../identifiers/mask-ids.ts';

/** Excel keeps 15 significant digits: a longer code stored as a number has lost its tail for good. */
const EXCEL_DIGITS = 15;

/**
 * Rejects code cells the source stored as numbers (`SourceRow.numberCells`, set by the xlsx format): an 18-digit
 * USCC or ID number typed into a General/number column is already destroyed, and a validator error about its
 * check digit would send the provider looking for the wrong fix. In any other column (姓名, 证书编号, 备注) a number
 * of more than 15 digits with a real birth date at the 7th–14th digits is a resident ID destroyed the same way
 * (`370102198204010015` → `370102198204010000`): loaded, it would be shown and kept as a wrong person's number.
 */
export function numberStoredCodeCheck(
  entry: CatalogEntry,
  columns: (string | undefined)[],
): (row: SourceRow) => RowError[] {
  const formats = new Set<string>(IDENTIFIER_KINDS);
  const fieldOf = (index: number) => {
    const code = columns[index];
    return code === undefined ? undefined : entry.schema.properties[code];
  };
  const isCode = columns.map((_code, index) => {
    const field = fieldOf(index);
    return (
      field !== undefined &&
      ((field.format !== undefined && formats.has(field.format)) || field['x-personal'] === true)
    );
  });
  const isPersonal = columns.map((_code, index) => {
    const field = fieldOf(index);
    return field?.['x-personal'] === true || field?.format === 'resident-id';
  });
  return (row) => {
    if (!row.numberCells) return [];
    const errors: RowError[] = [];
    for (const index of row.numberCells) {
      const code = columns[index];
      const value = row.cells[index] ?? '';
      const digits = value.replace(/\D/g, '');
      if (code === undefined || digits.length <= EXCEL_DIGITS) continue;
      const destroyedId = isRealBirthDate(digits.slice(6, 14));
      if (!isCode[index] && !destroyedId) continue;
      const title = entry.schema.properties[code]?.title ?? code;
      // The value as shown: a personal field's whole, and a number taken for an ID whole (16 to 19 digits: no shape
      // the masker knows in free text); else what is shaped like an ID (a USCC is shown).
      const shown = isPersonal[index] || destroyedId ? maskPersonalField(value) : maskTypedLookup(value);
      const where = `第${row.rowNumber}行"${title}"的值"${shown}"`;
      errors.push({
        field: code,
        code: 'code-stored-as-number',
        message:
          isCode[index] || !destroyedId
            ? `${where}在 Excel 中是数字格式，Excel 只保留15位有效数字，超过15位的代码末尾已丢失、无法恢复：请把该列设置为"文本"格式，重新录入完整代码后再报送`
            : `${where}像是居民身份证号码，在 Excel 中是数字格式，Excel 只保留15位有效数字，末尾几位已丢失、无法恢复：请核对该列是否应填写此号码；确需填写的，请把该列设置为"文本"格式，重新录入完整号码后再报送`,
        // Stored as shown when taken for an ID: reports show `value` through the field's masker, which in a free-text
        // column (备注) would leave 16, 17 or 19 digits clear; Excel has destroyed its tail, so nothing is lost.
        value: destroyedId ? shown : value,
      });
    }
    return errors;
  };
}
