import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import type { CatalogEntry } from '../src/catalog/catalog-entry.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';
const FIXTURE = path.join(PROJECT_ROOT, 'fixtures/xzcf/utf8-bom/input.csv');

/** A copy of catalog/ in `dir`, with xzcf v4: v3 changed by `change`, taking effect `effectiveFrom`. */
function catalogWithV4(dir: string, effectiveFrom: string, change: (entry: CatalogEntry) => void): string {
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(PROJECT_ROOT, 'catalog'), dir, { recursive: true });
  const v4 = JSON.parse(readFileSync(path.join(dir, 'xzcf.v3.json'), 'utf8')) as CatalogEntry;
  Object.assign(v4, { version: 4, effectiveFrom });
  change(v4);
  writeFileSync(path.join(dir, 'xzcf.v4.json'), `${JSON.stringify(v4, null, 2)}\n`);
  return dir;
}

/** v4 with a field 联系电话 (CF_LXDH), required or not. */
const withPhone = (required: boolean) => (entry: CatalogEntry) => {
  Object.assign(entry.schema.properties, { CF_LXDH: { title: '联系电话', type: 'string', maxLength: 30 } });
  if (required) entry.schema.required.push('CF_LXDH');
};

/** The fixture's rows, with a 联系电话 column or without. */
function fixtureFile(file: string, phone: boolean): string {
  const text = readFileSync(FIXTURE, 'utf8').replace(/^\uFEFF/, '');
  const [header = [], ...rows] = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
  writeFileSync(
    file,
    phone
      ? toCsv(
          [...header, '联系电话'],
          rows.map((row) => [...row, '0531-12345678']),
        )
      : toCsv(header, rows),
  );
  return file;
}

interface FileSummary {
  name: string;
  status: string;
  counts: Record<string, number>;
  olderVersion?: { version: number; inForce: { version: number }; legacyLayout: boolean; message: string };
}

describe('which catalog entry version reads a file and judges a record', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  const env = (catalogDir: string) => ({
    DATABASE_URL: fx.url,
    CREDIT_ETL_CATALOG_DIR: catalogDir,
    CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
  });
  const ingest = async (
    catalogDir: string,
    file: string,
    receivedAt: string,
    [provider, level] = [PROVINCE, 'province'],
  ) => {
    const args = ['ingest', file, '--catalog', 'xzcf', '--provider', provider, '--level', level];
    const result = await runCli([...args, '--received-at', receivedAt, '--json'], env(catalogDir));
    const summary = JSON.parse(result.stdout) as { status: string; files: FileSummary[] };
    return { ...result, summary };
  };
  const versionsRead = (name: string) =>
    fx.warehouse('source_files').where({ name }).orderBy('id').pluck('catalog_version');

  // A warehouse each: a catalog version, once recorded, is immutable (each test has its own v4).
  beforeEach(async () => {
    fx = await openWarehouseFixture('catalog_version_choice');
  });
  afterEach(async () => fx?.close());

  it('a record whose own version is not in catalog/ is never judged by another version: its disclosure says so', async () => {
    const dir = path.join(fx.scratch, 'catalog-1');
    catalogWithV4(dir, '2026-12-06', (entry) => {
      const { severity } = entry.disclosure as { severity: { default: string } };
      severity.default = '严重';
    });
    // Loaded under v3 (received the day v3 took effect), as the reviewer's baseline.
    renameSync(path.join(dir, 'xzcf.v4.json'), path.join(fx.scratch, 'xzcf.v4.json'));
    const loaded = await ingest(dir, fixtureFile(path.join(fx.scratch, 'one.csv'), false), '2026-12-05');
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(await versionsRead('one.csv')).toEqual([3]);
    const shown = async () => {
      const record = await runCli(['record', '1', '--json'], env(dir));
      expect(record.code, record.stderr).toBe(0);
      return JSON.parse(record.stdout).view?.disclosure ?? JSON.parse(record.stdout).disclosure;
    };
    const withV3 = await shown();
    expect(withV3.period.severity).toBe('一般');

    // v4 (default 严重) added, v3 moved away.
    renameSync(path.join(fx.scratch, 'xzcf.v4.json'), path.join(dir, 'xzcf.v4.json'));
    renameSync(path.join(dir, 'xzcf.v3.json'), path.join(fx.scratch, 'xzcf.v3.json'));
    const without = await shown();
    expect(without.state).toBe('not-disclosed');
    expect(without.period.severity ?? null).toBeNull();
    expect(without.period.repairableFrom ?? null).toBeNull();
    expect(without.label).toContain('catalog/xzcf.v3.json');
    const text = await runCli(['record', '1'], env(dir));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('缺少 catalog/xzcf.v3.json');
    expect(text.stdout).not.toContain('失信程度 严重');

    const subject = await runCli(['subject', '913701020000050122'], env(dir));
    expect(subject.code, subject.stderr).toBe(0);
    expect(subject.stdout).toContain('catalog/xzcf.v3.json');
    expect(subject.stdout).not.toContain('2027-10-13');

    const repair = await runCli(
      ['repair', '1', '--basis', 'x', '--reason', 'y', '--operator', 'test'],
      env(dir),
    );
    expect(repair.code).not.toBe(0);
  });

  it('a version not yet in force on the received day never reads a file', async () => {
    const dir = catalogWithV4(path.join(fx.scratch, 'catalog-2'), '2027-01-01', withPhone(false));
    const file = fixtureFile(path.join(fx.scratch, 'two.csv'), true);
    const result = await ingest(dir, file, '2026-12-06', ['11370100MB28174284', 'city']);
    // Read by v3, in force that day, whose header has no 联系电话: the file fails, naming the column.
    expect(await versionsRead('two.csv')).toEqual([3]);
    expect(result.summary.files[0]?.status).toBe('failed');
    expect(result.summary.files[0]?.counts.inserted ?? 0).toBe(0);
    expect(JSON.stringify(result.summary.files[0])).toContain('联系电话');
  });

  it('an older version than the one in force reads a file only said: summary, --json', async () => {
    const dir = catalogWithV4(path.join(fx.scratch, 'catalog-3'), '2026-12-06', withPhone(true));
    const file = fixtureFile(path.join(fx.scratch, 'three.csv'), false);
    const args = ['ingest', file, '--catalog', 'xzcf', '--provider', '11370200MB2851941M', '--level', 'city'];
    const json = await runCli([...args, '--received-at', '2026-12-06', '--json'], env(dir));
    expect(json.code, json.stderr).toBe(0);
    const [read] = (JSON.parse(json.stdout) as { files: FileSummary[] }).files;
    expect(await versionsRead('three.csv')).toEqual([3]);
    expect(read?.olderVersion).toMatchObject({ version: 3, inForce: { version: 4 }, legacyLayout: false });
    expect(read?.olderVersion?.message).toContain('xzcf v4 in force since 2026-12-06');
    expect(read?.olderVersion?.message).toContain('联系电话');
    const text = await runCli([...args, '--received-at', '2026-12-06', '--force'], env(dir));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /⚠ three\.csv: read by xzcf v3 \(the layout of v3\); xzcf v4 in force since 2026-12-06/,
    );
    expect(readFileSync(path.join(fx.scratch, 'cli.log'), 'utf8')).toContain('older-catalog-version');
  });
});
