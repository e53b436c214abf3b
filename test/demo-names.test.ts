import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { loadProviders } from '../src/report/providers.ts';
import { qualityBulletin } from '../src/report/quality-stats.ts';
import { connectWarehouse, type Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/** `credit-etl …` from `cwd`: the demo drops its files under the pipelines' relative directories there. */
function cli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/credit-etl.js'), ...args], {
      cwd,
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the demo on the shipped pipelines and registry', () => {
  let database: TestDatabase;
  let warehouse: Warehouse;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    database = await createTestDatabase('demo_names');
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-demo-names-'));
    env = {
      DATABASE_URL: database.url,
      CREDIT_ETL_LOG_FILE: path.join(dir, 'credit-etl.log'),
      CREDIT_ETL_REPORT_DIR: path.join(dir, 'reports'),
      CREDIT_ETL_STAGING_DIR: path.join(dir, 'staging'),
    };
    const demo = await cli(['demo'], dir, env);
    expect(demo.code, demo.output).toBe(0);
    warehouse = connectWarehouse(database.url);
  }, 600_000);
  afterAll(async () => {
    await warehouse?.destroy();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ranks 济南市 with the rows its pipeline delivered, and names it on its notice', async () => {
    const today = todayInShanghai();
    const bulletin = await qualityBulletin(warehouse, await loadProviders(), {
      from: today,
      to: today,
      bottom: 3,
    });
    const jinan = bulletin.providers.find((provider) => provider.code === '11370100MB28174284');
    expect(jinan).toMatchObject({ name: '济南市', level: 'city' });
    expect(jinan!.current.delivered).toBe(20);
    expect(
      bulletin.providers.find((provider) => provider.code === '11370000MB2852362M')?.current.delivered,
    ).toBe(20);
    // Only the registered providers appear: none of them is a bare code without a name.
    expect(bulletin.providers.every((provider) => provider.name !== provider.code)).toBe(true);

    const out = path.join(dir, 'notice.xlsx');
    const notice = await cli(
      ['report', 'notice', '--provider', '11370100MB28174284', '--run', '2', '--out', out],
      dir,
      env,
    );
    expect(notice.code, notice.output).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const letter: string[] = [];
    workbook.worksheets[0]!.eachRow((row) => row.eachCell((cell) => letter.push(cell.text)));
    expect(letter).toContain('济南市（11370100MB28174284）');
  }, 600_000);
});
