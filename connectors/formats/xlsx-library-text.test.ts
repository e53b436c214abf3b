import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { expectNoLibraryText } from '../library-text.test-support.ts';
import { type DeflatedEntry, zipBytes } from '../transports/zip-fixture.test-support.ts';
import { crc32 } from '../zip-crc.ts';
import { penaltyWorkbook } from './penalty-workbook.test-support.ts';
import { readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * A workbook exceljs, saxes, yauzl or zlib cannot read fails as `not-a-workbook` with a message in the provider's
 * words — which part, what is wrong, where — never the library's English (`2:4396: unmatched closing tag:
 * worksheet.`, `invalid code lengths set`, `End of central directory record signature not found`).
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'xlsx-library-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let saved: Buffer;
beforeAll(async () => {
  const file = path.join(dir, 'book.xlsx');
  await penaltyWorkbook({ rows: 20 }).xlsx.writeFile(file);
  saved = readFileSync(file);
});

/** The message a workbook fails with: `not-a-workbook`, free of library text. */
async function failure(bytes: Buffer): Promise<string> {
  const error = await readAll(xlsxFormat, bytes).then(
    () => undefined,
    (caught: Error & { code?: string }) => caught,
  );
  expect(error).toMatchObject({ code: 'not-a-workbook' });
  expectNoLibraryText(error?.message);
  return error?.message ?? '';
}

/** The part named holds `text` with `from` replaced by `to`, packed again with a CRC-32 that fits it. */
const edited = (part: string, from: string, to: string) =>
  repackWorkbook(saved, {
    edit: (name, text) => {
      if (name !== part) return undefined;
      expect(text).toContain(from);
      return text.replace(from, to);
    },
  });

/** The workbook's parts deflated again, `change` applied to each entry as packed. */
async function repacked(change: (entry: DeflatedEntry) => DeflatedEntry): Promise<Buffer> {
  const zip = await yauzl.fromBufferPromise(saved, { lazyEntries: true });
  const entries: DeflatedEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    const name = Buffer.from(entry.fileName);
    entries.push(
      change({ name, utf8: true, packed: deflateRawSync(data), crc: crc32(data), size: data.length }),
    );
  }
  zip.close();
  return zipBytes(entries);
}
const SHEET = 'xl/worksheets/sheet1.xml';
const inPart = (part: string, change: (entry: DeflatedEntry) => DeflatedEntry) => (entry: DeflatedEntry) =>
  entry.name.toString() === part ? change(entry) : entry;

describe('a file that is no .xlsx at all says what it is', () => {
  it.each([
    [
      'a CSV renamed .xlsx',
      Buffer.from('名称,金额\n甲公司,1\n'),
      '文件内容不是 .xlsx 工作簿（可能是 CSV、文本、网页等文件改了扩展名）',
    ],
    [
      'an Excel 97-2003 workbook renamed .xlsx',
      Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(1024)]),
      '文件内容是 Excel 97-2003（.xls）或 WPS（.et）文件，不是 .xlsx 工作簿',
    ],
    ['an empty file', Buffer.alloc(0), '文件是空的（0 字节）'],
  ])('%s', async (_case, bytes, what) => {
    expect(await failure(bytes)).toContain(`文件不是有效的 Excel 工作簿（.xlsx）：${what}，整个文件未入库。`);
  });

  it('a workbook cut short (an upload broken off): incomplete, not "not a workbook"', async () => {
    expect(await failure(saved.subarray(0, saved.length - 40))).toContain(
      '文件不是有效的 Excel 工作簿（.xlsx）：文件不完整（.xlsx 实为 zip 格式，文件末尾的目录记录缺失），多为上传、下载或复制中途中断',
    );
  });

  it('a damaged directory record of the zip', async () => {
    const bytes = Buffer.from(saved);
    bytes.writeUInt32LE(0x11111111, bytes.lastIndexOf(Buffer.from('504b0102', 'hex')));
    expect(await failure(bytes)).toContain('文件目录中有一项记录的开头标记不对（记录已损坏或位置有误）');
  });
});

describe('malformed XML names the part, the sheet, the position and the fault', () => {
  it('in a sheet: its name, line and character', async () => {
    const message = await failure(await edited(SHEET, '</row>', '</rwo>'));
    expect(message).toMatch(
      /^文件不是有效的 Excel 工作簿（\.xlsx）：工作表「处罚」（xl\/worksheets\/sheet1\.xml）无法读取：XML 格式错误（第\d+行第\d+个字符处：结束标签 <\/worksheet> 与前面的开始标签不配对），整个文件未入库：请用 Excel 打开后另存为 \.xlsx 重新报送/,
    );
  });

  it.each([
    [
      'xl/workbook.xml',
      '<sheets>',
      '<sheets><<',
      '工作簿的结构（xl/workbook.xml，记录各工作表的名称和顺序）无法读取：XML 格式错误（第',
    ],
    ['xl/styles.xml', '<fonts', '<fonts <', '单元格格式（xl/styles.xml）无法读取：XML 格式错误（第'],
    [
      'xl/_rels/workbook.xml.rels',
      '<Relationship ',
      '<Relationship <',
      '工作表的索引（xl/_rels/workbook.xml.rels）无法读取：XML 格式错误（第',
    ],
    [
      'xl/sharedStrings.xml',
      '</si>',
      '</s>',
      '单元格文字（共享字符串表 xl/sharedStrings.xml）无法读取：XML 格式错误（有多余的结束标签）',
    ],
  ])('in %s', async (part, from, to, said) => {
    expect(await failure(await edited(part, from, to))).toContain(said);
  });

  it('a duplicate attribute and an unknown entity, in words', async () => {
    expect(await failure(await edited(SHEET, '<row ', '<row r="1" '))).toMatch(/同一标签中属性 r 出现了两次/);
    expect(await failure(await edited(SHEET, '<row ', '<row x="&foo;" '))).toContain(
      '有无法识别的字符引用（&…;）',
    );
  });
});

describe('damaged compression inside the workbook names the part', () => {
  it('deflate data changed in a sheet', async () => {
    const damaged = await repacked(
      inPart(SHEET, (entry) => {
        const packed = Buffer.from(entry.packed);
        for (let i = 20; i < packed.length; i += 7) packed[i] = (packed[i] ?? 0) ^ 0x5a;
        return { ...entry, packed };
      }),
    );
    expect(await failure(damaged)).toContain(
      '工作表「处罚」（xl/worksheets/sheet1.xml）无法读取：压缩数据已损坏，无法解压，整个文件未入库',
    );
  });

  it('deflate data cut short in the workbook part', async () => {
    const cut = await repacked(
      inPart('xl/workbook.xml', (entry) => ({ ...entry, packed: entry.packed.subarray(0, 8) })),
    );
    expect(await failure(cut)).toContain(
      '工作簿的结构（xl/workbook.xml，记录各工作表的名称和顺序）无法读取：压缩数据不完整，在中途断开',
    );
  });

  it('a part compressed with a method the platform does not read', async () => {
    const bzip2 = await repacked(inPart('xl/workbook.xml', (entry) => ({ ...entry, method: 12 as 8 })));
    expect(await failure(bzip2)).toContain(
      '工作簿的结构（xl/workbook.xml，记录各工作表的名称和顺序）无法读取：使用了不支持的压缩方式（编号 12，如 bzip2、LZMA）',
    );
  });
});
