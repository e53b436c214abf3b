import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowStream } from '../contracts.ts';
import { planCsvChunks, readCsvChunk } from './csv-chunks.ts';
import { csvFormat } from './csv-format.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * A file a format refuses, or fails midway, is closed at once: a scheduled server process reads poison files night
 * after night, and one descriptor kept open per file would run it out of them. Counted in /proc (Linux).
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'inputs-closed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** This process's open descriptors whose target the test names. */
function descriptors(match: (target: string) => boolean): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (match(readlinkSync(`/proc/self/fd/${fd}`))) count++;
    } catch {
      // Closed while the list was read.
    }
  }
  return count;
}

const openOn = (file: string) => descriptors((target) => target === file);
const write = (name: string, bytes: Buffer | string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
};

async function readRows(rows: RowStream): Promise<void> {
  for await (const _batch of rows.batches);
}

const MiB = 1024 * 1024;
/** Rows enough that the reader is far from the end when it stops (the read-ahead is a few hundred KiB). */
const MANY_ROWS = '甲公司,1,2\n'.repeat(400_000);

describe.skipIf(!existsSync('/proc/self/fd'))('a file refused or failed midway is closed', () => {
  it('an .xlsx (5 MB) renamed .csv: unsupported-format, and the file closed', async () => {
    const file = write(
      '处罚.csv',
      Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(5 * MiB, 7)]),
    );
    const input = createReadStream(file);
    await expect(csvFormat.open(input, { encoding: 'auto' })).rejects.toMatchObject({
      code: 'unsupported-format',
    });
    await expect.poll(() => input.closed).toBe(true);
    expect(openOn(file)).toBe(0);
  });

  it('a blank declared header row: header-not-found, and the file closed', async () => {
    const file = write('blank-header.csv', `2026年行政处罚信息\n,,\n${MANY_ROWS}`);
    const input = createReadStream(file);
    await expect(csvFormat.open(input, { encoding: 'auto', headerRow: 2 })).rejects.toMatchObject({
      code: 'header-not-found',
    });
    await expect.poll(() => input.closed).toBe(true);
  });

  it('a record over the line limit early in a big file: line-too-long, and the file closed', async () => {
    const file = write('long-line.csv', `名称,代码,金额\n${'x'.repeat(5000)}\n${MANY_ROWS}`);
    const input = createReadStream(file);
    const reading = csvFormat
      .open(input, { encoding: 'auto', limits: { maxLineBytes: 1000 } })
      .then(readRows);
    await expect(reading).rejects.toMatchObject({ code: 'line-too-long' });
    await expect.poll(() => input.closed).toBe(true);
  });

  it('the planner of a chunked load: UTF-16 without a byte order mark, and a file it refuses, both closed', async () => {
    const utf16 = write('utf16.csv', Buffer.from(`名称,代码,金额\n${MANY_ROWS}`, 'utf16le'));
    expect(await planCsvChunks(utf16, { encoding: 'auto' }, 64 * 1024)).toBeUndefined();
    await expect.poll(() => openOn(utf16)).toBe(0);
    const refused = write('refused.csv', `名称,代码,金额\n1,2,3\n4,"5\n${MANY_ROWS}`);
    await expect(
      planCsvChunks(refused, { encoding: 'auto', limits: { maxLineBytes: 1000 } }, 64 * 1024),
    ).rejects.toMatchObject({ code: 'line-too-long' });
    await expect.poll(() => openOn(refused)).toBe(0);
  });

  it('a chunk that fails midway is closed', async () => {
    const file = write('chunked.csv', `名称,代码,金额\n${'甲公司,1,2\n'.repeat(60_000)}`);
    const plan = await planCsvChunks(file, { encoding: 'auto' }, 256 * 1024);
    const chunk = plan?.chunks[0];
    if (!plan || !chunk) throw new Error('not split');
    // The same bytes read with a lower limit fail at the first record.
    const reader = readCsvChunk(file, plan.layout, chunk, { maxLineBytes: 4 });
    await expect(readRows(reader.rows)).rejects.toMatchObject({ code: 'line-too-long' });
    await expect.poll(() => openOn(file)).toBe(0);
  });

  describe('a workbook whose part exceljs cannot parse, with more of it unread', () => {
    let saved: Buffer;
    beforeAll(async () => {
      const book = new ExcelJS.Workbook();
      book.addWorksheet('处罚').addRow(['名称', '金额']);
      saved = Buffer.from(await book.xlsx.writeBuffer());
    });
    const copies = () => descriptors((target) => target.includes('credit-etl-xlsx-'));

    it.each(['xl/workbook.xml', 'xl/styles.xml', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml'])(
      '%s: not-a-workbook, and the temporary copy closed',
      async (part) => {
        const bytes = await repackWorkbook(saved, {
          edit: (name, text) =>
            name === part ? `${text.replace('>', '><<&&>')}${' '.repeat(4 * MiB)}` : undefined,
        });
        await expect(xlsxFormat.open(Readable.from([bytes]), { encoding: 'auto' })).rejects.toMatchObject({
          code: 'not-a-workbook',
        });
        await expect.poll(copies).toBe(0);
      },
    );
  });
});
