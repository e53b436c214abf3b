import { describe, expect, it } from 'vitest';
import { decisionsWorkbook } from './penalty-workbook.test-support.ts';
import { prefixedWorkbook, withMainPrefix } from './prefixed-workbook.test-support.ts';
import { readAll } from './read-all.test-support.ts';
import { workbookWithSheetData } from './sheet-data-workbook.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { MainPrefix } from './xlsx-main-prefix.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';
import { SKIPPED_MARKUP } from './xml-skipped-markup.ts';

/**
 * Workbooks whose parts write the SpreadsheetML main namespace with a prefix (`<x:worksheet xmlns:x="…/main">
 * <x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c>`), as the Open XML SDK (.NET) and some Java
 * exporters do. Excel opens them; the sheet read as empty (`empty-file`), a prefixed workbook.xml or styles.xml failed
 * the file as `not-a-workbook`. Each must load as its unprefixed twin.
 */
const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

async function penaltyBook(rows: number): Promise<Buffer> {
  const book = decisionsWorkbook(rows);
  const sheet = book.getWorksheet('处罚')!;
  sheet.getCell('C4').value = { formula: 'C3+1', result: 5.5 };
  sheet.getCell('D5').value = { error: '#N/A' };
  sheet.mergeCells('D6:D8');
  book.addWorksheet('隐藏').state = 'hidden';
  return Buffer.from(await book.xlsx.writeBuffer());
}

const options = { headerFits: (header: readonly string[]) => header[0] === '行政处罚决定书文号' };

describe('a workbook whose parts write the main namespace with a prefix', () => {
  it('reads the same rows, values, dates, merges and errors as its unprefixed twin', async () => {
    // 3,000 rows: the sheet's text spans many chunks, tags cut between them.
    const plain = await penaltyBook(3000);
    const prefixed = await prefixedWorkbook(plain);
    const twin = await readAll(xlsxFormat, plain, options);
    expect(twin.rows).toHaveLength(3000);
    expect(twin.rows[1]?.cells).toEqual(['鲁市监罚〔2026〕1号', '2026-08-07', '2.5', '济南市市场监督管理局']);
    expect(await readAll(xlsxFormat, prefixed, options)).toEqual(twin);
  });

  it('reads a prefixed workbook.xml, sheet and shared strings with another prefix, r:id left as it is', async () => {
    const plain = await penaltyBook(3);
    let workbookXml = '';
    const prefixed = await repackWorkbook(plain, {
      edit: (part, text) => {
        const edited = withMainPrefix(text, 'ss');
        if (part === 'xl/workbook.xml') workbookXml = edited;
        return edited;
      },
    });
    expect(workbookXml).toMatch(
      /<ss:sheets><ss:sheet sheetId="1" name="说明" state="visible" r:id="rId\d+"\/>/,
    );
    expect(await readAll(xlsxFormat, prefixed, options)).toEqual(await readAll(xlsxFormat, plain, options));
  });

  it('fails a bad sheet with the same error as its twin', async () => {
    const rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>';
    const plain = await workbookWithSheetData(`${rows}<row r="2"><c r="A2" t="s"><v>1</v></c></row>`, [
      '名称',
      '甲',
    ]);
    const failure = (bytes: Buffer) => readAll(xlsxFormat, bytes).catch((error: Error) => error);
    const twin = await failure(plain);
    expect(twin).toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining('第2行的行号重复'),
    });
    expect(await failure(await prefixedWorkbook(plain))).toEqual(twin);
  });

  it('fails a sheet that declares the prefix below its root, where its rows read as none', async () => {
    const plain = await penaltyBook(3);
    const below = await repackWorkbook(plain, {
      edit: (part, text) =>
        part === 'xl/worksheets/sheet2.xml'
          ? text.replace(/<sheetData>.*<\/sheetData>/s, (data) =>
              withMainPrefix(`<sheetData xmlns="${MAIN}">${data.slice(11, -12)}</sheetData>`)
                .replace(`<x:sheetData xmlns:x="${MAIN}">`, `<sheetData xmlns:x="${MAIN}">`)
                .replace(/<\/x:sheetData>$/, '</sheetData>'),
            )
          : undefined,
    });
    const error = await readAll(xlsxFormat, below, options).catch((failure: Error) => failure);
    expect(error).toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining(
        '工作表数据 xl/worksheets/sheet2.xml 中根元素以下的标记把命名空间前缀「x」绑定到 SpreadsheetML 主命名空间',
      ),
    });
  });

  it('reads a sheet whose comments and processing instructions below the root hold such a declaration as text', async () => {
    const plain = await penaltyBook(3);
    const noted = await repackWorkbook(plain, {
      edit: (part, text) =>
        part === 'xl/worksheets/sheet2.xml'
          ? text.replace(
              '</sheetData>',
              `</sheetData><!-- 旧模板：<sheetData xmlns:x="${MAIN}"> --><?note xmlns:y="${MAIN}"?>`,
            )
          : undefined,
    });
    expect(await readAll(xlsxFormat, noted, options)).toEqual(await readAll(xlsxFormat, plain, options));
  });

  it('reads shared strings that declare the prefix below their root: their reader takes elements by local name', async () => {
    const plain = await penaltyBook(3);
    const below = await repackWorkbook(plain, {
      edit: (part, text) =>
        part === 'xl/sharedStrings.xml'
          ? text.replace(/<si>/, `<si xmlns:x="${MAIN}">`).replace(/<t>([^<]*)<\/t>/, '<x:t>$1</x:t>')
          : undefined,
    });
    expect(await readAll(xlsxFormat, below, options)).toEqual(await readAll(xlsxFormat, plain, options));
  });
});

describe('MainPrefix', () => {
  const sheet = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- <x:c> in a comment before the root -->',
    `<x:worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:x="${MAIN}">`,
    '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t><![CDATA[<x:t>甲</x:t>]]></x:t></x:is></x:c>',
    '<x:c r="B1" t="s"><x:v>0</x:v></x:c></x:row><!-- </x:row> --><?pi <x:row?></x:sheetData>',
    '<x:hyperlinks><x:hyperlink ref="A1" r:id="rId1"/></x:hyperlinks><xy:c/><x:legacyDrawing r:id="rId2"/></x:worksheet>',
  ].join('');
  const unprefixed = sheet
    .replace(/<x:worksheet/, '<worksheet')
    .replace(/<(\/?)x:(?!t>甲)/g, (all, slash: string, at: number) =>
      inMarkup(sheet, at) ? all : `<${slash}`,
    );

  const through = (chunks: Buffer[]) => {
    const prefix = new MainPrefix(1024);
    return Buffer.concat([...chunks.map((chunk) => prefix.scan(chunk)), prefix.end()]).toString('utf8');
  };

  it('takes the prefix off wherever the chunks cut the text, comments, CDATA and other prefixes left as they are', () => {
    expect(unprefixed).toContain('<t><![CDATA[<x:t>甲</x:t>]]></t>');
    expect(unprefixed).toContain('<!-- </x:row> --><?pi <x:row?></sheetData>');
    expect(unprefixed).toContain('r:id="rId1"/></hyperlinks><xy:c/>');
    const bytes = Buffer.from(sheet);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(through([bytes.subarray(0, cut), bytes.subarray(cut)])).toBe(unprefixed);
    }
    expect(through([...bytes].map((byte) => Buffer.from([byte])))).toBe(unprefixed);
  });

  it('passes a part without the prefix through as it is, even one whose prefix is bound to another namespace', () => {
    const other = sheet.replace(MAIN, 'urn:other');
    expect(through([Buffer.from(other)])).toBe(other);
    const plain = Buffer.from(`<worksheet xmlns="${MAIN}"><sheetData><row r="1"/></sheetData></worksheet>`);
    expect(through([plain.subarray(0, 30), plain.subarray(30)])).toBe(plain.toString());
    const prefix = new MainPrefix(1024);
    prefix.scan(plain.subarray(0, 90));
    // Once the root has said there is no prefix, a chunk goes on as it came, not copied.
    const rest = plain.subarray(90);
    expect(prefix.scan(rest)).toBe(rest);
  });
});

describe('MainPrefix, strict and below the root', () => {
  const STRICT = 'http://purl.oclc.org/ooxml/spreadsheetml/main';
  const through = (chunks: Buffer[]) => {
    const prefix = new MainPrefix(1024);
    const text = Buffer.concat([...chunks.map((chunk) => prefix.scan(chunk)), prefix.end()]).toString('utf8');
    return { text, misplaced: prefix.misplaced };
  };
  const everyCut = (text: string, check: (out: ReturnType<typeof through>) => void) => {
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++)
      check(through([bytes.subarray(0, cut), bytes.subarray(cut)]));
    check(through([...bytes].map((byte) => Buffer.from([byte]))));
  };

  it("takes off the prefix of Excel's strict main namespace wherever the chunks cut it", () => {
    const sheet = `<x:worksheet xmlns:x="${STRICT}"><x:sheetData><x:row r="1"><x:c r="A1" t="d"><x:v>2026-08-07T00:00:00</x:v></x:c></x:row></x:sheetData></x:worksheet>`;
    const plain = `<worksheet xmlns:x="${STRICT}"><sheetData><row r="1"><c r="A1" t="d"><v>2026-08-07T00:00:00</v></c></row></sheetData></worksheet>`;
    everyCut(sheet, (out) => expect(out).toEqual({ text: plain, misplaced: undefined }));
  });

  it('finds a prefix bound to the main namespace below the root, wherever the chunks cut its declaration', () => {
    for (const [root, namespace, end] of [
      [`<worksheet xmlns="${MAIN}">`, MAIN, '</worksheet>'],
      [`<worksheet xmlns="${STRICT}">`, STRICT, '</worksheet>'],
      [`<y:worksheet xmlns:y="${MAIN}">`, STRICT, '</y:worksheet>'],
    ] as const) {
      const sheet = `${root}<sheetData xmlns:x='${namespace}'><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></sheetData>${end}`;
      everyCut(sheet, (out) => expect(out.misplaced).toBe('x'));
    }
  });

  it('finds none in comments, CDATA or processing instructions, however long, wherever the chunks cut them', () => {
    const skipped = [
      `<worksheet xmlns="${MAIN}"><sheetData><!-- <sheetData xmlns:p="${MAIN}"> -->`,
      `<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<a xmlns:q='${MAIN}'>]]></t></is></c></row>`,
      `<?pi <b xmlns:r="${MAIN}"?><!--${'长'.repeat(200)} xmlns:s="${MAIN}" ${'>'.repeat(300)}-->`,
      `</sheetData><![CDATA[ <c xmlns:t="${MAIN}"]]></worksheet>`,
    ].join('');
    everyCut(skipped, (out) => expect(out.misplaced).toBeUndefined());
    // One in a tag after them is found all the same.
    const after = skipped.replace('</worksheet>', `<extLst xmlns:u="${MAIN}"/></worksheet>`);
    everyCut(after, (out) => expect(out.misplaced).toBe('u'));
  });

  it('finds a declaration longer than a chunk of its text, wherever one or two chunk ends cut it', () => {
    const prefix = 'p'.repeat(300);
    for (const declaration of [
      `xmlns:x${' '.repeat(300)}=\n${' '.repeat(20)}"${MAIN}"`,
      `xmlns:${prefix}='${MAIN}'`,
    ]) {
      const sheet = `<worksheet xmlns="${MAIN}"><sheetData ${declaration}><row r="1"/></sheetData></worksheet>`;
      const found = declaration.startsWith('xmlns:x ') ? 'x' : prefix;
      everyCut(sheet, (out) => expect(out.misplaced).toBe(found));
      // Two chunk ends within the declaration: its middle a chunk of its own.
      const bytes = Buffer.from(sheet);
      const start = sheet.indexOf('xmlns:');
      for (let cut = start; cut <= start + declaration.length; cut++) {
        for (const middle of [1, 7, 100]) {
          const chunks = [
            bytes.subarray(0, cut),
            bytes.subarray(cut, cut + middle),
            bytes.subarray(cut + middle),
          ];
          expect(through(chunks).misplaced).toBe(found);
        }
      }
    }
  });

  it('finds none in the root, in the root prefix declared again, in text, or for another namespace', () => {
    const sheet = [
      `<x:worksheet xmlns:x="${MAIN}" xmlns:r="http://purl.oclc.org/ooxml/officeDocument/relationships">`,
      `<x:sheetData xmlns:x="${MAIN}"><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a xmlns:y="${MAIN}"</x:t></x:is></x:c>`,
      `</x:row></x:sheetData><x:extLst><x:ext xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"/>`,
      '</x:extLst></x:worksheet>',
    ].join('');
    everyCut(sheet, (out) => expect(out.misplaced).toBeUndefined());
  });
});

/** Whether `at` is inside a comment, CDATA or processing instruction of `text`. */
function inMarkup(text: string, at: number): boolean {
  for (const [start, end] of SKIPPED_MARKUP) {
    const open = text.lastIndexOf(start, at - 1);
    if (open >= 0 && text.indexOf(end, open) > at) return true;
  }
  return false;
}
