import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { csvParseFormat } from '../../bench/csv-parse-format.ts';
import type { Encoding, Format } from '../contracts.ts';
import { csvFormat } from './csv-format.ts';

/** Reads `bytes` fed in chunks of `chunkSize` (small chunks cut quotes, CRLF and characters in half). */
async function read(format: Format, bytes: Buffer, chunkSize = 7, encoding: Encoding = 'auto') {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const stream = await format.open(Readable.from(chunks), { encoding });
  const rows: [number, string[], string | undefined][] = [];
  for await (const batch of stream.batches) {
    for (const row of batch) rows.push([row.rowNumber, row.cells, row.problem?.code]);
  }
  return { header: stream.header, encoding: stream.encoding, rows, blankLines: stream.stats().blankLines };
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

// The same suite for both parsers: the benchmark's parser decision rests on both passing it (README).
describe.each([
  ['the shipped reader', csvFormat],
  ['csv-parse', csvParseFormat],
])('CSV robustness with %s', (_name, format) => {
  it('strips a UTF-8 BOM from the first header cell', async () => {
    const result = await read(format, utf8('\uFEFF名称,代码\r\n甲,1\r\n'));
    expect(result.header).toEqual(['名称', '代码']);
    expect(result.rows).toEqual([[2, ['甲', '1'], undefined]]);
  });

  it('decodes GB18030, including 4-byte characters, split across chunks', async () => {
    const text = '名称,备注\r\n𠀀鑫公司,"罚款;警告"\r\n';
    const result = await read(format, iconv.encode(text, 'gb18030'), 5);
    expect(result.encoding).toBe('gb18030');
    expect(result.rows).toEqual([[2, ['𠀀鑫公司', '罚款;警告'], undefined]]);
  });

  it('keeps quoted commas, doubled quotes and embedded CR/LF inside cells', async () => {
    const result = await read(
      format,
      utf8('a,b,c\r\n"x,y","他说""好""","第一行\r\n第二行\n第三行"\r\n1,2,3\r\n'),
    );
    expect(result.rows).toEqual([
      [2, ['x,y', '他说"好"', '第一行\r\n第二行\n第三行'], undefined],
      [3, ['1', '2', '3'], undefined],
    ]);
  });

  it('reads LF-only and CR-only files without leaving CR on the last cell', async () => {
    expect((await read(format, utf8('a,b\n1,2\n'))).rows).toEqual([[2, ['1', '2'], undefined]]);
    expect((await read(format, utf8('a,b\r1,2\r3,4'))).rows).toEqual([
      [2, ['1', '2'], undefined],
      [3, ['3', '4'], undefined],
    ]);
  });

  it('flags ragged rows with field-count and loads the others', async () => {
    const result = await read(format, utf8('a,b\r\n1\r\n1,2,3\r\n4,5\r\n'));
    expect(result.rows).toEqual([
      [2, ['1'], 'field-count'],
      [3, ['1', '2', '3'], 'field-count'],
      [4, ['4', '5'], undefined],
    ]);
  });

  it('skips and counts blank lines, keeping row numbers as a person sees them', async () => {
    const result = await read(format, utf8('a,b\r\n\r\n1,2\r\n\r\n3,4\r\n'));
    expect(result.rows).toEqual([
      [3, ['1', '2'], undefined],
      [5, ['3', '4'], undefined],
    ]);
    expect(result.blankLines).toBe(2);
  });

  it('fails the file on an unterminated quote, naming the line where it opened', async () => {
    const bytes = utf8('a,b\r\n1,"多行\r\n内容"\r\n3,"没有闭合\r\n4,5\r\n6,7\r\n');
    await expect(read(format, bytes)).rejects.toMatchObject({
      code: 'unterminated-quote',
      message: expect.stringContaining('文件第4行'),
    });
  });

  it('fails an empty file with empty-file', async () => {
    await expect(read(format, Buffer.alloc(0))).rejects.toMatchObject({ code: 'empty-file' });
  });
});
