import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { recordDisclosure } from '../src/disclosure/record-disclosure.ts';
import { catalogCli } from './support/fixture-cli.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const FACTS = {
  status: 'current' as const,
  data: { CF_CFLB: '警告', CF_JDRQ: '2026-12-01' },
  formationDate: '2026-12-01',
};

/**
 * A record stored under a catalog entry version whose file catalog/ no longer holds is not shown: its disclosure
 * is unknown. It has its own reason (`version-missing`), not the `not-public` of an entry never shown to the
 * public, so the report's counts and every --json say which it is, not only the label.
 */
describe('disclosure: a record whose entry version file is missing has its own reason', () => {
  it('recordDisclosure: version-missing with the missing file named; a withdrawal still says withdrawn', () => {
    const state = recordDisclosure(undefined, FACTS, '2026-12-06', { code: 'xzcf', version: 3 });
    expect(state).toMatchObject({ state: 'not-disclosed', reason: 'version-missing' });
    expect(state.label).toContain('公示状态未知');
    expect(state.label).toContain('xzcf.v3.json');
    const withdrawn = recordDisclosure(undefined, { ...FACTS, status: 'withdrawn' }, '2026-12-06', {
      code: 'xzcf',
      version: 3,
    });
    expect(withdrawn.reason).toBe('withdrawn');
  });
});

describe('report disclosure and record: version-missing in the text, --json, CSV and XLSX', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let catalogDir: string;
  let records: number;
  const today = todayInShanghai();
  const cli = catalogCli(
    () => fx,
    () => catalogDir,
  );

  beforeAll(async () => {
    fx = await openWarehouseFixture('disclosure_version_missing');
    const loaded = await fx.ingest([fixturePath('xzcf/utf8-bom/input.csv')], {
      receivedAt: new Date('2026-12-06T10:00:00+08:00'),
    });
    expect(loaded.status).toBe('completed');
    expect(
      await fx.warehouse('record_versions').distinct('catalog_version').pluck('catalog_version'),
    ).toEqual([3]);
    records = Number((await fx.warehouse('records').count<{ count: string }[]>('* as count'))[0]?.count);
    expect(records).toBeGreaterThan(0);
    // The catalog without xzcf v3: the version every record was stored under.
    catalogDir = path.join(fx.scratch, 'catalog');
    mkdirSync(catalogDir, { recursive: true });
    cpSync(path.join(PROJECT_ROOT, 'catalog'), catalogDir, { recursive: true });
    rmSync(path.join(catalogDir, 'xzcf.v3.json'));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('counts them as versionMissing, not notPublic: the printed lines, the JSON counts, the XLSX summary', async () => {
    const json = path.join(fx.scratch, 'disclosure.json');
    const printed = await cli(['report', 'disclosure', '--as-of', today, '--out', json]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(`目录版本文件缺失，公示状态未知（不公示） ${records}`);
    expect(printed.stdout).toContain('目录不向社会公示 0');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.counts).toMatchObject({ records, shown: 0, notPublic: 0, versionMissing: records });
    expect(report.records).toEqual([]);

    const xlsx = path.join(fx.scratch, 'disclosure.xlsx');
    expect((await cli(['report', 'disclosure', '--as-of', today, '--out', xlsx])).code).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsx);
    const summary = workbook.getWorksheet('汇总');
    const lines = new Map<string, unknown>();
    summary?.eachRow((row) => {
      lines.set(row.getCell(1).text, row.getCell(2).value);
    });
    expect(lines.get('目录版本文件缺失，公示状态未知（不公示）')).toBe(records);
    expect(lines.get('目录不向社会公示')).toBe(0);

    // The CSV holds the shown records only (none here): it is written, and says nothing of the others.
    const csv = path.join(fx.scratch, 'disclosure.csv');
    expect((await cli(['report', 'disclosure', '--as-of', today, '--out', csv])).code).toBe(0);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('record --json gives the reason; its text the label that says why', async () => {
    const shown = await cli(['record', '1', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).disclosure).toMatchObject({
      state: 'not-disclosed',
      reason: 'version-missing',
    });
    const text = await cli(['record', '1']);
    expect(text.stdout).toContain('公示状态未知，不公示：目录条目 xzcf v3 不在目录中');
    expect(text.stdout).toContain('catalog xzcf v3');
  });
});
