import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { dropFolderTransport } from '../connectors/transports/drop-folder.ts';
import { writeZip } from '../connectors/transports/zip-fixture.test-support.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { ledgerReadingOf } from '../src/run/reading-fingerprint.ts';
import { isAlreadyLoaded } from '../src/warehouse/source-files-repository.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import {
  flatRejections,
  openWarehouseFixture,
  PROVINCE_XZCF,
  type WarehouseFixture,
} from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

/** Penalty rows as a semicolon-separated GB18030 CSV whose 4th row holds a byte GB18030 cannot decode. */
function messyCsv(seed: number): Buffer {
  const { rows } = generatePenalties(20, { seed });
  const cell = (value: string) => (/[";\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const lines = [PENALTY_HEADER, ...rows].map((row) => row.map(cell).join(';'));
  lines.push('');
  const bytes = lines.map((line, i) => {
    const encoded = iconv.encode(`${line}\r\n`, 'gb18030');
    return i === 3
      ? Buffer.concat([encoded.subarray(0, 4), Buffer.from([0xff]), encoded.subarray(4)])
      : encoded;
  });
  return Buffer.concat(bytes.slice(0, -1));
}

describe('a zip delivery holding CSV, XLSX and an unsafe entry', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('files_zip');
  });
  afterAll(async () => fx?.close());

  it('loads each entry as its own unit, refuses the unsafe one, and records the detected encoding', async () => {
    const workbook = path.join(fx.scratch, 'inner.xlsx');
    await writePenaltyWorkbook(workbook, 10, { seed: 7 });
    const zip = path.join(fx.scratch, '2026-11.zip');
    const { readFileSync } = await import('node:fs');
    await writeZip(zip, {
      '处罚-分号.csv': messyCsv(11),
      '../escape.csv': 'x',
      'book/处罚.xlsx': readFileSync(workbook),
    });
    const summary = await ingestDelivery(fx, await unitsForFile(zip, RECEIVED));
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code ?? file.encoding])).toEqual([
      ['2026-11.zip!处罚-分号.csv', 'loaded', 'gb18030'],
      ['2026-11.zip!../escape.csv', 'failed', 'unsafe-archive-entry'],
      ['2026-11.zip!book/处罚.xlsx', 'loaded', 'xlsx'],
    ]);
    expect(summary.files[0]?.counts).toMatchObject({ read: 20, rejected: 1, inserted: 19 });
    expect(summary.files[2]?.counts).toMatchObject({ read: 10, rejected: 0 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [4, 'CF_XDR_MC', 'undecodable-bytes'],
    ]);
    const stored = await fx.warehouse('source_files').where({ run_id: summary.runId }).orderBy('name');
    expect(
      stored.map((file: { name: string; encoding: string | null }) => [file.name, file.encoding]),
    ).toEqual([
      ['2026-11.zip!../escape.csv', null],
      ['2026-11.zip!book/处罚.xlsx', 'xlsx'],
      ['2026-11.zip!处罚-分号.csv', 'gb18030'],
    ]);
  });

  it('loads a gzip-compressed CSV', async () => {
    const file = path.join(fx.scratch, 'daily.csv.gz');
    writeFileSync(file, gzipSync(toCsv(PENALTY_HEADER, generatePenalties(5, { seed: 99 }).rows)));
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((unit) => [unit.name, unit.status])).toEqual([
      ['daily.csv.gz!daily.csv', 'loaded'],
    ]);
    expect(summary.counts).toMatchObject({ read: 5, rejected: 0 });
  });
});

describe('a drop folder feeding the warehouse', () => {
  let fx: WarehouseFixture;
  let inbox: string;
  beforeAll(async () => {
    fx = await openWarehouseFixture('files_drop');
    inbox = path.join(fx.scratch, 'inbox');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(inbox);
  });
  afterAll(async () => fx?.close());

  /** One scheduled pass: poll complete, unseen files; load them in one run; file each one away. */
  async function pass(): Promise<string[]> {
    const transport = dropFolderTransport.create({ directory: inbox }, { stagingDir: fx.scratch, env: {} });
    const units: SourceUnit[] = [];
    const reading = ledgerReadingOf(fx.catalog, { catalog: 'xzcf', encoding: 'auto' });
    const alreadyLoaded = (sha256: string) => isAlreadyLoaded(fx.warehouse, sha256, PROVINCE_XZCF, reading);
    for await (const unit of transport.poll({ alreadyLoaded })) units.push(unit);
    if (units.length === 0) return [];
    const summary = await ingestDelivery(fx, units);
    for (const [i, unit] of units.entries()) {
      // As the pipeline runner settles them: content loaded before goes where loaded files go.
      const status = summary.files[i]?.status;
      await transport.settle(unit, status === 'loaded' || status === 'skipped' ? 'loaded' : 'failed');
    }
    return summary.files.map((file) => `${file.name}:${file.status}`);
  }
  const deliver = (name: string, content: string | Buffer) => {
    writeFileSync(path.join(inbox, name), content);
    writeFileSync(path.join(inbox, `${name}.ok`), '');
  };
  const list = (dir: string) =>
    existsSync(path.join(inbox, dir)) ? readdirSync(path.join(inbox, dir)).sort() : [];

  it('loads marked files, files them, and never loads the same content twice even renamed', async () => {
    const content = toCsv(PENALTY_HEADER, generatePenalties(8, { seed: 5 }).rows);
    deliver('处罚.csv', content);
    writeFileSync(path.join(inbox, 'half-written.csv'), 'no marker yet');
    deliver('bad-header.csv', 'a,b\n1,2\n');
    expect(await pass()).toEqual(['bad-header.csv:failed', '处罚.csv:loaded']);
    expect(list('processed')).toEqual(['处罚.csv', '处罚.csv.ok']);
    expect(list('failed')).toEqual(['bad-header.csv', 'bad-header.csv.ok']);

    deliver('处罚-重发.csv', content);
    expect(await pass()).toEqual(['处罚-重发.csv:skipped']);
    expect(list('processed')).toContain('处罚-重发.csv');

    deliver('处罚.csv', toCsv(PENALTY_HEADER, generatePenalties(8, { seed: 5, version: 2 }).rows));
    expect(await pass()).toEqual(['处罚.csv:loaded']);
    expect(list('processed')).toEqual([
      '处罚-重发.csv',
      '处罚-重发.csv.ok',
      '处罚.2.csv',
      '处罚.csv',
      '处罚.csv.2.ok',
      '处罚.csv.ok',
    ]);
    expect(list('.').filter((name) => !['processed', 'failed'].includes(name))).toEqual(['half-written.csv']);
    const versions = await fx.warehouse('record_versions').count<{ count: string }[]>({ count: '*' });
    expect(Number(versions[0]?.count)).toBe(16);
  });

  it('records the file mtime as the received time', async () => {
    const file = path.join(inbox, 'dated.csv');
    writeFileSync(file, toCsv(PENALTY_HEADER, generatePenalties(2, { seed: 8 }).rows));
    const { utimesSync } = await import('node:fs');
    const mtime = new Date('2026-11-18T09:30:00+08:00');
    utimesSync(file, mtime, mtime);
    renameSync(file, file);
    writeFileSync(`${file}.done`, '');
    expect(await pass()).toEqual(['dated.csv:loaded']);
    const stored = await fx.warehouse('source_files').where({ name: 'dated.csv' }).first();
    expect(new Date(stored.received_at)).toEqual(mtime);
  });
});
