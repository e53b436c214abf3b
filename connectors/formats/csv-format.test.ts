import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../contracts.ts';
import { csvFormat, detectDelimiter } from './csv-format.ts';
import { problems, readAll } from './read-all.test-support.ts';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('csv delimiters', () => {
  it.each([
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
    ['pipe', '|'],
  ])('auto-detects the %s from the header line', async (_name, delimiter) => {
    const text = `${['名称', '代码', '金额'].join(delimiter)}\n${['甲公司', '"9,1;|"', '"1,5"'].join(delimiter)}`;
    const { header, rows } = await readAll(csvFormat, utf8(`${text}\n`));
    expect(header).toEqual(['名称', '代码', '金额']);
    expect(rows[0]?.cells).toEqual(['甲公司', '9,1;|', '1,5']);
  });

  it('ignores separators inside a quoted header cell', () => {
    expect(detectDelimiter('"a;b;c";d,e,f\n')).toBe(',');
    expect(detectDelimiter('no separators at all\n')).toBe(',');
  });

  it('takes a quote for an opening one only at the start of a cell, as the reader does', () => {
    expect(detectDelimiter('编号"甲,名称\t代码\t金额\n1\t2\t3\n')).toBe('\t');
    expect(detectDelimiter('"编号\t甲",名称,代码\n')).toBe(',');
  });

  it('uses a configured delimiter over the guess', async () => {
    const { header, rows } = await readAll(csvFormat, utf8('a,b;c\n1,2;3\n'), { delimiter: ';' });
    expect(header).toEqual(['a,b', 'c']);
    expect(rows[0]?.cells).toEqual(['1,2', '3']);
  });
});

describe('csv header row', () => {
  const titled = utf8('2026年行政处罚信息公示\n报送单位：济南市\n名称;代码\n甲公司;"1;2"\n乙公司;3\n');

  it('reads the header from the declared row, guesses the delimiter there, and keeps the row numbers', async () => {
    const { header, rows } = await readAll(csvFormat, titled, { headerRow: 3 });
    expect(header).toEqual(['名称', '代码']);
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([
      [4, ['甲公司', '1;2']],
      [5, ['乙公司', '3']],
    ]);
  });

  it('passes over a title row holding a lone quote as the reader does, and guesses the delimiter on the header', async () => {
    const titledTabs = utf8('报送单位："某局\n名称\t代码\t金额\n甲公司\t1\t"2"\n');
    const { header, rows } = await readAll(csvFormat, titledTabs, { headerRow: 2 });
    expect(header).toEqual(['名称', '代码', '金额']);
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([[3, ['甲公司', '1', '2']]]);
  });

  it('fails a file shorter than its header row, and a blank header row, as header-not-found', async () => {
    await expect(readAll(csvFormat, titled, { headerRow: 9 })).rejects.toMatchObject({
      code: 'header-not-found',
      message: expect.stringContaining('文件只有5行，没有第9行'),
    });
    await expect(readAll(csvFormat, utf8('标题\n\na,b\n'), { headerRow: 2 })).rejects.toMatchObject({
      code: 'header-not-found',
      message: '第2行是空行，不能作为表头',
    });
  });
});

describe('csv line endings and quoting', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR only (old Mac exports)', '\r'],
  ])('reads %s files with embedded newlines in quotes and Excel row numbers', async (_name, eol) => {
    const text = ['a,b', '1,"two', 'lines"', '3,4', ''].join(eol);
    const { rows } = await readAll(csvFormat, utf8(text));
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([
      [2, ['1', `two${eol}lines`]],
      [3, ['3', '4']],
    ]);
  });

  it('counts a line of spaces or of delimiters only as a blank line, not as a row missing every field', async () => {
    const { rows, blankLines } = await readAll(
      csvFormat,
      utf8('a,b,c\n1,2,3\n   \n,,\n , ,\u3000\n,,\t\n4,5,6\n, ,x\n'),
    );
    expect(rows.map((row) => [row.rowNumber, row.cells, row.problem?.code])).toEqual([
      [2, ['1', '2', '3'], undefined],
      [7, ['4', '5', '6'], undefined],
      [8, ['', ' ', 'x'], undefined],
    ]);
    expect(blankLines).toBe(4);
  });

  it('rejects ragged rows as field-count naming the counts, skips and counts blank lines', async () => {
    const { rows, blankLines } = await readAll(csvFormat, utf8('a,b,c\n1,2,3\n\n1,2\n\n1,2,3,4\n'));
    expect(problems(rows)).toEqual([
      [4, 'field-count'],
      [6, 'field-count'],
    ]);
    expect(rows[1]?.problem?.message).toContain('有2列，表头有3列（缺少1列）');
    expect(rows[2]?.problem?.message).toContain('有4列，表头有3列（多出1列）');
    expect(blankLines).toBe(2);
  });

  /**
   * The rows of `text` read in pieces of `size` bytes, a CRLF, a quote or a character cut at every place. The first
   * 64 KiB of a file are decoded as one piece, so a row of 64 KiB goes first (and is left out of the result).
   */
  const inPieces = async (text: string, size: number) => {
    const lineBreak = /\r\n|\n|\r/.exec(text)!;
    const afterHeader = lineBreak.index + lineBreak[0].length;
    const filler = `${'x'.repeat(64 * 1024)}${lineBreak[0]}`;
    const bytes = utf8(text.slice(0, afterHeader) + filler + text.slice(afterHeader));
    const head = afterHeader + filler.length;
    const parts: Buffer[] = [bytes.subarray(0, head)];
    for (let at = head; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
    const read = await readAll(csvFormat, Readable.from(parts));
    expect(read.rows[0]?.cells[0]?.length).toBe(64 * 1024);
    return {
      ...read,
      rows: read.rows.slice(1).map((row) => [row.rowNumber - 1, row.cells, row.problem?.code]),
    };
  };

  it('ends a record at whichever line break comes, CRLF, LF or CR, when a file mixes them', async () => {
    // A header saved on Windows over rows appended on Unix; LF rows appended to CRLF ones; CR and CRLF blank lines.
    const cases: [string, (string | undefined)[][]][] = [
      [
        'a,b\r\n1,2\n3,4\n5,6\n',
        [
          ['1', '2'],
          ['3', '4'],
          ['5', '6'],
        ],
      ],
      [
        'a,b\r\n1,2\r\n3,4\r\n5,6\n7,8\n',
        [
          ['1', '2'],
          ['3', '4'],
          ['5', '6'],
          ['7', '8'],
        ],
      ],
      [
        'a,b\r1,2\r\n3,4\n5,6\r7,8',
        [
          ['1', '2'],
          ['3', '4'],
          ['5', '6'],
          ['7', '8'],
        ],
      ],
    ];
    for (const [text, cells] of cases) {
      for (const size of [text.length, 1, 2, 3]) {
        const { rows, blankLines } = await inPieces(text, size);
        expect(rows, `${JSON.stringify(text)} in pieces of ${size}`).toEqual(
          cells.map((row, i) => [i + 2, row, undefined]),
        );
        expect(blankLines).toBe(0);
      }
    }
    const { rows, blankLines } = await inPieces('a,b\r\n\n1,2\r\r\n3,"x\r\ny\nz\rw"\n\r5,6', 1);
    expect(rows).toEqual([
      [3, ['1', '2'], undefined],
      [5, ['3', 'x\r\ny\nz\rw'], undefined],
      [7, ['5', '6'], undefined],
    ]);
    expect(blankLines).toBe(3);
  });

  it('reads a cell that starts with a quote and has text after its closing quote to the next delimiter, as Excel does: that row alone is rejected, the lines after it are rows', async () => {
    const text = [
      '名称,处罚机关,金额',
      '甲,"济南市"市场监督管理局,1',
      '乙,历下区局,2',
      '丙,"济南""市""局"x,3',
      '丁,历城区局,4',
      '戊,"含,逗号的机关",5',
      '',
    ].join('\r\n');
    for (const size of [text.length, 1, 5]) {
      const { rows } = await inPieces(text, size);
      expect(rows).toEqual([
        [2, ['甲', '"济南市"市场监督管理局', '1'], 'malformed-quotes'],
        [3, ['乙', '历下区局', '2'], undefined],
        [4, ['丙', '"济南""市""局"x', '3'], 'malformed-quotes'],
        [5, ['丁', '历城区局', '4'], undefined],
        [6, ['戊', '含,逗号的机关', '5'], undefined],
      ]);
    }
    const { rows } = await readAll(csvFormat, utf8(text));
    expect(rows[0]?.problem).toMatchObject({
      field: '*',
      value: '"济南市"市场监督管理局',
      message: expect.stringMatching(
        /^第2行“处罚机关”列（第2列）的引号位置错误：「"济南市"市场监督管理局」以引号开头/,
      ),
    });
  });

  it('keeps a quote inside an unquoted cell as text, and blanks after a closing quote out of the cell', async () => {
    const { rows } = await readAll(csvFormat, utf8('a,b\n济南"市"局,"1"  \n"2"\t,x"\n'));
    expect(rows.map((row) => [row.rowNumber, row.cells, row.problem?.code])).toEqual([
      [2, ['济南"市"局', '1'], undefined],
      [3, ['2', 'x"'], undefined],
    ]);
  });

  it('fails the file when a quote opens a cell that is closed only lines later and followed by text', async () => {
    // Row 3's quote is never closed on its line: the next quote (row 5's) would close a cell of three lines.
    const failure = readAll(csvFormat, utf8('a,b\n1,2\n3,"未闭合\n4,5\n6,"七"\n8,9\n'));
    await expect(failure).rejects.toMatchObject({
      code: 'unterminated-quote',
      message: expect.stringContaining(
        '文件第3行（第3条记录）有一个以引号开头的单元格，到第5行才遇到下一个引号',
      ),
    });
  });

  it('fails the file on a trailing unterminated quote, naming the line', async () => {
    const failure = readAll(csvFormat, utf8('a,b\n1,2\n3,"never closed\n4,5\n'));
    await expect(failure).rejects.toBeInstanceOf(FileFormatError);
    await expect(failure).rejects.toMatchObject({ code: 'unterminated-quote' });
    await expect(failure).rejects.toThrow('文件第3行');
  });
});

describe('csv encodings', () => {
  const text = '名称,代码\n𠀀甲公司,91350100M000100Y43\n';

  it.each([
    ['utf16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['utf16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
    ['utf8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(text)])],
    ['utf8', utf8(text)],
    ['gb18030', iconv.encode(text, 'gb18030')],
  ])('detects %s and reads the same rows', async (encoding, bytes) => {
    const read = await readAll(csvFormat, bytes);
    expect(read.encoding).toBe(encoding);
    expect(read.header).toEqual(['名称', '代码']);
    expect(read.rows[0]?.cells).toEqual(['𠀀甲公司', '91350100M000100Y43']);
  });

  it('rejects only the row holding an undecodable byte, never loading a replacement character', async () => {
    const bytes = Buffer.concat([
      utf8('名称,代码\n甲公司,1\n乙'),
      Buffer.from([0xff]),
      utf8('公司,2\n丙公司,3\n'),
    ]);
    const { encoding, rows } = await readAll(csvFormat, bytes);
    expect(encoding).toBe('utf8');
    expect(problems(rows)).toEqual([[3, 'undecodable-bytes']]);
    expect(rows[1]?.problem?.message).toContain('第3行“名称”列（第1列）');
    expect(rows.map((row) => row.cells[1])).toEqual(['1', '2', '3']);
  });

  it('does the same for a GB18030 file with a byte no GB18030 character uses', async () => {
    const bytes = Buffer.concat([
      iconv.encode('名称,代码\n甲公司,1\n', 'gb18030'),
      Buffer.from([0xff]),
      utf8(',2\n'),
    ]);
    const { encoding, rows } = await readAll(csvFormat, bytes);
    expect(encoding).toBe('gb18030');
    expect(problems(rows)).toEqual([[3, 'undecodable-bytes']]);
  });

  it('flags an odd trailing byte in UTF-16 as a row problem', async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('a,b\n1,2\n3,4', 'utf16le'),
      Buffer.from([0x41]),
    ]);
    const { rows } = await readAll(csvFormat, bytes);
    expect(problems(rows)).toEqual([[3, 'undecodable-bytes']]);
  });
});

describe('csv size', () => {
  it('reads a 1 MB field intact', async () => {
    const big = '违'.repeat(1024 * 1024);
    const { rows } = await readAll(csvFormat, utf8(`a,b\n1,"${big}"\n2,x\n`));
    expect(rows.map((row) => row.cells[1]?.length)).toEqual([big.length, 1]);
  });

  it('streams ~100 MB of rows without holding them: heap stays flat', async () => {
    const line = `91350100M000100Y43,${'某某市市场监督管理局行政处罚决定书'.repeat(4)},2026-03-05,1.5\n`;
    const lineBytes = Buffer.byteLength(line);
    const lines = Math.ceil((100 * 1024 * 1024) / lineBytes);
    const chunk = Buffer.from(line.repeat(1000));
    async function* generate() {
      yield Buffer.from('代码,内容,日期,金额\n');
      for (let i = 0; i < lines / 1000; i++) yield chunk;
    }
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = 0;
    const opened = await csvFormat.open(Readable.from(generate()), { encoding: 'auto' });
    for await (const batch of opened.batches) {
      count += batch.length;
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(count).toBe(Math.ceil(lines / 1000) * 1000);
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });
});
