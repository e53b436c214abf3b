import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SourceRow } from '../contracts.ts';
import { csvFormat, detectDelimiter, openCsvChunk } from './csv-format.ts';
import { readAll } from './read-all.test-support.ts';
import { trickyCsvFiles } from './tricky-csv.test-support.ts';

/**
 * The reading rules of csv-records.ts written out plainly, a character at a time: what the streaming reader,
 * with its searches, cached positions and text cut into pieces, must agree with.
 */
function referenceRecords(text: string, delimiter: string): { records: Rec[]; failed: boolean } {
  const records: Rec[] = [];
  const ends = (c: string | undefined) => c === undefined || c === delimiter || c === '\n' || c === '\r';
  let i = 0;
  while (i < text.length) {
    const cells: string[] = [];
    let stray = false;
    for (;;) {
      if (text[i] === '"') {
        let value = '';
        let j = i + 1;
        for (;;) {
          if (j >= text.length) return { records, failed: true };
          if (text[j] === '"') {
            if (text[j + 1] !== '"') break;
            j++;
          }
          value += text[j];
          j++;
        }
        let k = j + 1;
        while (!ends(text[k])) k++;
        if (text.slice(j + 1, k).trim() === '') cells.push(value);
        else {
          if (/[\r\n]/.test(text.slice(i + 1, j))) return { records, failed: true };
          cells.push(text.slice(i, k));
          stray = true;
        }
        i = k;
      } else {
        let k = i;
        while (!ends(text[k])) k++;
        cells.push(text.slice(i, k));
        i = k;
      }
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      if (text[i] === '\r' && text[i + 1] === '\n') i++;
      i++;
      records.push({ cells, stray });
      break;
    }
  }
  return { records, failed: false };
}

interface Rec {
  cells: string[];
  stray: boolean;
}

/**
 * The rows the format must give for a UTF-8 file, by the reference: row numbers, cells and problem codes; the
 * header's record too when `withHeader` (read as a data row).
 */
function expectedRows(bytes: Buffer, withHeader = false) {
  const text = decoded(bytes);
  const { records, failed } = referenceRecords(text, detectDelimiter(text));
  if (failed || records.length === 0) return undefined;
  const header = records[0]!.cells;
  const blank = (cells: string[]) => cells.every((cell) => cell.trim() === '');
  const rows = records.flatMap(({ cells, stray }, i) => {
    if ((i === 0 && !withHeader) || blank(cells)) return [];
    const problem = stray
      ? 'malformed-quotes'
      : cells.some((cell) => cell.includes('\uFFFD'))
        ? 'undecodable-bytes'
        : cells.length !== header.length
          ? 'field-count'
          : undefined;
    return [[i + 1, cells, problem]];
  });
  return { header, rows, blankLines: records.length - (withHeader ? 0 : 1) - rows.length };
}

function decoded(bytes: Buffer): string {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(bom));
}

const flat = (rows: SourceRow[]) => rows.map((row) => [row.rowNumber, row.cells, row.problem?.code]);

/**
 * The whole text read by the chunk reader (the same parser, no sniffing) from text cut into pieces of `size`
 * characters: the cut falls between CR and LF, inside quotes and doubled quotes, on every place. (A whole file's
 * first 64 KiB are decoded as one piece, so a small file read whole is never cut.)
 */
async function readInTextPieces(text: string, header: string[], size: number) {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  const rows = openCsvChunk(
    Readable.from(pieces, { objectMode: false, encoding: 'utf8' }),
    { encoding: 'utf8', delimiter: detectDelimiter(text), header },
    { rowNumber: 1, line: 1 },
  );
  const read: SourceRow[] = [];
  for await (const batch of rows.batches) read.push(...batch);
  return { rows: read, blankLines: rows.stats().blankLines };
}

describe('the CSV reader against its rules written out plainly', () => {
  it('reads 1,500 generated files of tricky bytes as the rules do, however the text is cut', async () => {
    let compared = 0;
    let refused = 0;
    let n = 0;
    for (const bytes of trickyCsvFiles(23, 1500)) {
      const size = [bytes.length, 1, 2, 5][n++ % 4]!;
      const parts: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
      const file = `${JSON.stringify(bytes.toString('latin1'))} in pieces of ${size}`;
      const expected = expectedRows(bytes);
      const read = await readAll(csvFormat, Readable.from(parts), { encoding: 'utf8' }).catch(
        (error: Error & { code?: string }) => error,
      );
      if (expected === undefined) {
        // A quote never closed, or a stray quote's cell over several lines: the file fails.
        expect(read, file).toBeInstanceOf(Error);
        const text = decoded(bytes);
        if (text.length > 0) {
          const header = referenceRecords(text, detectDelimiter(text)).records[0]?.cells ?? [];
          await expect(readInTextPieces(text, header, 3), file).rejects.toMatchObject({
            code: 'unterminated-quote',
          });
        }
        refused++;
        continue;
      }
      if (read instanceof Error) throw new Error(`${file}: ${read.message}`);
      compared++;
      expect(read.header, file).toEqual(expected.header);
      expect(flat(read.rows), file).toEqual(expected.rows);
      expect(read.blankLines, file).toBe(expected.blankLines);
      const whole = expectedRows(bytes, true)!;
      const pieceChars = [1, 2, 3, 7][n % 4]!;
      const pieces = await readInTextPieces(decoded(bytes), expected.header, pieceChars);
      expect(flat(pieces.rows), `${file}, text in pieces of ${pieceChars}`).toEqual(whole.rows);
      expect(pieces.blankLines, file).toBe(whole.blankLines);
    }
    expect(compared).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(10);
  });
});
