import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FormatOptions, SourceRow } from '../contracts.ts';
import { csvFormat } from './csv-format.ts';
import { openSkimmedCsv, SkimDeclined, type SkimmedRecord } from './csv-skim.ts';
import { readAll } from './read-all.test-support.ts';
import { trickyCsvFiles } from './tricky-csv.test-support.ts';

/** The cells a skimmed record's spans stand for, decoded here only to compare them with the parser's. */
const cellsOf = (record: SkimmedRecord): string[] =>
  Array.from(record.starts, (start, i) => {
    const text = Buffer.from(record.bytes.subarray(start, record.ends[i])).toString('utf8');
    return record.escaped[i] === 1 ? text.replaceAll('""', '"') : text;
  });

/** The bytes in pieces of `size` (every boundary a record, a quote or a character can be cut at). */
function pieces(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts);
}

async function skim(
  bytes: Buffer,
  takeIf: (rowNumber: number) => boolean,
  pieceSize: number,
  options: Partial<FormatOptions> = {},
) {
  const { header } = await readAll(csvFormat, bytes, { encoding: 'utf8', ...options });
  const taken = new Map<number, string[]>();
  const skimmed = await openSkimmedCsv(
    pieces(bytes, pieceSize),
    { encoding: 'utf8', ...options },
    header.length,
    {
      take(record) {
        if (!takeIf(record.rowNumber)) return false;
        taken.set(record.rowNumber, cellsOf(record));
        return true;
      },
    },
  );
  const rows: SourceRow[] = [];
  for await (const batch of skimmed.rows.batches) rows.push(...batch);
  return {
    header: skimmed.rows.header,
    taken,
    rows,
    blankLines: skimmed.rows.stats().blankLines,
    count: skimmed.taken(),
  };
}

const FILES: Record<string, Buffer> = {
  'line endings that change within the file: CRLF, then LF, then CR, blank lines of each kind': Buffer.from(
    '名称,代码\r\n甲,1\r\n乙,2\n\n丙,3\r丁,4\r\r\n戊,5\n"己\r\n庚",6\r辛,7\n',
  ),
  // Cutting out a taken 1,2 or 3,4 would join the CR before it and the LF of the blank line after it into one CRLF.
  'a blank LF line after a record ending in a lone CR': Buffer.from('a,b\rX,1\r1,2\n\n3,4\n5,6\r\n\n7,8\n'),
  'text after a closing quote: its row left to the parser, the lines after it read apart': Buffer.from(
    '名称,处罚机关,金额\r\n甲,"济南市"市场监督管理局,1\r\n乙,"济南"市"局,2\r\n丙,济南"市"局,3\r\n丁,"济南市局"  ,4\r\n戊,"历下区",5\r\n',
  ),
  'blanks after the closing quote (spaces, a tab, U+3000, NBSP), after a cell spanning lines too':
    Buffer.from(
      '名称,说明,金额\n甲,"第一行\n第二行" ,1\n乙,"a"\t\u3000,2\n"丙\r\n丁"\u00a0 ,"x\ny"  ,4\n戊,"z" y,5\n',
    ),
  'LF, Chinese text': Buffer.from(
    '名称,代码,金额\n甲公司,91370100MA3C4XYZ1K,100\n乙公司,91370100MA3C4XYZ2K,2.5\n',
  ),
  'CRLF, quoted cells with delimiters, line breaks, doubled quotes, a lone CR; no final line break':
    Buffer.from(
      '名称,说明,金额\r\n"甲,公司","第一行\r\n第二行",1\r\n乙公司,"他说""是""",2\r\n丙公司,a\rb,3\r\n"丁""",,4',
    ),
  'CR line breaks': Buffer.from('a,b\r1,2\r"3\r4",5\r'),
  'a byte order mark before a quoted header': Buffer.from('\uFEFF"名称","代码"\n甲,1\n乙,2\n'),
  'blank lines, short and long rows, a quote inside an unquoted cell, bad bytes, emoji': Buffer.concat([
    Buffer.from('a,b,c\n1,2,3\n\n4,5\n6,7,8,9\n10,b"c,12\n13,'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(',15\n16,😀𠀀,18\n\n"",x,y\n19,20,21\n'),
  ]),
  'tab-separated': Buffer.from('名称\t代码\n"甲\t公司"\t1\n乙\t2\n'),
  'one column, with blank lines and an empty quoted cell': Buffer.from('代码\n1\n\n""\n2\n'),
  'over 64 KiB, so that the start is read in several pieces': Buffer.from(
    `编号,名称,金额\r\n${Array.from({ length: 3000 }, (_, i) => `${i},"单位${i}，""简称""",${i * 3}`).join('\r\n')}\r\n`,
  ),
};

describe('the skim of a UTF-8 CSV file reads every record as the parser does', () => {
  const policies = {
    'takes every record it may': () => true,
    'takes none': () => false,
    'takes every other row': (rowNumber: number) => rowNumber % 2 === 0,
  };
  for (const [name, bytes] of Object.entries(FILES)) {
    for (const [policy, takeIf] of Object.entries(policies)) {
      it(`${name}: ${policy}, in whole and in pieces of 1, 3 and 7 bytes`, async () => {
        const parsed = await readAll(csvFormat, bytes, { encoding: 'utf8' });
        for (const size of [bytes.length, 1, 3, 7]) {
          const { header, taken, rows, blankLines, count } = await skim(bytes, takeIf, size);
          expect(header).toEqual(parsed.header);
          // A taken record holds the cells the parser reads from it, and was a row without a problem.
          for (const [rowNumber, cells] of taken) {
            const row = parsed.rows.find((candidate) => candidate.rowNumber === rowNumber);
            expect(row?.problem, `row ${rowNumber}`).toBeUndefined();
            expect(cells, `row ${rowNumber}`).toEqual(row?.cells);
          }
          // The rest reach the parser as they were: the same rows, numbers, cells and problems.
          expect(rows).toEqual(parsed.rows.filter((row) => !taken.has(row.rowNumber)));
          expect(blankLines).toBe(parsed.blankLines);
          expect(count).toBe(taken.size);
          if (policy === 'takes none') expect(count).toBe(0);
        }
      });
    }
  }

  it('offers the skimmer only records it can read whole: none with a problem, a wrong cell count or bad bytes', async () => {
    const bytes =
      FILES['blank lines, short and long rows, a quote inside an unquoted cell, bad bytes, emoji']!;
    const { taken } = await skim(bytes, () => true, bytes.length);
    expect([...taken.keys()]).toEqual([2, 6, 8, 10, 11]);
    expect(taken.get(6)).toEqual(['10', 'b"c', '12']);
    expect(taken.get(8)).toEqual(['16', '😀𠀀', '18']);
    expect(taken.get(10)).toEqual(['', 'x', 'y']);
  });
});

describe('blanks after a closing quote, which the parser drops', () => {
  it('keep the record for the skim to take, its quoted cell spanning lines or not', async () => {
    const bytes =
      FILES['blanks after the closing quote (spaces, a tab, U+3000, NBSP), after a cell spanning lines too']!;
    const { taken, rows } = await skim(bytes, () => true, 5);
    expect([...taken]).toEqual([
      [2, ['甲', '第一行\n第二行', '1']],
      [3, ['乙', 'a', '2']],
      [4, ['丙\r\n丁', 'x\ny', '4']],
    ]);
    // Text after a closing quote is still left to the parser, which rejects its row.
    expect(rows.map((row) => [row.rowNumber, row.problem?.code])).toEqual([[5, 'malformed-quotes']]);
  });
});

describe('the skim against the parser on generated files of tricky bytes', () => {
  it('takes only what the parser reads alike and passes the rest as it was, or gives way (1,500 files)', async () => {
    const outcomes = { compared: 0, declined: 0, parserRefused: 0, strayQuotes: 0 };
    let n = 0;
    for (const bytes of trickyCsvFiles(17, 1500)) {
      const takeIf = [() => true, (rowNumber: number) => rowNumber % 2 === 0][n % 2]!;
      const size = [bytes.length, 1, 2, 5][n++ % 4]!;
      const parsed = await readAll(csvFormat, bytes, { encoding: 'utf8' }).catch(() => undefined);
      if (!parsed) {
        outcomes.parserRefused++;
        continue;
      }
      const skimmed = await skim(bytes, takeIf, size).catch((error: unknown) => {
        if (error instanceof SkimDeclined) return undefined;
        throw error;
      });
      if (!skimmed) {
        outcomes.declined++;
        continue;
      }
      outcomes.compared++;
      if (parsed.rows.some((row) => row.problem?.code === 'malformed-quotes')) outcomes.strayQuotes++;
      const file = `${JSON.stringify(bytes.toString('latin1'))} in pieces of ${size}`;
      expect(skimmed.header, file).toEqual(parsed.header);
      for (const [rowNumber, cells] of skimmed.taken) {
        const row = parsed.rows.find((candidate) => candidate.rowNumber === rowNumber);
        expect(row?.problem, `${file}, row ${rowNumber}`).toBeUndefined();
        expect(cells, `${file}, row ${rowNumber}`).toEqual(row?.cells);
      }
      expect(skimmed.rows, file).toEqual(parsed.rows.filter((row) => !skimmed.taken.has(row.rowNumber)));
      expect(skimmed.blankLines, file).toBe(parsed.blankLines);
    }
    // The files are tricky, not hopeless: most are compared, not given up on, text after a closing quote among them
    // (the skim leaves such a record to the parser). It gives way only where the parser fails the file.
    expect(outcomes.compared).toBeGreaterThan(1000);
    expect(outcomes.strayQuotes).toBeGreaterThan(100);
    expect(outcomes.declined).toBeLessThanOrEqual(outcomes.parserRefused);
  });
});

describe('the skim gives way to the parser where it could read records differently', () => {
  const skimAll = async (text: string, options: Partial<FormatOptions> = {}) => {
    const skimmed = await openSkimmedCsv(pieces(Buffer.from(text), 4), { encoding: 'utf8', ...options }, 2, {
      take: () => true,
    });
    for await (const _batch of skimmed.rows.batches);
    return skimmed;
  };

  it.each([
    ['a quote never closed', 'a,b\n1,2\n"3,4\n5,6\n'],
    ['text after the closing quote of a cell holding a line break', 'a,b\n1,2\n"3\n4"x,5\n6,7\n'],
  ])('%s: SkimDeclined, before the parser sees the record', async (_name, text) => {
    await expect(skimAll(text)).rejects.toBeInstanceOf(SkimDeclined);
  });

  it('a record longer than the line limit: SkimDeclined once the limit is passed', async () => {
    const text = `a,b\n1,2\n3,${'x'.repeat(5000)}\n`;
    await expect(skimAll(text, { limits: { maxLineBytes: 1024 } })).rejects.toBeInstanceOf(SkimDeclined);
  });
});
