import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { writeZip } from '../connectors/transports/zip-fixture.test-support.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writeLongLineGzip, writeZipBomb } from '../test/support/poison-archives.ts';
import {
  writeEntityXlsx,
  writeHugeSheetXlsx,
  writeLongCellCsv,
  writeLongLineCsv,
  writeNulInCellCsv,
  writeNulInHeaderCsv,
} from '../test/support/poison-files.ts';

/** A good delivery of the chaos night: its file name and how many units (zip entries) it loads as. */
export interface GoodDelivery {
  name: string;
  file: string;
  units: number;
}

/** What a poison file must end as: its file quarantined with one of these codes, or one bad row rejected. */
export type PoisonExpectation = { kind: 'quarantined'; codes: string[] } | { kind: 'rejected-row' };

export interface ChaosPoison {
  label: string;
  /** Writes the file into the inbox; returns its path. */
  write(dir: string): Promise<string>;
  expect: PoisonExpectation;
  /** An upload still in progress: no done-marker, so it must be left alone. */
  stillUploading?: boolean;
}

const ROWS = 400;

/** `count` good deliveries in every shape we accept: UTF-8 and GB18030 CSV, a zip of two, a gzip. */
export async function writeGoodDeliveries(dir: string, count: number): Promise<GoodDelivery[]> {
  const deliveries: GoodDelivery[] = [];
  const csv = (seed: number) => toCsv(PENALTY_HEADER, generatePenalties(ROWS, { seed, badShare: 0.01 }).rows);
  for (let i = 0; i < count; i++) {
    const seed = 1000 + i;
    const kind = i % 4;
    if (kind === 0 || kind === 1) {
      const name = `good-${i}-${kind === 0 ? 'utf8' : 'gb18030'}.csv`;
      const text = csv(seed);
      writeFileSync(path.join(dir, name), kind === 0 ? text : iconv.encode(text, 'gb18030'));
      deliveries.push({ name, file: path.join(dir, name), units: 1 });
    } else if (kind === 2) {
      const name = `good-${i}.csv.gz`;
      writeFileSync(path.join(dir, name), gzipSync(csv(seed)));
      deliveries.push({ name, file: path.join(dir, name), units: 1 });
    } else {
      const name = `good-${i}.zip`;
      await writeZip(path.join(dir, name), { 'a.csv': csv(seed), 'b.csv': csv(seed + 500) });
      deliveries.push({ name, file: path.join(dir, name), units: 2 });
    }
  }
  return deliveries;
}

const quarantined = (...codes: string[]): PoisonExpectation => ({ kind: 'quarantined', codes });

/** A poison made by one of the tests' generators (test/support/poison-*.ts). */
const generated = (
  label: string,
  write: (dir: string) => string | Promise<string>,
  expect: PoisonExpectation,
): ChaosPoison => ({ label, expect, write: async (dir) => write(dir) });

const poison = (
  label: string,
  name: string,
  bytes: () => Buffer | string,
  expect: PoisonExpectation,
): ChaosPoison => ({
  label,
  expect,
  async write(dir) {
    const file = path.join(dir, name);
    writeFileSync(file, bytes());
    return file;
  },
});

/** Poison a provider sends by accident, and the outcome each must end in. */
export const CHAOS_POISONS: ChaosPoison[] = [
  {
    ...poison('upload still in progress', 'uploading.csv', () => toCsv(PENALTY_HEADER, []), {
      kind: 'quarantined',
      codes: [],
    }),
    stillUploading: true,
  },
  poison(
    'half a zip (transfer cut off)',
    'half.zip',
    () => gzipSync(Buffer.alloc(4096, 'x')).subarray(0, 100),
    { kind: 'quarantined', codes: ['corrupt-archive'] },
  ),
  poison(
    'legacy .xls renamed .xlsx',
    'legacy.xlsx',
    () => Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(4096)]),
    { kind: 'quarantined', codes: ['not-a-workbook'] },
  ),
  poison('another layout (wrong header)', 'wrong-header.csv', () => '名称,数量\n甲,1\n', {
    kind: 'quarantined',
    codes: ['unknown-columns', 'missing-columns'],
  }),
  generated(
    'a zip entry named with a NUL byte',
    async (dir) => {
      const file = path.join(dir, 'nul-name.zip');
      await writeZip(file, { '处罚\0.csv': toCsv(PENALTY_HEADER, generatePenalties(3, { seed: 77 }).rows) });
      return file;
    },
    quarantined('unsafe-archive-entry'),
  ),
  generated(
    'NUL in a header cell',
    (dir) => writeNulInHeaderCsv(dir),
    quarantined('invalid-header-character'),
  ),
  generated('NUL in one data cell', (dir) => writeNulInCellCsv(dir), { kind: 'rejected-row' }),
  generated('a 1.5 MB cell', (dir) => writeLongCellCsv(dir), { kind: 'rejected-row' }),
  generated('one 64 MB line', (dir) => writeLongLineCsv(dir), quarantined('line-too-long')),
  generated(
    '64 KB .csv.gz holding one 64 MB line',
    async (dir) => {
      const file = path.join(dir, 'long-line.csv.gz');
      await writeLongLineGzip(file);
      return file;
    },
    quarantined('decompression-limit'),
  ),
  generated(
    'zip bomb (2 GiB in a few MB)',
    async (dir) => {
      const file = path.join(dir, 'bomb.zip');
      await writeZipBomb(file);
      return file;
    },
    quarantined('decompression-limit'),
  ),
  generated(
    'small .xlsx with a 2 GiB sheet',
    (dir) => writeHugeSheetXlsx(dir),
    quarantined('workbook-too-large'),
  ),
  generated(
    'billion-laughs .xlsx (XXE)',
    (dir) => writeEntityXlsx(dir, 'sheet'),
    quarantined('not-a-workbook'),
  ),
];
