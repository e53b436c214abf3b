import { CsvError, type Info, parse } from 'csv-parse';
import {
  FileFormatError,
  type Format,
  type FormatOptions,
  type RowStream,
  type SourceRow,
} from '../connectors/contracts.ts';
import {
  countLineBreaks,
  decodedText,
  lineTooLong,
  tooManyCells,
  withCellCount,
} from '../connectors/formats/csv-rows.ts';
import { readLimits } from '../connectors/limits.ts';
import { WHOLE_ROW } from '../connectors/row-error.ts';

const BATCH_ROWS = 2000;

/**
 * The same CSV format read with csv-parse (the product card's parser), kept behind the Format contract so the
 * robustness suite and the benchmark (`--parser`) can compare it with the shipped reader (csv-format.ts). It lives
 * here, not in connectors/: the shipped reader is the one that reads deliveries (docs/design-decisions.md).
 */
export const csvParseFormat: Format = {
  name: 'csv',
  async open(input, options: FormatOptions): Promise<RowStream> {
    const { decoded, text } = await decodedText(input, options.encoding);
    const limits = { ...readLimits(), ...options.limits };
    const parser = text.pipe(
      parse({
        // Bytes of the record csv-parse buffers (it parses UTF-8 bytes), quoted line breaks included.
        max_record_size: limits.maxLineBytes,
        // Any of the three ends a record, as in the shipped reader (csv-records.ts).
        record_delimiter: ['\r\n', '\n', '\r'],
        relax_column_count: true,
        skip_empty_lines: false,
        skip_records_with_error: true,
        info: true,
        raw: true,
      }),
    );
    text.on('error', (error) => parser.destroy(error));
    const records = readRecords(parser, limits.maxLineBytes, limits.maxCellsPerRow);
    const headerNext = await records.next();
    const headerRow = headerNext.done ? undefined : headerNext.value;
    if (!headerRow) {
      throw new FileFormatError('empty-file', '文件为空：第1行应为表头（目录规定的列名），其后为数据行');
    }
    const header = headerRow.cells;
    let blankLines = 0;
    async function* batches(): AsyncGenerator<SourceRow[]> {
      let batch: SourceRow[] = [];
      for (let next = await records.next(); !next.done; next = await records.next()) {
        const row = next.value;
        if (row.cells.length === 1 && row.cells[0] === '' && !row.problem) {
          blankLines++;
          continue;
        }
        batch.push(withCellCount(row, header.length));
        if (batch.length >= BATCH_ROWS) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    }
    return { header, encoding: decoded.encoding, batches: batches(), stats: () => ({ blankLines }) };
  },
};

interface ParsedRecord {
  record: string[];
  info: Info;
}

interface Skipped {
  code: string;
  /** csv-parse's line count where the record ended: orders it among the buffered records. */
  lines: number;
  raw: string;
}

/**
 * Records with their row numbers; a record skipped for bad quotes becomes a row with a problem. csv-parse
 * reports skips as events while records wait in the stream's buffer: they are put back in order by line.
 */
async function* readRecords(
  parser: ReturnType<typeof parse>,
  maxLineBytes: number,
  maxCellsPerRow: number,
): AsyncGenerator<SourceRow> {
  let rowNumber = 0;
  // Lines counted as the shipped reader counts them: csv-parse's own count takes an embedded CRLF as two.
  let endLine = 0;
  const skipped: Skipped[] = [];
  parser.on('skip', (error: CsvError) => {
    skipped.push({ code: error.code, lines: Number(error.lines), raw: String(error.raw ?? '') });
  });
  function* skippedBefore(line: number): Generator<SourceRow> {
    while (skipped.length > 0 && skipped[0]!.lines <= line) {
      const { code, raw } = skipped.shift()!;
      if (code === 'CSV_QUOTE_NOT_CLOSED') throw unterminated(endLine + 1, rowNumber + 1);
      if (code === 'CSV_MAX_RECORD_SIZE') throw lineTooLong(endLine + 1, rowNumber + 1, maxLineBytes);
      rowNumber++;
      endLine += 1 + countLineBreaks([raw.replace(/\r?\n$|\r$/, '')]);
      yield {
        rowNumber,
        cells: [raw],
        problem: {
          field: WHOLE_ROW,
          code: 'malformed-quotes',
          message: `第${rowNumber}行的引号不成对或位置错误，请检查该行的双引号`,
        },
      };
    }
  }
  try {
    for await (const parsed of parser as AsyncIterable<ParsedRecord>) {
      yield* skippedBefore(parsed.info.lines - 1);
      rowNumber++;
      if (parsed.record.length > maxCellsPerRow)
        throw tooManyCells(rowNumber, parsed.record.length, maxCellsPerRow);
      endLine += 1 + countLineBreaks(parsed.record);
      yield { rowNumber, cells: parsed.record };
    }
    yield* skippedBefore(Number.POSITIVE_INFINITY);
  } catch (error) {
    if (error instanceof CsvError && error.code === 'CSV_QUOTE_NOT_CLOSED') {
      throw unterminated(endLine + 1, rowNumber + 1);
    }
    if (error instanceof CsvError && error.code === 'CSV_MAX_RECORD_SIZE') {
      throw lineTooLong(endLine + 1, rowNumber + 1, maxLineBytes);
    }
    throw error;
  }
}

function unterminated(line: number, record: number): FileFormatError {
  return new FileFormatError(
    'unterminated-quote',
    `文件第${line}行（第${record}条记录）开始的引号没有闭合，之后的内容无法读取，请检查该行的双引号`,
  );
}
