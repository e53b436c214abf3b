import { FileFormatError } from '../contracts.ts';
import { WHOLE_ROW } from '../row-error.ts';
import { columnText, quotedCell } from './cell-text.ts';
import { UNDECODABLE } from './decode-text.ts';

/**
 * What only the platform's operators can do about bytes the encoding cannot decode (`ingest --encoding`, a
 * pipeline's `encoding`), at the end of the message, after what the provider does (save the file again in UTF-8 or
 * GB18030), which every reader needs. Where a provider reads (the direct-report page, the report it downloads
 * there, a review notice: none names an option a provider could use) it is left off: src/report/provider-message.ts.
 */
export const UNDECODABLE_OPERATOR_NOTE =
  '（平台自动识别的编码有误时，运维人员可用 --encoding 或管道的 encoding 指定编码后重新导入）';

const SAVE_AGAIN = '请将文件另存为 UTF-8 或 GB18030 编码后重新报送';

/** The index of the first cell holding the replacement character (a byte the encoding could not decode), or -1. */
export function undecodableCell(cells: readonly string[]): number {
  return cells.findIndex((cell) => cell.includes(UNDECODABLE));
}

/**
 * A row holding bytes the encoding cannot decode, in cell `cell`: the row is rejected, the message naming the
 * column (its header name, when the header is read) and quoting the value. The runner files it under that column's
 * field (`SourceRow.problemCell`): a resident ID with a bad byte in it is masked as the ID field it is.
 */
export function undecodableProblem(
  rowNumber: number,
  cells: readonly string[],
  cell: number,
  columns: readonly string[] | undefined,
  encoding: string,
) {
  const value = cells[cell] ?? '';
  return {
    field: WHOLE_ROW,
    code: 'undecodable-bytes',
    message: `第${rowNumber}行${columnText(columns, cell)}含有无法按 ${encoding} 编码解码的字节（显示为 ${UNDECODABLE}），该行未入库：值为「${quotedCell(value)}」。${SAVE_AGAIN}${UNDECODABLE_OPERATOR_NOTE}`,
    value,
  };
}

/**
 * A header holding bytes the encoding cannot decode: its column names cannot be matched to the catalog's (they
 * would fail as unknown columns, `�` in their names), so the file fails as the encoding problem it is.
 */
export function undecodableHeader(
  headerRow: number,
  header: readonly string[],
  encoding: string,
): FileFormatError | undefined {
  const cell = undecodableCell(header);
  if (cell < 0) return undefined;
  return new FileFormatError(
    'undecodable-bytes',
    `表头（第${headerRow}行）第${cell + 1}列「${quotedCell(header[cell] ?? '')}」含有无法按 ${encoding} 编码解码的字节（显示为 ${UNDECODABLE}），列名无法与目录对照，整个文件未入库：${SAVE_AGAIN}${UNDECODABLE_OPERATOR_NOTE}`,
  );
}
