import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { zipBytes } from '../../connectors/transports/zip-fixture.test-support.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../../fixtures/generate/penalty-rows.ts';

// Hostile deliveries, one function each, writing one file into `dir` and returning its path: the tests of the
// formats and of whole runs use them, and so does the chaos script.

const MiB = 1024 * 1024;

/** A penalty CSV whose header cell 3 holds a NUL byte (`行政相对人代码_1` + NUL + `(统一社会信用代码)`). */
export function writeNulInHeaderCsv(dir: string, name = 'nul-header.csv'): string {
  const header = [...PENALTY_HEADER];
  header[2] = header[2]?.replace('(', '\0(') ?? '';
  return writeCsv(dir, name, header, generatePenalties(5, { seed: 31 }).rows);
}

/** Where the NUL of `writeNulInCellCsv` is: its row number (header = 1), field code, column and header. */
export const NUL_CELL = { rowNumber: 4, field: 'CF_XDR_MC', column: 1, header: '行政相对人名称' } as const;

/** Five valid penalty rows whose third (row 4) holds a NUL inside the subject's name. */
export function writeNulInCellCsv(dir: string, name = 'nul-cell.csv'): string {
  const { rows } = generatePenalties(5, { seed: 32 });
  const row = rows[NUL_CELL.rowNumber - 2] as string[];
  row[NUL_CELL.column - 1] = `${row[NUL_CELL.column - 1]}\0有限公司`;
  return writeCsv(dir, name, PENALTY_HEADER, rows);
}

/** Where the overlong cell of `writeLongCellCsv` is. */
export const LONG_CELL = { rowNumber: 3, field: 'CF_SY', column: 16, header: '违法事实' } as const;

/** Four valid penalty rows whose second (row 3) has a 违法事实 of `bytes` (default 1.5 MiB, over the 1 MiB limit). */
export function writeLongCellCsv(dir: string, bytes = 1.5 * MiB, name = 'long-cell.csv'): string {
  const { rows } = generatePenalties(4, { seed: 34 });
  const row = rows[LONG_CELL.rowNumber - 2] as string[];
  row[LONG_CELL.column - 1] = '违'.repeat(Math.ceil(bytes / 3));
  return writeCsv(dir, name, PENALTY_HEADER, rows);
}

/**
 * A penalty header, two valid rows, then one line of `bytes` (default 64 MiB) without a line break: a runaway
 * record. Written in 1 MiB pieces, never held whole.
 */
export function writeLongLineCsv(dir: string, bytes = 64 * MiB, name = 'long-line.csv'): string {
  const file = path.join(dir, name);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, toCsv(PENALTY_HEADER, generatePenalties(2, { seed: 33 }).rows));
    const piece = Buffer.alloc(MiB, '违法事实');
    for (let written = 0; written < bytes; written += piece.length) {
      writeSync(fd, piece, 0, Math.min(piece.length, bytes - written));
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

/**
 * An .xlsx of about 2 MB whose worksheet XML expands to `xmlBytes` (default 2 GiB, twice the default limit of
 * `CREDIT_ETL_MAX_SHEET_XML_BYTES`): after a header row, one row (numbered 2, repeated verbatim) of a cell that is
 * 1 MiB of `A`. The zip states the true sizes, as any zip tool writes them, unless `statedBytes` is
 * given: a zip that understates the sheet's size, to slip past a check of the directory.
 */
export function writeHugeSheetXlsx(
  dir: string,
  { xmlBytes = 2048 * MiB, statedBytes, name = 'huge-sheet.xlsx' }: HugeSheetOptions = {},
): string {
  const head = Buffer.from(`${XML_DECLARATION}<worksheet xmlns="${MAIN_NS}"><sheetData>${row(1, ['名称'])}`);
  const tail = Buffer.from('</sheetData></worksheet>');
  // Rows 2, 3, … (a row number twice fails the workbook), each a cell of a 1 MiB text.
  const text = Buffer.from('A'.repeat(MiB - 64));
  const rowHead = (r: number) => Buffer.from(`<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>`);
  const rowTail = Buffer.from('</t></is></c></row>');
  const rowBytes = (r: number) => rowHead(r).length + text.length + rowTail.length;
  let repeats = 0;
  let size = head.length + tail.length;
  while (repeats === 0 || size < xmlBytes) size += rowBytes(2 + repeats++);
  // A deflate block after a full flush refers to nothing before it: the text's compressed bytes repeat as they are.
  const flushed = (data: Buffer) => deflateRawSync(data, { finishFlush: constants.Z_FULL_FLUSH });
  const packedText = flushed(text);
  const packedTail = flushed(rowTail);
  const packed: Buffer[] = [flushed(head)];
  let crc = crc32(head);
  for (let r = 2; r < 2 + repeats; r++) {
    packed.push(flushed(rowHead(r)), packedText, packedTail);
    crc = crc32(rowTail, crc32(text, crc32(rowHead(r), crc)));
  }
  crc = crc32(tail, crc);
  packed.push(deflateRawSync(tail));
  const sheet: ZipEntry = {
    name: 'xl/worksheets/sheet1.xml',
    packed: Buffer.concat(packed),
    size: statedBytes ?? size,
    crc,
  };
  const file = path.join(dir, name);
  const others = workbookParts().filter(([part]) => part !== sheet.name);
  writeZipEntries(file, [...others.map(entryOf), sheet]);
  return file;
}

export interface HugeSheetOptions {
  xmlBytes?: number;
  statedBytes?: number;
  name?: string;
}

/** Where `writeEntityXlsx` puts its DOCTYPE; `none`: the same workbook, clean (名称|内容, 甲公司|罚款). */
export type EntityPart = 'sheet' | 'sharedStrings' | 'workbook' | 'none';

/**
 * A valid-looking one-sheet .xlsx whose `part` opens with a DOCTYPE declaring the "billion laughs" entities
 * (ten levels of ten, 10⁹ copies of `lol` once expanded) and uses the outermost one in a cell.
 */
export function writeEntityXlsx(
  dir: string,
  part: EntityPart = 'sheet',
  name = `entity-${part}.xlsx`,
): string {
  const entities = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  const doctype = (root: string) => `<!DOCTYPE ${root} [${entities.join('')}]>`;
  // The entity is used in the part that declares it: in a cell, in the shared string, in the sheet's name.
  const laugh = '&lol9;';
  const parts = workbookParts({
    ...(part === 'sheet' ? { cell: laugh } : {}),
    ...(part === 'sharedStrings' ? { sharedString: laugh } : {}),
    ...(part === 'workbook' ? { sheetName: laugh } : {}),
  });
  const poisoned = {
    sheet: ['xl/worksheets/sheet1.xml', 'worksheet'],
    sharedStrings: ['xl/sharedStrings.xml', 'sst'],
    workbook: ['xl/workbook.xml', 'workbook'],
    none: ['', ''],
  } as const;
  const [partName, root] = poisoned[part];
  const file = path.join(dir, name);
  writeZipEntries(
    file,
    parts.map(([entry, xml]) =>
      entryOf([
        entry,
        entry === partName ? xml.replace(XML_DECLARATION, XML_DECLARATION + doctype(root)) : xml,
      ]),
    ),
  );
  return file;
}

function writeCsv(dir: string, name: string, header: readonly string[], rows: string[][]): string {
  const file = path.join(dir, name);
  writeFileSync(file, toCsv([...header], rows));
  return file;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';

function row(n: number, cells: string[]): string {
  const inline = cells.map(
    (text, i) => `<c r="${String.fromCharCode(65 + i)}${n}" t="inlineStr"><is><t>${text}</t></is></c>`,
  );
  return `<row r="${n}">${inline.join('')}</row>`;
}

/**
 * The parts of a minimal one-sheet workbook, as [name, XML]: a header 名称|内容 and one row 甲公司|罚款, whose
 * 罚款 is shared string 0. The options replace 甲公司, 罚款 or the sheet's name 处罚, unescaped (an entity
 * reference stays one).
 */
function workbookParts(
  options: { cell?: string; sharedString?: string; sheetName?: string } = {},
): [string, string][] {
  const type = (part: string, kind: string) =>
    `<Override PartName="/${part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.${kind}+xml"/>`;
  return [
    [
      '[Content_Types].xml',
      `${XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>${type('xl/workbook.xml', 'sheet.main')}${type('xl/worksheets/sheet1.xml', 'worksheet')}${type('xl/sharedStrings.xml', 'sharedStrings')}</Types>`,
    ],
    [
      '_rels/.rels',
      `${XML_DECLARATION}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      'xl/workbook.xml',
      `${XML_DECLARATION}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="${options.sheetName ?? '处罚'}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ],
    [
      'xl/_rels/workbook.xml.rels',
      `${XML_DECLARATION}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    ],
    [
      'xl/worksheets/sheet1.xml',
      `${XML_DECLARATION}<worksheet xmlns="${MAIN_NS}"><sheetData>${row(1, ['名称', '内容'])}<row r="2"><c r="A2" t="inlineStr"><is><t>${options.cell ?? '甲公司'}</t></is></c><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>`,
    ],
    [
      'xl/sharedStrings.xml',
      `${XML_DECLARATION}<sst xmlns="${MAIN_NS}" count="1" uniqueCount="1"><si><t>${options.sharedString ?? '罚款'}</t></si></sst>`,
    ],
  ];
}

interface ZipEntry {
  name: string;
  /** Raw deflate data. */
  packed: Buffer;
  size: number;
  crc: number;
}

function entryOf([name, xml]: [string, string]): ZipEntry {
  const data = Buffer.from(xml);
  return { name, packed: deflateRawSync(data), size: data.length, crc: crc32(data) };
}

/** A zip of deflated entries, each stating the size it is given. */
function writeZipEntries(file: string, entries: ZipEntry[]): void {
  const deflated = entries.map((entry) => ({ ...entry, name: Buffer.from(entry.name), utf8: true }));
  writeFileSync(file, zipBytes(deflated));
}
