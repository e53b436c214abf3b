import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type yauzl from 'yauzl';
import { FileFormatError } from '../contracts.ts';
import { damageText } from '../library-error-text.ts';
import { crcCheck } from '../zip-crc.ts';
import { LINE_BYTES_OPERATOR_NOTE, sizeText } from './csv-rows.ts';
import { MainPrefix } from './xlsx-main-prefix.ts';
import { ownScan, XlsxReaderDefect } from './xlsx-reader-defect.ts';

/** How far into a part its prolog (XML declaration, comments, DOCTYPE) is looked for the root element. */
const PROLOG_BYTES = 64 * 1024;

/** What a part's text may cost before it reaches exceljs' parser. */
export interface PartLimits {
  /** `CREDIT_ETL_MAX_SHEET_XML_BYTES`: the part's inflated bytes. */
  maxPartBytes: number;
  /**
   * `CREDIT_ETL_MAX_LINE_BYTES`: bytes of text between two tags. exceljs gathers a cell's text whole before the
   * runner can weigh it (over `CREDIT_ETL_MAX_CELL_BYTES` the row is rejected); no cell may outgrow a record.
   */
  maxTextBytes: number;
}

/**
 * One XML part of a workbook as exceljs' parsers take it: text decoded across chunk boundaries (`setEncoding`
 * keeps a character cut in two whole), bounded (`PartLimits`), and refused if it declares a DOCTYPE.
 *
 * The Office Open XML packaging rules forbid DTDs in a package, and exceljs' parser (saxes) neither loads nor
 * expands entities: a DOCTYPE can only be an attack ("billion laughs", external entities) or damage, and is
 * refused before the parser sees it.
 *
 * Elements written with a prefix for the SpreadsheetML main namespace (`<x:row>`, as the Open XML SDK writes them)
 * reach the parsers without it (`MainPrefix`), as Excel would read them; the main namespace of Excel's "Strict Open
 * XML" save too. A prefix for it declared below the root (`<sheetData xmlns:x="…/main"><x:row>`) fails the part.
 */
export function partText(inflated: Readable, part: string, limits: PartLimits): Readable {
  let bytes = 0;
  // Bytes since the last `<`, counted per inflated chunk (16 KiB): a run within one chunk is under any limit.
  let textRun = 0;
  let prolog: string | undefined = '';
  // The part's last bytes, for `rootClosed`: a reference to the last chunk, copied only when chunks are short.
  let tail: Buffer = Buffer.alloc(0);
  const prefix = new MainPrefix(limits.maxTextBytes);
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      bytes += chunk.length;
      tail = chunk.length >= TAIL_BYTES ? chunk : Buffer.concat([tail.subarray(-TAIL_BYTES), chunk]);
      if (bytes > limits.maxPartBytes) return callback(partTooLarge(part, limits.maxPartBytes));
      const lastTag = chunk.lastIndexOf(0x3c);
      textRun = lastTag < 0 ? textRun + chunk.length : chunk.length - 1 - lastTag;
      if (textRun > limits.maxTextBytes) return callback(textTooLong(part, limits.maxTextBytes));
      if (prolog !== undefined) {
        // latin1 keeps every byte one character: the markup looked for is ASCII.
        prolog += chunk.toString('latin1', 0, Math.min(chunk.length, PROLOG_BYTES));
        const first = /<!DOCTYPE|<[A-Za-z_]/i.exec(prolog);
        if (first?.[0].toUpperCase() === '<!DOCTYPE') return callback(doctypeRefused(part));
        if (first || prolog.length >= PROLOG_BYTES) prolog = undefined;
      }
      // Thrown inside a transform, an error would escape the stream (pipe's write has no catch): handed back.
      let out: Buffer;
      try {
        out = ownScan(() => prefix.scan(chunk));
      } catch (error) {
        return callback(error as Error);
      }
      if (prefix.misplaced !== undefined && !READ_BY_LOCAL_NAME.has(part))
        return callback(prefixBelowRoot(part, prefix.misplaced));
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback: TransformCallback) {
      tails.set(guard, tail.toString('latin1', Math.max(tail.length - TAIL_BYTES, 0)));
      let rest: Buffer;
      try {
        rest = ownScan(() => prefix.end());
      } catch (error) {
        return callback(error as Error);
      }
      if (prefix.misplaced !== undefined && !READ_BY_LOCAL_NAME.has(part))
        return callback(prefixBelowRoot(part, prefix.misplaced));
      callback(null, rest.length > 0 ? rest : undefined);
    },
  });
  inflated.on('error', (error) => guard.destroy(asWorkbookError(error, part)));
  // Stopped early (refused, or the reader closed): the zip's descriptor is held until its stream is gone too.
  guard.on('close', () => inflated.destroy());
  // A sheet's part may fail before its rows are asked for (the merges are read first): the error is kept on the
  // stream and thrown by the reader's iteration, not raised as an unhandled event.
  guard.on('error', () => undefined);
  guard.setEncoding('utf8');
  return inflated.pipe(guard);
}

/** Parts read by a parser of our own that matches elements by their local name (`x:si` is `si`), whatever declares it. */
const READ_BY_LOCAL_NAME = new Set(['xl/sharedStrings.xml']);

/** How much of a part's end `rootClosed` looks at: its root's end tag, and what XML allows after it. */
const TAIL_BYTES = 4096;
/** The last bytes (latin1: the markup looked for is ASCII) of each part's text that has reached its end. */
const tails = new WeakMap<Readable, string>();

/**
 * Whether a part's text (from `partText`) ended with the end tag of its root element `root` (`</worksheet>`, or
 * `</x:worksheet>` as the Open XML SDK writes it; or the root written empty, `<sst count="0"/>`), nothing but
 * white space, comments and processing instructions after it, as XML allows; undefined while the text has not
 * reached its end (it failed, or is still being read).
 *
 * A part cut short (an exporter that stopped half-way, a file cut and zipped again, its CRC-32 then fitting) has
 * no such end: exceljs' parser is never closed, so never says so, and what was read before the cut would load as
 * if it were all. The parser checks that the tags it saw nest: the root's end tag at the end means every element
 * was closed.
 */
export function rootClosed(text: Readable, root: string): boolean | undefined {
  const tail = tails.get(text);
  if (tail === undefined) return undefined;
  let end = tail.length;
  for (;;) {
    while (end > 0 && XML_SPACE.has(tail.charCodeAt(end - 1))) end--;
    const misc = tail.endsWith('-->', end) ? '<!--' : tail.endsWith('?>', end) ? '<?' : undefined;
    if (misc === undefined) break;
    const start = tail.lastIndexOf(misc, end - 2);
    if (start < 0) return false;
    end = start;
  }
  const open = tail.lastIndexOf('<', end - 1);
  if (open < 0) return false;
  const last = tail.slice(open, end);
  return (END_TAG.exec(last) ?? EMPTY_ELEMENT.exec(last))?.[1] === root;
}

/** Space, tab, LF, CR: the white space XML allows between markup. */
const XML_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** An end tag; its name (without a prefix) the first group. */
const END_TAG = /^<\/(?:[^\s<>/:]+:)?([^\s<>/:]+)[ \t\r\n]*>$/;
/** An element with no content (`<sst count="0"/>`): a root written so is whole. */
const EMPTY_ELEMENT = /^<(?:[^\s<>/:]+:)?([^\s<>/:]+)(?:[ \t\r\n][^<]*)?\/>$/;

/**
 * A part that ends before its root element does (`rootClosed`): `not-a-workbook`, naming the part (and the sheet)
 * and where it stops (`stop`: after which row, after how many strings). Excel's repair of such a file keeps only
 * what comes before the cut: it is to be exported again from where it came from.
 */
export function partCutShort(part: string, stop: string, sheet?: string): FileFormatError {
  return new FileFormatError(
    'not-a-workbook',
    `文件不是有效的 Excel 工作簿（.xlsx）：${partLabel(part, sheet)}不完整，${stop}（后面的内容和结束标记都缺失，多为导出程序中途出错，或文件被截断后又重新压缩），整个文件未入库：请从原系统重新导出完整的文件后报送（Excel 打开时若提示“修复”，修复后的文件同样缺少中断处之后的内容，不能用来报送）`,
  );
}

/**
 * One part of the workbook's zip, inflated by yauzl (which checks its sizes), and failing at its end as
 * `not-a-workbook` when its bytes are not those the zip's CRC-32 stands for: a sheet changed by a byte would
 * otherwise load a wrong value (a date a decade off) as if the provider had sent it.
 */
export async function checkedPart(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  const inflated = await zip.openReadStreamPromise(entry);
  const check = crcCheck(entry.crc32, (found, recorded) => partCorrupt(entry.fileName, found, recorded));
  inflated.on('error', (error) => check.destroy(error));
  // Stopped early (refused, or the reader closed): the zip's descriptor is held until its stream is gone too.
  check.on('close', () => inflated.destroy());
  return inflated.pipe(check);
}

function partCorrupt(part: string, found: string, recorded: string): FileFormatError {
  return new FileFormatError(
    'not-a-workbook',
    `工作簿的 ${part} 已损坏：解压出的内容与文件记录的校验值不符（CRC-32 应为 ${recorded}，实为 ${found}），文件在保存后被改动或传输中出错，整个文件未入库：请用 Excel 打开确认内容无误后另存为 .xlsx 重新报送`,
  );
}

/**
 * The operators' remark after a part over the limit: `CREDIT_ETL_MAX_SHEET_XML_BYTES`, which only they can set.
 * What a provider reads (the direct-report page, the report it downloads, a review notice) is the message without
 * it (src/report/provider-message.ts).
 */
export const SHEET_XML_BYTES_OPERATOR_NOTE = '（运维人员可用 CREDIT_ETL_MAX_SHEET_XML_BYTES 调整上限）';

/** A part over `CREDIT_ETL_MAX_SHEET_XML_BYTES`, by the zip's statement (`stated`) or while inflating it. */
export function partTooLarge(part: string, maxBytes: number, stated?: number): FileFormatError {
  const size = stated === undefined ? `解压后超过 ${sizeText(maxBytes)}` : `解压后有 ${sizeText(stated)}`;
  return new FileFormatError(
    'workbook-too-large',
    `工作簿的 ${part} ${size}，超过单个工作表（及共享字符串表）的上限 ${sizeText(maxBytes)}，整个文件未入库：请把数据拆分为多个文件，或另存为 CSV 后报送；若表格本不该这么大，请检查是否有大量空白格式行或异常内容${SHEET_XML_BYTES_OPERATOR_NOTE}`,
  );
}

function textTooLong(part: string, maxBytes: number): FileFormatError {
  return new FileFormatError(
    'cell-too-long',
    `工作簿的 ${part} 中有一段连续文本（一个单元格的内容）超过 ${sizeText(maxBytes)}，整个文件未入库：请找出并精简这个异常的单元格（常见原因是误粘贴了大段内容），或另存为 CSV 后报送${LINE_BYTES_OPERATOR_NOTE}`,
  );
}

/**
 * A part that binds a prefix to the SpreadsheetML main namespace below its root element (`<sheetData
 * xmlns:x="…/main"><x:row>`): `MainPrefix` takes off only the root's prefix, and the elements written with this one
 * are no elements to exceljs (a sheet read as empty, as if it held no row), so the file fails, naming the prefix.
 */
function prefixBelowRoot(part: string, prefix: string): FileFormatError {
  return sheetDefect(
    part,
    undefined,
    `根元素以下的标记把命名空间前缀「${prefix}」绑定到 SpreadsheetML 主命名空间（xmlns:${prefix}=…），带这个前缀的元素（<${prefix}:…>）都无法读取`,
  );
}

function doctypeRefused(part: string): FileFormatError {
  return new FileFormatError(
    'not-a-workbook',
    `工作簿的 ${part} 含有 DOCTYPE 声明（可定义实体，Excel 不会生成这样的文件），为安全起见整个文件未读取、未入库：请用 Excel 打开后另存为 .xlsx 重新报送；若文件来自其他系统，请让其按标准 .xlsx 格式导出`,
  );
}

/**
 * What stops exceljs or the zip reader while reading a workbook is the workbook's defect (malformed XML, a
 * damaged deflate stream, a size the zip misstates): `not-a-workbook`, naming the part (`part`, and the sheet's
 * name when known) and the damage in the provider's words. The library's own English message is kept only as the
 * error's `cause`. System errors (disk, descriptors) and our own scanners' faults (XlsxReaderDefect) are not the
 * workbook's, and pass as they are.
 */
export function asWorkbookError(error: unknown, part?: string, sheet?: string): Error {
  if (error instanceof FileFormatError || error instanceof XlsxReaderDefect) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code)) return error;
  const damage = damageText(error) ?? '内容不是 Excel 生成的标准格式，或已损坏';
  const where = part ? `${partLabel(part, sheet)}无法读取：` : '';
  return new FileFormatError(
    'not-a-workbook',
    `文件不是有效的 Excel 工作簿（.xlsx）：${where}${damage}，整个文件未入库：请用 Excel 打开后另存为 .xlsx 重新报送（Excel 也打不开时，请从原系统重新导出）`,
    { cause: error },
  );
}

/**
 * A sheet whose XML parses but could not have been written by Excel (two rows of one number, a cell twice in a row,
 * a shared string that is not in the table): what it holds cannot be read without guessing, so the file fails.
 */
export function sheetDefect(part: string, sheet: string | undefined, what: string): FileFormatError {
  return new FileFormatError(
    'not-a-workbook',
    `文件不是有效的 Excel 工作簿（.xlsx）：${partLabel(part, sheet)}中${what}，Excel 不会生成这样的文件（多为导出程序出错），为免读错或漏读数据，整个文件未入库：请从原系统重新导出，或用 Excel 打开确认内容无误后另存为 .xlsx 重新报送`,
  );
}

const SHEET_PART = /^xl\/worksheets\/sheet\d+\.xml$/;

/** A part of a workbook in the provider's words, with its name inside the file for whoever looks there. */
export function partLabel(part: string, sheet?: string): string {
  if (SHEET_PART.test(part)) return sheet ? `工作表「${sheet}」（${part}）` : `工作表数据 ${part} `;
  if (part === 'xl/workbook.xml') return `工作簿的结构（${part}，记录各工作表的名称和顺序）`;
  if (part === 'xl/sharedStrings.xml') return `单元格文字（共享字符串表 ${part}）`;
  if (part === 'xl/styles.xml') return `单元格格式（${part}）`;
  if (part === 'xl/_rels/workbook.xml.rels') return `工作表的索引（${part}）`;
  return `工作簿的 ${part} `;
}
