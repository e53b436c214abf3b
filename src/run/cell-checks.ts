import type { SourceRow } from '../../connectors/contracts.ts';
import type { RowError } from '../../connectors/row-error.ts';
import {
  characterNumber,
  describeUnstorable,
  quotedText,
  unstorableAt,
  visibleText,
} from '../load/copy-text.ts';

/** How much of an overlong cell a rejection keeps: enough to find it in the file. */
const PREVIEW_CHARS = 100;

export interface CellChecks {
  /** Any cell over the byte limit (the fast test of every row: a length, and bytes only for the longest). */
  anyTooLong(row: SourceRow): boolean;
  /** `cell-too-long` and `invalid-character` of the row's cells, each naming its column, row and value. */
  problems(row: SourceRow): RowError[];
  /** The raw cells as a rejection can store them: unstorable characters escaped, overlong cells cut short. */
  storableRaw(raw: Record<string, string>): Record<string, string>;
  /** An error whose message or value quotes an unstorable character, with it escaped. */
  storableError(error: RowError): RowError;
}

/**
 * The checks of single cells that come before any field is read: a cell over `CREDIT_ETL_MAX_CELL_BYTES`
 * (its row is rejected, the cell kept only as a preview), and a character PostgreSQL cannot store
 * (`invalid-character`: its row is rejected, the value kept with the character escaped as `\u0000`).
 */
export function cellChecks(keys: string[], header: string[], maxCellBytes: number): CellChecks {
  // A UTF-16 unit is at most 3 bytes of UTF-8: shorter cells need no byte count.
  const safeLength = Math.floor(maxCellBytes / 3);
  const bytesOver = (cell: string) => cell.length > safeLength && Buffer.byteLength(cell) > maxCellBytes;
  const column = (i: number) =>
    `第${i + 1}列${header[i]?.trim() ? `「${visibleText(header[i] ?? '')}」` : ''}`;
  const preview = (cell: string) =>
    `${visibleText(cell.slice(0, PREVIEW_CHARS))}…（共 ${Buffer.byteLength(cell)} 字节，其余未保存）`;
  return {
    anyTooLong(row) {
      for (const cell of row.cells) if (cell.length > safeLength && bytesOver(cell)) return true;
      return false;
    },
    problems(row) {
      const errors: RowError[] = [];
      row.cells.forEach((cell, i) => {
        const field = keys[i] ?? `column_${i + 1}`;
        if (bytesOver(cell)) {
          const message = `第${row.rowNumber}行${column(i)}的内容有 ${Buffer.byteLength(cell)} 字节，超过单元格上限 ${maxCellBytes} 字节，该行未入库：请核对该单元格（常见原因是误粘贴了大段文字，或缺少分隔符、引号未闭合使多列连成一格），精简后重新报送`;
          errors.push({ field, code: 'cell-too-long', message, value: preview(cell) });
          return;
        }
        const at = unstorableAt(cell);
        if (at < 0) return;
        const value = visibleText(cell);
        const message = `第${row.rowNumber}行${column(i)}第${characterNumber(cell, at)}个字符是${describeUnstorable(cell.charAt(at))}，该行未入库：值为「${quotedText(cell)}」。请删除该字符（多由导出程序或复制粘贴带入）后重新报送`;
        errors.push({ field, code: 'invalid-character', message, value });
      });
      return errors;
    },
    storableRaw(raw) {
      const stored: Record<string, string> = {};
      for (const [key, value] of Object.entries(raw)) {
        stored[key] = bytesOver(value) ? preview(value) : visibleText(value);
      }
      return stored;
    },
    storableError(error) {
      const message = visibleText(error.message);
      const value = error.value === undefined ? undefined : visibleText(error.value);
      if (message === error.message && value === error.value) return error;
      return { ...error, message, ...(value === undefined ? {} : { value }) };
    },
  };
}
