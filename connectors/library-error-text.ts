import fs from 'node:fs/promises';

/**
 * What the libraries that read a delivery say when its bytes are damaged, in the provider's words. yauzl (zip and
 * .xlsx), zlib (deflate, gzip) and saxes (the XML parser inside exceljs) speak English and name their own
 * internals ("invalid code lengths set", "2:4396: unmatched closing tag: worksheet."); a file's rejection quoted
 * them as they were. Each function here gives a Chinese phrase for the messages it knows, or undefined: the caller
 * then says only what it knows itself (which file, which part), and keeps the library's error as the `cause` of
 * its FileFormatError, for the operator, never in the message.
 *
 * The messages are matched by their text (yauzl's and saxes' errors have no codes): those of yauzl 3.4.0 (pinned
 * in package.json) and saxes 5. A message that changes in another version is no longer recognised, and the
 * caller's general wording is used; library text never reaches the provider either way.
 */

const message = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : '';

const XML_PROBLEMS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/^unmatched closing tag: (.+?)\.?$/, (m) => `结束标签 </${m[1]}> 与前面的开始标签不配对`],
  [/^unexpected close tag\.?$/, () => '有多余的结束标签'],
  [/^unclosed tag: (.+?)\.?$/, (m) => `标签 <${m[1]}> 没有结束，内容在中途断开（多为文件不完整）`],
  [/^unexpected end\.?$/, () => '内容在中途断开（多为文件不完整）'],
  [/^disallowed character in (?:tag name|closing tag)\.?$/, () => '标签名中有 XML 不允许的字符'],
  [/^disallowed character in attribute name\.?$/, () => '属性名中有 XML 不允许的字符'],
  [/^duplicate attribute: (.+?)\.?$/, (m) => `同一标签中属性 ${m[1]} 出现了两次`],
  [
    /^(?:undefined entity|malformed character entity|empty entity name)\.?$/,
    () => '有无法识别的字符引用（&…;）',
  ],
  [
    /^(?:attribute without value|unquoted attribute value|value must be quoted|value required|no whitespace between attributes)\.?$/,
    () => '属性的写法不符合 XML 规范',
  ],
  [/^(?:text data outside of root node|documents may contain only one root)\.?$/, () => '根元素之外还有内容'],
  [/^document must contain a root element\.?$/, () => '没有任何 XML 内容'],
  [/^unbound namespace prefix: (.+?)\.?$/, (m) => `使用了未声明的命名空间前缀 ${m[1]}`],
  [/^disallowed character\.?$/, () => '含有 XML 不允许的字符'],
];

/** saxes puts the position first when it tracks one: `line:column: message`, or `name:line:column: message`. */
const XML_POSITION = /^(?:[^\n]*?:)?(\d+):(\d+): (.*)$/s;

/**
 * A saxes error (malformed XML) in Chinese: what is wrong, and where when the parser knew (`第2行第4396个字符处`);
 * undefined for any other error.
 */
export function xmlDamageText(error: unknown): string | undefined {
  const text = message(error);
  const positioned = XML_POSITION.exec(text);
  const problem = positioned ? (positioned[3] ?? '') : text;
  for (const [pattern, say] of XML_PROBLEMS) {
    const match = pattern.exec(problem);
    if (!match) continue;
    const where = positioned ? `第${positioned[1]}行第${positioned[2]}个字符处` : '';
    return `XML 格式错误（${where}${where ? '：' : ''}${say(match)}）`;
  }
  return undefined;
}

/** zlib's codes for data it cannot inflate or gunzip. */
const ZLIB_CODES = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_NEED_DICT', 'Z_STREAM_ERROR']);

/**
 * A zlib error (deflate or gzip data that cannot be decompressed) in Chinese; undefined for any other error.
 * `unexpected end of file` is data cut short; `incorrect data check` is gzip's own CRC-32 not matching.
 */
export function inflateDamageText(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !ZLIB_CODES.has(code)) return undefined;
  const text = message(error);
  if (/unexpected end of file/i.test(text))
    return '压缩数据不完整，在中途断开（多为上传、下载或复制中途中断）';
  if (/incorrect header check/i.test(text)) return '文件开头没有 gzip 格式的标记，不是 gzip 压缩文件';
  if (/incorrect data check/i.test(text))
    return '解压出的内容与文件记录的校验值（CRC-32）不符，文件在压缩后被改动或传输中出错';
  return '压缩数据已损坏，无法解压';
}

const ZIP_PROBLEMS: [RegExp, (match: RegExpExecArray) => string][] = [
  [
    /^End of central directory record signature not found/,
    () => '找不到 zip 格式末尾的目录记录（文件不完整，或不是 zip 格式）',
  ],
  [/^Invalid comment length/, () => 'zip 格式末尾的目录记录之后有多余或缺失的字节（文件不完整或被改动）'],
  [/^invalid zip64 end of central directory/, () => 'zip 格式末尾的目录记录（ZIP64）已损坏'],
  [
    /^multi-disk zip files are not supported/,
    () => '文件是分卷压缩包（.z01、.z02 …）的一部分，平台不接收分卷压缩包',
  ],
  [
    /^invalid central directory file header signature/,
    () => '文件目录中有一项记录的开头标记不对（记录已损坏或位置有误）',
  ],
  [/^zip64 extended information extra field/, () => '文件目录中有一项记录的 ZIP64 扩展信息不完整'],
  [/^extra field length exceeds/, () => '文件目录中有一项记录的附加信息长度有误'],
  [/^strong encryption is not supported/, () => '使用了强加密，无法读取'],
  [
    /^compressed\/uncompressed size mismatch for stored file: (\d+) != (\d+)/,
    (m) => `有一个未压缩存放的文件，其目录记录的两个大小不一致（${m[1]} 与 ${m[2]} 字节）`,
  ],
  [
    /^(?:invalid relative path|absolute path|invalid characters in fileName)/,
    () => '含有不安全的文件名（上级目录“..”或绝对路径）',
  ],
  [/^invalid local file header signature/, () => '文件数据不在目录记录所指的位置（文件不完整或被改动）'],
  [/^file data overflows file bounds/, () => '文件数据超出了文件末尾（文件不完整）'],
  [/^unexpected EOF/, () => '文件在中途结束（文件不完整）'],
  [/^unsupported compression method: (\d+)/, (m) => `使用了不支持的压缩方式（编号 ${m[1]}，如 bzip2、LZMA）`],
  [
    /^too many bytes in the stream\. expected (\d+)\. got at least (\d+)/,
    (m) => `解压后的大小超过了目录记录的 ${m[1]} 字节（文件被改动，或不是标准工具生成的）`,
  ],
  [
    /^not enough bytes in the stream\. expected (\d+)\. got only (\d+)/,
    (m) => `解压后只有 ${m[2]} 字节，少于目录记录的 ${m[1]} 字节（文件不完整或被改动）`,
  ],
];

/** A yauzl error (a zip, or an .xlsx, whose structure is damaged) in Chinese; undefined for any other error. */
export function zipDamageText(error: unknown): string | undefined {
  const text = message(error);
  for (const [pattern, say] of ZIP_PROBLEMS) {
    const match = pattern.exec(text);
    if (match) return say(match);
  }
  return undefined;
}

/** Any of the three, or undefined when none knows the error. */
export function damageText(error: unknown): string | undefined {
  return inflateDamageText(error) ?? xmlDamageText(error) ?? zipDamageText(error);
}

/** Kinds of file a provider may send in place of a zip or .xlsx, by their first bytes. */
const SIGNATURES: { bytes: number[]; kind: string }[] = [
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], kind: 'Excel 97-2003（.xls）或 WPS（.et）文件' },
  { bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], kind: 'RAR 压缩包' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], kind: '7z 压缩包' },
  { bytes: [0x1f, 0x8b], kind: 'gzip 压缩文件' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], kind: 'PDF 文件' },
];

/** What a file that yauzl found no zip in is instead, by its first bytes. */
export type NotZip =
  | { kind: 'empty' }
  /** Starts as a zip does, but its end (the central directory) is missing: cut short. */
  | { kind: 'truncated' }
  | { kind: 'other'; what: string }
  | { kind: 'unknown' };

/** `head`: the file's first bytes (8 are enough), undefined when they could not be read. */
export function notZipKind(head: Uint8Array | undefined): NotZip {
  if (!head) return { kind: 'unknown' };
  if (head.length === 0) return { kind: 'empty' };
  if (head[0] === 0x50 && head[1] === 0x4b) return { kind: 'truncated' };
  const known = SIGNATURES.find(({ bytes }) => bytes.every((byte, i) => head[i] === byte));
  return known ? { kind: 'other', what: known.kind } : { kind: 'unknown' };
}

/** yauzl's "not a zip at all" (its end record is missing), as opposed to a zip damaged inside. */
export function isNotZipError(error: unknown): boolean {
  return /^End of central directory record signature not found/.test(message(error));
}

/** The first bytes of a file, enough for `notZipKind`; undefined when they cannot be read. */
export async function fileHead(file: string): Promise<Buffer | undefined> {
  try {
    const handle = await fs.open(file);
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(8), 0, 8, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
