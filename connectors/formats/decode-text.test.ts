import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../contracts.ts';
import { decodeText, detectEncoding } from './decode-text.ts';

// 一 is U+4E00: in UTF-16 it holds a zero byte on the other side than ASCII does.
const HEADER = '行政处罚决定书文号,行政相对人名称,处罚机关,统一社会信用代码\n';
const row = (n: number) => `鲁市监罚〔2026〕${n}号,济南示例商贸有限公司,济南市市场监督管理局\n`;

describe('detecting the encoding of a text file', () => {
  it('reads UTF-16 saved without a byte order mark, little- and big-endian', () => {
    const text = HEADER + row(1) + row(2);
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    expect(detectEncoding(le)).toBe('utf16le');
    expect(detectEncoding(be)).toBe('utf16be');
  });

  it('takes a Chinese header that is whole UTF-8 as UTF-8, though a row pasted from a GBK file is not', () => {
    const file = Buffer.concat([
      Buffer.from(HEADER + row(1)),
      iconv.encode(row(2), 'gbk'),
      Buffer.from(row(3)),
    ]);
    expect(detectEncoding(file)).toBe('utf8');
  });

  it('reads GBK as GB18030 when its header is whole UTF-8 by accident (bytes C2–DF A1–BF): no Chinese in it then', () => {
    // 住址, 职业, 状态 in GBK are two-byte UTF-8 characters (Hebrew, Cyrillic…); the rows are not UTF-8 at all.
    const header = iconv.encode('XM,ZJHM,住址,职业,状态\n', 'gbk');
    expect(isUtf8(header)).toBe(true);
    const rows = iconv.encode('张三,11010519491231002X,济南市历下区,教师,正常\n'.repeat(5), 'gbk');
    expect(detectEncoding(Buffer.concat([header, rows]))).toBe('gb18030');
    // The same header in UTF-8 still decides, whatever the rows pasted from GBK do to the ratio.
    expect(detectEncoding(Buffer.concat([Buffer.from('XM,ZJHM,住址,职业,状态\n'), rows]))).toBe('utf8');
  });

  it('still reads a GBK file as GB18030, with a Chinese header or with a header of codes', () => {
    expect(detectEncoding(iconv.encode(HEADER + row(1) + row(2), 'gbk'))).toBe('gb18030');
    expect(detectEncoding(iconv.encode(`CF_WSH,CF_XDR_MC,CF_JG\n${row(1)}${row(2)}`, 'gbk'))).toBe('gb18030');
  });

  it('leaves UTF-8 with a single NUL in a cell to the cell checks, not to UTF-16', () => {
    expect(detectEncoding(Buffer.from(`${HEADER}${row(1)}甲\0乙,丙,丁\n`))).toBe('utf8');
  });
});

describe('a file that is not text', () => {
  it.each([
    ['an xlsx workbook or zip', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00], '.xlsx 工作簿或 zip 压缩包'],
    [
      'a legacy .xls',
      [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x00],
      'Excel 97-2003（.xls）或 WPS（.et）文件',
    ],
    ['a gzip file', [0x1f, 0x8b, 0x08, 0x00], 'gzip 压缩文件'],
  ])('fails as unsupported-format, saying it is %s', async (_name, bytes, kind) => {
    const reading = decodeText(
      Readable.from([Buffer.concat([Buffer.from(bytes), Buffer.alloc(100, 7)])]),
      'auto',
    );
    await expect(reading).rejects.toThrow(FileFormatError);
    await expect(reading).rejects.toMatchObject({
      code: 'unsupported-format',
      message: expect.stringContaining(`文件内容是 ${kind}，不是 CSV 文本`),
    });
  });
});
