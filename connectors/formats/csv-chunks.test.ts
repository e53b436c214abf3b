import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import type { Encoding, RowStream, SourceRow } from '../contracts.ts';
import { planCsvChunks, readCsvChunk } from './csv-chunks.ts';
import { csvFormat } from './csv-format.ts';
import { trickyCsvFiles } from './tricky-csv.test-support.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'csv-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic pseudo-random source (the same file on every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Cells meant to trip a splitter: quoted line breaks, quotes, delimiters, Chinese text, stray quotes. */
const CELLS = [
  '沈阳市市场监督管理局',
  '"第一行\n第二行"',
  '"含""引号""的值"',
  '"a,b"',
  'x"y',
  '',
  '"\r\n"',
  '鲁工商〔2026〕12号',
  '"\n\n\n"',
  '\uFEFF前面有字节序标记',
  '"引号后"多余',
];

function generate(seed: number, records: number, newline: string): string {
  const next = random(seed);
  const lines = ['编号,名称,备注'];
  for (let i = 0; i < records; i++) {
    const roll = next();
    if (roll < 0.05) lines.push('');
    else if (roll < 0.08) lines.push(`${i},仅两列`);
    else {
      const pick = () => CELLS[Math.floor(next() * CELLS.length)] as string;
      lines.push([String(i), pick(), pick()].join(','));
    }
  }
  return lines.join(newline) + (seed % 2 === 0 ? newline : '');
}

async function allRows(rows: RowStream): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const batch of rows.batches) out.push(...batch);
  return out;
}

async function wholeFile(file: string, encoding: Encoding) {
  const rows = await csvFormat.open(createReadStream(file), { encoding });
  return { rows: await allRows(rows), blankLines: rows.stats().blankLines };
}

async function chunked(file: string, encoding: Encoding, chunkBytes: number) {
  const plan = await planCsvChunks(file, { encoding }, chunkBytes);
  if (!plan) throw new Error('not split');
  const rows: SourceRow[] = [];
  let blankLines = 0;
  for (const chunk of plan.chunks) {
    const reader = readCsvChunk(file, plan.layout, chunk);
    const read = await allRows(reader.rows);
    reader.check(read.length);
    rows.push(...read);
    blankLines += reader.rows.stats().blankLines;
  }
  return { plan, rows, blankLines };
}

describe('a CSV file split at record boundaries and read chunk by chunk', () => {
  const cases: [string, string, 'utf8' | 'gb18030'][] = [
    ['LF, UTF-8', '\n', 'utf8'],
    ['CRLF, UTF-8 with BOM', '\r\n', 'utf8'],
    ['CR only', '\r', 'utf8'],
    ['CRLF, GB18030', '\r\n', 'gb18030'],
  ];
  for (const [name, newline, encoding] of cases) {
    for (const seed of [1, 2, 3]) {
      it(`gives every row the whole file gives, with its row number (${name}, seed ${seed})`, async () => {
        const text = generate(seed, 400, newline);
        const bytes =
          encoding === 'gb18030'
            ? iconv.encode(text, 'gb18030')
            : Buffer.from(newline === '\r\n' ? `\uFEFF${text}` : text);
        const file = path.join(dir, `case-${name.replace(/\W+/g, '-')}-${seed}.csv`);
        writeFileSync(file, bytes);
        const whole = await wholeFile(file, 'auto');
        const split = await chunked(file, 'auto', 256 + seed * 97);
        expect(split.plan.chunks.length).toBeGreaterThan(10);
        expect(split.rows).toEqual(whole.rows);
        expect(split.blankLines).toBe(whole.blankLines);
        expect(split.plan.chunks.at(-1)?.endByte).toBe(bytes.length);
      });
    }
  }

  it('keeps undecodable bytes next to a line break from moving a boundary (GB18030 and UTF-8)', async () => {
    // A lead byte right before the line break: the decoders give the line break back, never swallow it.
    for (const encoding of ['gb18030', 'utf8'] as const) {
      const parts: Buffer[] = [Buffer.from('编号,名称\n')];
      for (let i = 0; i < 300; i++) {
        const body =
          encoding === 'gb18030' ? iconv.encode(`${i},名称${i}`, 'gb18030') : Buffer.from(`${i},名称${i}`);
        parts.push(body, i % 7 === 0 ? Buffer.from([0x81]) : Buffer.alloc(0), Buffer.from('\n'));
      }
      const file = path.join(dir, `undecodable-${encoding}.csv`);
      writeFileSync(file, Buffer.concat(parts));
      const whole = await wholeFile(file, encoding);
      const split = await chunked(file, encoding, 200);
      expect(whole.rows.some((row) => row.problem?.code === 'undecodable-bytes')).toBe(true);
      expect(split.rows).toEqual(whole.rows);
    }
  });

  it('gives every row the whole file gives on 500 generated files of tricky bytes, cut into chunks of 16–64 bytes', async () => {
    let split = 0;
    let n = 0;
    for (const bytes of trickyCsvFiles(41, 500)) {
      const file = path.join(dir, `tricky-${n}.csv`);
      const chunkBytes = 16 + (n++ % 4) * 16;
      writeFileSync(file, bytes);
      const whole = await wholeFile(file, 'utf8').catch((error: Error) => error);
      const plan = await planCsvChunks(file, { encoding: 'utf8' }, chunkBytes).catch((error: Error) => error);
      // A file the reader refuses is refused by the planning pass alike; one too small is not split.
      if (whole instanceof Error || plan instanceof Error) {
        expect(String(plan), JSON.stringify(bytes.toString('latin1'))).toBe(String(whole));
        continue;
      }
      if (!plan) continue;
      const chunks = await chunked(file, 'utf8', chunkBytes);
      expect(chunks.rows, JSON.stringify(bytes.toString('latin1'))).toEqual(whole.rows);
      expect(chunks.blankLines).toBe(whole.blankLines);
      split++;
    }
    expect(split).toBeGreaterThan(200);
  });

  it('is not split when it is smaller than two chunks, or UTF-16', async () => {
    const file = path.join(dir, 'small.csv');
    writeFileSync(file, generate(5, 10, '\n'));
    expect(await planCsvChunks(file, { encoding: 'auto' }, 1 << 20)).toBeUndefined();
    const utf16 = path.join(dir, 'utf16.csv');
    writeFileSync(
      utf16,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(generate(5, 400, '\n'), 'utf16le')]),
    );
    expect(await planCsvChunks(utf16, { encoding: 'auto' }, 256)).toBeUndefined();
  });

  it('notices a file that changed after it was planned', async () => {
    const file = path.join(dir, 'changed.csv');
    writeFileSync(file, generate(7, 300, '\n'));
    const plan = await planCsvChunks(file, { encoding: 'auto' }, 300);
    const chunk = plan?.chunks[1];
    if (!plan || !chunk) throw new Error('not split');
    const bytes = Buffer.from(generate(7, 300, '\n'));
    bytes[chunk.startByte] = 0x58; // 'X' where the chunk's first record begins
    writeFileSync(file, bytes);
    const reader = readCsvChunk(file, plan.layout, chunk);
    const rows = await allRows(reader.rows);
    expect(() => reader.check(rows.length)).toThrow(/not what was planned/);
  });
});
