import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../contracts.ts';
import { readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';
import { SharedStrings } from './xlsx-shared-strings.ts';

describe('SharedStrings', () => {
  it('returns each string by its index across chunk boundaries, rich text as its plain text', () => {
    const table = new SharedStrings();
    for (let i = 0; i < 10_000; i++)
      table.push(i === 4096 ? { richText: [{ text: '济南' }, { text: '市' }] } : `s${i}`);
    expect(table.size).toBe(10_000);
    expect([table.get(0), table.get(4095), table.get(4096), table.get(4097), table.get(9999)]).toEqual([
      's0',
      's4095',
      '济南市',
      's4097',
      's9999',
    ]);
    expect(table.get(10_000)).toBeUndefined();
  });

  it('fails the workbook with workbook-too-large once the table outgrows its share of the heap', () => {
    const table = new SharedStrings(1_200);
    // Ten Chinese characters a string, two bytes each and four for its offset: fifty fill 1,200 bytes exactly.
    for (let i = 0; i < 50; i++) table.push('处罚决定书文号'.padEnd(10, '号'));
    const overflow = () => table.push('处罚决定书文号'.padEnd(10, '号'));
    expect(overflow).toThrow(FileFormatError);
    expect(overflow).toThrow(/共享字符串表.*过大.*拆分为多个文件/);
    try {
      overflow();
    } catch (error) {
      expect((error as FileFormatError).code).toBe('workbook-too-large');
    }
  });
});

/** A workbook whose shared strings part holds `strings` (its `<si>` elements) and whose sheet holds `sheetData`. */
async function workbookWith(strings: string, sheetData: string): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.addWorksheet('处罚').addRow(['x']);
  const bytes = Buffer.from(await book.xlsx.writeBuffer());
  return repackWorkbook(bytes, {
    edit: (part, text) =>
      part === 'xl/sharedStrings.xml'
        ? text.replace(/(<sst\b[^>]*>).*<\/sst>/s, `$1${strings}</sst>`)
        : part === 'xl/worksheets/sheet1.xml'
          ? text.replace(/<sheetData>.*<\/sheetData>/s, `<sheetData>${sheetData}</sheetData>`)
          : undefined,
  });
}

/** Rows of `width` cells, each pointing to the next shared string in order. */
function rowsOf(count: number, width: number): string {
  let index = 0;
  return Array.from({ length: Math.ceil(count / width) }, (_, r) => {
    const cells = Array.from({ length: width }, (_, c) => {
      const cell =
        index < count ? `<c r="${String.fromCharCode(65 + c)}${r + 1}" t="s"><v>${index}</v></c>` : '';
      index++;
      return cell;
    });
    return `<row r="${r + 1}">${cells.join('')}</row>`;
  }).join('');
}

describe('shared strings read through the xlsx format', () => {
  it('are the text of their <t> or their runs’ <t>: never a phonetic guide, CDATA kept, decoded once', async () => {
    const strings = [
      '<si><t>名称</t></si>',
      '<si><t>备注</t></si>',
      // A phonetic guide (furigana) as Japanese Excel writes it: not what the cell shows.
      '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1" type="noConversion"/></si>',
      '<si><r><t>大阪</t></r><r><rPr><b/><sz val="11"/></rPr><t>府</t></r><rPh sb="0" eb="2"><t>オオサカ</t></rPh><rPh sb="2" eb="3"><t>フ</t></rPh><phoneticPr fontId="1"/></si>',
      // CDATA, alone and between text.
      '<si><t><![CDATA[a<b>&c]]></t></si>',
      '<si><t>甲<![CDATA[<乙>]]>丙</t></si>',
      // Written indented: the layout between tags is no text; `_x000D_` decoded as today, a reference once.
      '<si>\n  <t xml:space="preserve"> 罚_x000D_款 </t>\n</si>',
      '<si><t>&amp;lt;</t></si>',
      // Elements with a prefix, as the Open XML SDK can write them.
      '<x:si><x:r><x:t>青岛</x:t></x:r><x:r><x:t>市</x:t></x:r></x:si>',
      '<si><t/></si>',
    ];
    const bytes = await workbookWith(strings.join(''), rowsOf(strings.length, 2));
    const { header, rows } = await readAll(xlsxFormat, bytes);
    expect(header).toEqual(['名称', '备注']);
    expect(rows.map((row) => row.cells)).toEqual([
      ['東京', '大阪府'],
      ['a<b>&c', '甲<乙>丙'],
      [' 罚\r款 ', '&lt;'],
      ['青岛市', ''],
    ]);
  });

  it('keeps every string in its place across the stream’s chunks', async () => {
    const count = 30_000;
    const strings = Array.from({ length: count }, (_, i) =>
      i < 2
        ? `<si><t>列${i}</t></si>`
        : i % 3 === 0
          ? `<si><r><t>第${i}</t></r><r><t>项</t></r><rPh sb="0" eb="1"><t>ダイ</t></rPh></si>`
          : `<si><t>第${i}项</t></si>`,
    ).join('');
    const { rows } = await readAll(xlsxFormat, await workbookWith(strings, rowsOf(count, 2)));
    const wrong = rows.flatMap((row, r) =>
      row.cells.filter((text, c) => text !== `第${(r + 1) * 2 + c}项`).map(() => row.rowNumber),
    );
    expect(rows).toHaveLength(count / 2 - 1);
    expect(wrong).toEqual([]);
  });

  it('fails the file when one string’s runs together are longer than CREDIT_ETL_MAX_LINE_BYTES', async () => {
    const strings = `<si><t>名称</t></si><si>${'<r><t>一段文字</t></r>'.repeat(20_000)}</si>`;
    const bytes = await workbookWith(strings, rowsOf(2, 1));
    await expect(readAll(xlsxFormat, bytes, { limits: { maxLineBytes: 64 * 1024 } })).rejects.toMatchObject({
      code: 'cell-too-long',
      message: expect.stringContaining('xl/sharedStrings.xml'),
    });
  });
});
