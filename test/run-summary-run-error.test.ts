import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const ID = '11010519491231002X';
const MASKED_ID = '1101**********002X';

// `credit-etl run` of a pipeline whose drop directory does not exist: the run fails as a whole, no file to blame.
// Its summary says why (`error` in --json, a line in the text), masked as every message is.
describe('the summary of a run that failed as a whole', { timeout: 120_000 }, () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let missing: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('run_error_summary');
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    // A folder named for a person (an ID number in the path): masked wherever the message is shown.
    missing = path.join(fx.scratch, `drop-${ID}`, 'inbox');
    writeFileSync(
      path.join(pipelines, 'nodir.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: missing, markerSuffixes: [], stableSizeMs: 0 },
        retry: { attempts: 1, backoffSeconds: 0 },
      }),
    );
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  });
  afterAll(async () => fx?.close());

  it('--json gives the run’s own error: its code and message, masked', async () => {
    const result = await runCli(['run', 'nodir', '--json'], env);
    expect(result.code, result.stderr).toBe(1);
    const summary = JSON.parse(result.stdout);
    const shown = missing.replace(ID, MASKED_ID);
    expect(summary).toMatchObject({
      status: 'failed',
      files: [],
      error: { code: 'drop-directory-missing', message: `${shown} does not exist` },
    });
    expect(result.stdout).not.toContain(ID);
    const run = await fx.warehouse('runs').where({ id: summary.runId }).first();
    expect(run).toMatchObject({ status: 'failed', error: `${shown} does not exist` });
  });

  it('the text summary says it under `run N failed`', async () => {
    const result = await runCli(['run', 'nodir'], env);
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^run \d+ failed$/);
    expect(lines[1]).toBe(`✗ run [drop-directory-missing]: ${missing.replace(ID, MASKED_ID)} does not exist`);
    expect(result.stdout).not.toContain(ID);
  });
});
