import { Readable } from 'node:stream';
import { type Encoding, FileFormatError, type SourceRow } from '../contracts.ts';
import { type RowError, WHOLE_ROW } from '../row-error.ts';
import { columnText, quotedCell } from './cell-text.ts';
import { type DecodedText, decodeText } from './decode-text.ts';

// What both CSV readers share (csv-format.ts ships; csv-parse is the benchmark's, bench/csv-parse-format.ts).

/**
 * The decoded text as a stream, plus its first chunk: read ahead to sniff the delimiter, and put back in front of
 * the rest. Destroying the stream lets the input go too.
 */
export async function decodedText(
  input: Readable,
  encoding: Encoding,
): Promise<{ decoded: DecodedText; firstText: string; text: Readable }> {
  const decoded = await decodeText(input, encoding);
  const chunks = decoded.chunks[Symbol.asyncIterator]();
  const first = await chunks.next();
  const firstText = first.done ? '' : first.value;
  const text = Readable.from(prepend(firstText, chunks), { objectMode: false, encoding: 'utf8' });
  return { decoded, firstText, text };
}

async function* prepend(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  try {
    if (first) yield first;
    for (let next = await rest.next(); !next.done; next = await rest.next()) if (next.value) yield next.value;
  } finally {
    // Stopped early (a file failed, a header refused): decodeText's iterator then closes the input.
    await rest.return?.();
  }
}

/** A row whose cell count differs from the header's is rejected as `field-count`, naming both counts. */
export function withCellCount(row: SourceRow, expected: number): SourceRow {
  if (row.problem || row.cells.length === expected) return row;
  const fewer = row.cells.length < expected;
  return {
    ...row,
    problem: {
      field: WHOLE_ROW,
      code: 'field-count',
      message: `第${row.rowNumber}行有${row.cells.length}列，表头有${expected}列（${fewer ? '缺少' : '多出'}${Math.abs(row.cells.length - expected)}列），请检查分隔符和引号`,
      value: String(row.cells.length),
    },
  };
}

/**
 * A cell that starts with a quote whose closing quote is followed by text (`"济南市"市场监督管理局`): its row alone
 * is rejected, naming the column and the cell as written (csv-records.ts reads it, as Excel does, to the next
 * delimiter or line break, so it takes in no other line). The runner files it under that column's field
 * (`SourceRow.problemCell`, set by the caller when the column is the header's), as it does undecodable bytes.
 */
export function strayQuoteProblem(
  rowNumber: number,
  cells: readonly string[],
  cell: number,
  columns: readonly string[] | undefined,
): RowError {
  const value = cells[cell] ?? '';
  return {
    field: WHOLE_ROW,
    code: 'malformed-quotes',
    message: `第${rowNumber}行${columnText(columns, cell)}的引号位置错误：「${quotedCell(value)}」以引号开头，闭合的引号后面还有文字，无法确定原意，该行未入库。引号是内容的一部分时，请把整个单元格放在一对引号内并把其中每个引号写成两个（如 """济南市""市场监督管理局"）；不是时请删去引号，然后重新报送`,
    value,
  };
}

/**
 * A quote that leaves the rest of the file unreadable as rows: never closed, or closed only lines later and followed
 * by text (a cell opened by a stray quote that took the following lines in). The file fails, naming the line the
 * quote opened on.
 */
export function quoteFailure(
  failure: 'unterminated-quote' | 'stray-quote-across-lines',
  cells: readonly string[],
  cell: number,
  recordLine: number,
  record: number,
): FileFormatError {
  const line = recordLine + countLineBreaks(cells.slice(0, cell));
  if (failure === 'unterminated-quote') {
    return new FileFormatError(
      'unterminated-quote',
      `文件第${line}行（第${record}条记录）开始的引号没有闭合，之后的内容无法读取，请检查该行的双引号`,
    );
  }
  const closed = line + countLineBreaks(cells.slice(cell, cell + 1));
  return new FileFormatError(
    'unterminated-quote',
    `文件第${line}行（第${record}条记录）有一个以引号开头的单元格，到第${closed}行才遇到下一个引号，且其后还有文字：多半是第${line}行的引号没有闭合，使其后的各行连成了一个单元格，无法分行读取，整个文件未入库。请检查第${line}行的双引号（单元格内的引号应写成两个）后重新导出报送`,
  );
}

/** Line breaks inside quoted cells, so a file-level error can name the physical line. */
export function countLineBreaks(cells: readonly string[]): number {
  let count = 0;
  for (const cell of cells) {
    if (cell.length < 1) continue;
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      if (c === 10 || (c === 13 && cell.charCodeAt(i + 1) !== 10)) count++;
    }
  }
  return count;
}

/** A size in the unit a person reads: `4 MB`, `512 KB`, `900 字节`. */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${bytes} 字节`;
}

/**
 * The operators' remarks at the end of a CSV file's failure, after what the provider does (each in parentheses of
 * its own, naming a setting only the platform's operators can change): what a provider reads (the direct-report
 * page, the report it downloads, a review notice) is the message without them (src/report/provider-message.ts).
 */
export const LINE_BYTES_OPERATOR_NOTE = '（运维人员可用 CREDIT_ETL_MAX_LINE_BYTES 调整上限）';
export const CELLS_PER_ROW_OPERATOR_NOTE = '（运维人员可用 CREDIT_ETL_MAX_CELLS_PER_ROW 调整上限）';
/** `ingest --delimiter`, a pipeline's `delimiter`: the separator read when the one found is not the file's. */
export const DELIMITER_OPERATOR_NOTE =
  '（平台识别的分隔符有误时，运维人员可用 --delimiter 或管道的 delimiter 指定）';

/** A record that outgrew `CREDIT_ETL_MAX_LINE_BYTES` before it ended: the file fails. */
export function lineTooLong(line: number, record: number, maxLineBytes: number): FileFormatError {
  return new FileFormatError(
    'line-too-long',
    `文件第${line}行（第${record}条记录）起的一条记录超过了单条记录的上限 ${sizeText(maxLineBytes)}，整个文件未入库：常见原因是引号没有闭合或换行符丢失，使许多行连成了一条记录。请检查该行附近的双引号和换行后重新导出报送${LINE_BYTES_OPERATOR_NOTE}`,
  );
}

/** A record of more cells than `CREDIT_ETL_MAX_CELLS_PER_ROW`: not a data row but a broken export; the file fails. */
export function tooManyCells(record: number, cells: number, maxCellsPerRow: number): FileFormatError {
  return new FileFormatError(
    'too-many-cells',
    `第${record}行有 ${cells} 个单元格，超过每行上限 ${maxCellsPerRow} 个，整个文件未入库：请检查分隔符是否正确、该行引号是否闭合，按目录列名重新导出后报送${DELIMITER_OPERATOR_NOTE}${CELLS_PER_ROW_OPERATOR_NOTE}`,
  );
}
