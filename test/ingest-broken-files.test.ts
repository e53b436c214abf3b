import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from '../connectors/transports/zip-fixture.test-support.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type CliResult, runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDER = '11370100MB28174284'; // 济南市 in config/providers.json

interface FileSummary {
  name: string;
  status: string;
  counts?: { read: number; rejected?: number };
  error?: { code: string; message: string };
}

/**
 * `credit-etl ingest` on real files, on real PostgreSQL: what is wrong inside a provider's file is recorded as that
 * file's failure while the others load (exit 1); what is wrong with how the operator called it stops before
 * anything runs (exit 2).
 */
describe('ingest: broken files and the operator’s mistakes (the real CLI)', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const ingest = (files: string[], ...extra: string[]) =>
    runCli(
      [
        'ingest',
        ...files,
        '--catalog',
        'xzcf',
        '--provider',
        PROVIDER,
        '--level',
        'city',
        '--json',
        ...extra,
      ],
      env,
    );
  const files = (stdout: string) =>
    (JSON.parse(stdout) as { files: FileSummary[] }).files.map((file) => [
      file.name,
      file.status,
      file.error?.code,
    ]);
  const runCount = async () => Number((await fx.warehouse('runs').count({ n: '*' }))[0]?.n);

  beforeAll(async () => {
    fx = await openWarehouseFixture('ingest_broken_files');
    dir = path.join(fx.scratch, 'files');
    mkdirSync(dir);
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      CREDIT_ETL_PIPELINES_DIR: path.join(fx.scratch, 'pipelines'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    };
  });
  afterAll(async () => fx?.close());

  it('records a truncated zip as corrupt-archive in source_files and loads the good file beside it (exit 1)', async () => {
    const good = writePenaltyCsv(dir, 'good.csv', 10, { seed: 301 }).file;
    const cut = path.join(dir, 'cut.zip');
    await writeZip(cut, { 'inner.csv': toCsv(PENALTY_HEADER, generatePenalties(10, { seed: 302 }).rows) });
    const whole = readFileSync(cut);
    const half = whole.subarray(0, Math.floor(whole.length / 2));
    writeFileSync(cut, half);
    const result = await ingest([good, cut]);
    expect(result.code, result.stderr).toBe(1);
    expect(files(result.stdout)).toEqual([
      ['good.csv', 'loaded', undefined],
      ['cut.zip', 'failed', 'corrupt-archive'],
    ]);
    const stored = await fx.warehouse('source_files').where({ name: 'cut.zip' }).first();
    expect(stored).toMatchObject({
      status: 'failed',
      error_code: 'corrupt-archive',
      size_bytes: half.length,
    });
    expect(stored.error).toContain('cut.zip 不是有效的 zip 压缩包');
  });

  it('fails a zip entry changed after it was packed (CRC-32) and commits none of its rows, merged while read or not', async () => {
    const csv = Buffer.from(toCsv(PENALTY_HEADER, generatePenalties(1200, { seed: 308, badShare: 0 }).rows));
    const decided = csv.indexOf('2026/', csv.indexOf('\n'));
    const changed = Buffer.from(csv);
    changed[decided + 2] = '1'.charCodeAt(0);
    const good = path.join(dir, 'crc-good.zip');
    const bad = path.join(dir, 'crc-bad.zip');
    await writeZip(good, { '处罚.csv': csv }, {}, ['处罚.csv']);
    // The same zip with one byte of the stored entry changed: its recorded CRC-32 no longer fits (`unzip -t`).
    const packed = readFileSync(good);
    packed[packed.indexOf(csv) + decided + 2] = '1'.charCodeAt(0);
    expect(packed.indexOf(changed)).toBeGreaterThan(0);
    writeFileSync(bad, packed);
    const counts = async () => ({
      records: Number((await fx.warehouse('records').count({ n: '*' }))[0]?.n),
      versions: Number((await fx.warehouse('record_versions').count({ n: '*' }))[0]?.n),
    });
    const before = await counts();
    const refused = (result: CliResult) => {
      expect(result.code, result.stderr).toBe(1);
      expect(files(result.stdout)).toEqual([['crc-bad.zip!处罚.csv', 'failed', 'corrupt-archive']]);
      const [failure] = (JSON.parse(result.stdout) as { files: FileSummary[] }).files;
      expect(failure?.error?.message).toMatch(
        /^压缩包 crc-bad\.zip 中的「处罚\.csv」已损坏：解压出的内容与压缩包记录的校验值不符（CRC-32 应为 [0-9a-f]{8}，实为 [0-9a-f]{8}）/,
      );
    };
    // A first load merging new records every 400 rows while it reads: those merges are in the unit's transaction.
    const argv = ['ingest', bad, '--catalog', 'xzcf', '--provider', PROVIDER, '--level', 'city', '--json'];
    refused(await runCli(argv, { ...env, CREDIT_ETL_MERGE_WHILE_READING: '400' }));
    expect(await counts()).toEqual(before);
    const loaded = await ingest([good]);
    expect(loaded.code, loaded.stderr).toBe(0);
    const [file] = (JSON.parse(loaded.stdout) as { files: FileSummary[] }).files;
    expect(file).toMatchObject({ status: 'loaded', counts: { read: 1200, rejected: 0 } });
    const afterGood = await counts();
    expect(afterGood.versions).toBeGreaterThan(before.versions);
    // Delivered again, changed: no record gets a version made of the changed bytes.
    refused(await ingest([bad]));
    expect(await counts()).toEqual(afterGood);
  });

  it('refuses a path that does not exist, or a directory, before anything runs (exit 2)', async () => {
    const good = writePenaltyCsv(dir, 'good-2.csv', 5, { seed: 303 }).file;
    const before = await runCount();
    const missing = await ingest([good, path.join(dir, 'no-such.zip')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such.zip: ENOENT');
    const folder = await ingest([good, dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('it is not a file');
    // --json: what a script reads is the failure, nothing else (docs/commands.md, the --json summary).
    for (const { stdout } of [missing, folder])
      expect(JSON.parse(stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
    expect(await runCount()).toBe(before);
  });

  it('loads a zip whose entries are stored uncompressed (method 0, zip -0) beside deflated ones (exit 0)', async () => {
    const file = path.join(dir, 'stored.zip');
    const csv = (seed: number) => toCsv(PENALTY_HEADER, generatePenalties(4, { seed }).rows);
    await writeZip(file, { 'stored.csv': csv(304), 'deflated.csv': csv(305) }, {}, ['stored.csv']);
    expect(readFileSync(file).readUInt16LE(8)).toBe(0);
    const result = await ingest([file]);
    expect(result.code, result.stderr).toBe(0);
    expect(files(result.stdout)).toEqual([
      ['stored.zip!stored.csv', 'loaded', undefined],
      ['stored.zip!deflated.csv', 'loaded', undefined],
    ]);
  });

  it('refuses --sheet values no workbook has (0, empty, a name Excel forbids) before anything runs (exit 2)', async () => {
    const book = await twoMonthsWorkbook('sheet-option.xlsx', 306);
    const before = await runCount();
    for (const sheet of ['0', '', 'a/b', '一'.repeat(32)]) {
      const result = await ingest([book], '--sheet', sheet);
      expect(result.code, `--sheet "${sheet}": ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('--sheet');
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
    }
    expect(await runCount()).toBe(before);
  });

  it('fails a workbook with rows on two sheets that fit the catalog, naming them; --sheet reads the one chosen', async () => {
    const book = await twoMonthsWorkbook('two-months.xlsx', 307);
    const both = await ingest([book]);
    expect(both.code, both.stderr).toBe(1);
    expect(files(both.stdout)).toEqual([['two-months.xlsx', 'failed', 'multiple-data-sheets']]);
    const [failure] = (JSON.parse(both.stdout) as { files: FileSummary[] }).files;
    // The hidden sheet's rows fit too: nobody sees them in Excel, and they would not be loaded.
    expect(failure?.error?.message).toContain('「旧数据」「一月」「二月」');
    expect(failure?.error?.message).toContain('其中「旧数据」是隐藏的工作表，有 3 行');
    expect(failure?.error?.message).toContain('--sheet');
    const chosen = await ingest([book], '--sheet', '二月');
    expect(chosen.code, chosen.stderr).toBe(0);
    const [loaded] = (JSON.parse(chosen.stdout) as { files: FileSummary[] }).files;
    expect(loaded).toMatchObject({ status: 'loaded', counts: { read: 5 } });
  });

  /** 一月 and 二月, each with the catalog's header and 5 rows, after a notes sheet and a hidden sheet with data. */
  async function twoMonthsWorkbook(name: string, seed: number): Promise<string> {
    const { rows } = generatePenalties(13, { seed });
    const book = new ExcelJS.Workbook();
    book.addWorksheet('填报说明').addRows([['本表为行政处罚信息'], ['联系人：张三']]);
    const hidden = book.addWorksheet('旧数据');
    hidden.addRows([PENALTY_HEADER, ...rows.slice(10)]);
    hidden.state = 'hidden';
    book.addWorksheet('一月').addRows([PENALTY_HEADER, ...rows.slice(0, 5)]);
    book.addWorksheet('二月').addRows([PENALTY_HEADER, ...rows.slice(5, 10)]);
    const file = path.join(dir, name);
    await book.xlsx.writeFile(file);
    return file;
  }
});
