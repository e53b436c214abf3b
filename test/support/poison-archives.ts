import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { zipBytes } from '../../connectors/transports/zip-fixture.test-support.ts';
import { PENALTY_HEADER } from '../../fixtures/generate/penalty-rows.ts';

/**
 * Hostile deliveries, small on disk and huge once opened: what a provider's broken export (or an attacker) can
 * send. Each is built from deflate blocks compressed once and repeated, so even a 4 GiB expansion costs the
 * test (or the chaos script) a few MB of memory and a second or two of CRC to make.
 */

const MiB = 1024 * 1024;

/** A zip holding one CSV entry of `expandedBytes` (default 2 GiB) of a repeated byte: ~1000:1, the classic bomb. */
export async function writeZipBomb(
  file: string,
  options: { entry?: string; expandedBytes?: number } = {},
): Promise<void> {
  const expanded = options.expandedBytes ?? 2048 * MiB;
  const body = Buffer.alloc(MiB, '0');
  const packed = repeatedDeflate(Buffer.from('a\n'), body, Math.ceil(expanded / MiB), Buffer.alloc(0));
  await writeFile(file, packedZip([{ name: options.entry ?? 'bomb.csv', ...packed }]));
}

/** A `.csv.gz` of ~64 KB whose second line is one record of `lineBytes` (default 64 MiB) with no line break. */
export async function writeLongLineGzip(file: string, options: { lineBytes?: number } = {}): Promise<void> {
  const lineBytes = options.lineBytes ?? 64 * MiB;
  const head = Buffer.from(`${PENALTY_HEADER.join(',')}\n`);
  const packed = repeatedDeflate(head, Buffer.alloc(MiB, 'A'), Math.ceil(lineBytes / MiB), Buffer.from('\n'));
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(packed.crc, 0);
  trailer.writeUInt32LE(packed.size % 2 ** 32, 4);
  await writeFile(file, Buffer.concat([header, packed.data, trailer]));
}

/**
 * An `.xlsx` of ~1 MB whose one worksheet's XML expands to `sheetBytes` (default 1 GiB): the same row, each with
 * one long inline-string cell, over and over.
 */
export async function writeHugeSheetWorkbook(
  file: string,
  options: { sheetBytes?: number } = {},
): Promise<void> {
  const row = `<row><c t="inlineStr"><is><t>${'A'.repeat(1000)}</t></is></c></row>`;
  const body = Buffer.from(row.repeat(Math.floor(MiB / row.length)));
  const head = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN_NS}"><sheetData><row>${PENALTY_HEADER.map((title) => `<c t="inlineStr"><is><t>${title}</t></is></c>`).join('')}</row>`,
  );
  const tail = Buffer.from('</sheetData></worksheet>');
  const sheet = repeatedDeflate(
    head,
    body,
    Math.ceil((options.sheetBytes ?? 1024 * MiB) / body.length),
    tail,
  );
  await writeWorkbook(file, { name: 'xl/worksheets/sheet1.xml', ...sheet });
}

/**
 * A CSV whose rows are each `cellBytes` × every column wide (default ~30 KB): no line or cell is unusual, but
 * the 2,000 rows read as one batch need more memory than a small unit heap has. `rows` default 2,100.
 */
export async function writeWideRowsCsv(
  file: string,
  options: { rows?: number; cellBytes?: number } = {},
): Promise<void> {
  const output = createWriteStream(file);
  output.write(`${PENALTY_HEADER.join(',')}\n`);
  for (let i = 0; i < (options.rows ?? 2100); i++) {
    const cell = String(i).padEnd(options.cellBytes ?? 1000, 'W');
    if (!output.write(`${PENALTY_HEADER.map(() => cell).join(',')}\n`)) await once(output, 'drain');
  }
  output.end();
  await finished(output);
}

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PACKAGE_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** A minimal workbook: one sheet, given as a packed entry. */
async function writeWorkbook(file: string, sheet: PackedEntry): Promise<void> {
  const xml = '<?xml version="1.0" encoding="UTF-8"?>';
  const parts: Record<string, string> = {
    '[Content_Types].xml': `${xml}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    '_rels/.rels': `${xml}<Relationships xmlns="${PACKAGE_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml': `${xml}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="行政处罚" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `${xml}<Relationships xmlns="${PACKAGE_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
  };
  const small = Object.entries(parts).map(([name, text]) => {
    const data = Buffer.from(text);
    return { name, data: deflateRawSync(data), crc: crc32(data), size: data.length };
  });
  await writeFile(file, packedZip([...small, sheet]));
}

interface PackedEntry {
  name: string;
  /** Raw deflate stream. */
  data: Buffer;
  crc: number;
  /** Expanded bytes (below 4 GiB: no zip64). */
  size: number;
}

/**
 * `head`, then `body` `times` over, then `tail`, as one raw deflate stream. Each part is compressed on its own
 * and ends byte-aligned (sync flush), so the body's compressed bytes can simply be repeated.
 */
function repeatedDeflate(head: Buffer, body: Buffer, times: number, tail: Buffer): Omit<PackedEntry, 'name'> {
  const flushed = { finishFlush: constants.Z_SYNC_FLUSH };
  const packedBody = deflateRawSync(body, flushed);
  let crc = crc32(head);
  for (let i = 0; i < times; i++) crc = crc32(body, crc);
  crc = crc32(tail, crc);
  const data = Buffer.concat([
    deflateRawSync(head, flushed),
    ...Array.from({ length: times }, () => packedBody),
    deflateRawSync(tail),
  ]);
  return { data, crc, size: head.length + body.length * times + tail.length };
}

/** A zip of already-deflated entries, names flagged UTF-8. */
function packedZip(entries: PackedEntry[]): Buffer {
  return zipBytes(
    entries.map((entry) => ({
      name: Buffer.from(entry.name, 'utf8'),
      utf8: true,
      packed: entry.data,
      crc: entry.crc,
      size: entry.size,
    })),
  );
}
