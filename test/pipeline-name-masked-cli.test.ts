import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../src/warehouse/outcome-counts.ts';
import { finishRun, startRun } from '../src/warehouse/runs-repository.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * A drop-folder pipeline named for a person (its file `p-<ID>.json`): the CLI's lines that name it (a pipeline
 * file's warnings, `backfill --enqueue` with nothing to queue) print it masked, as `pipelines list` does.
 */
const ID = '370102197503090014';
const PIPELINE = `p-${ID}`;
const SHOWN = 'p-3701**********0014';

describe('credit-etl: a pipeline whose name holds an ID number', () => {
  let fx: WarehouseFixture;
  let pipelinesDir: string;

  const cli = (args: string[]) =>
    runCli(args, {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelinesDir,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    });

  beforeAll(async () => {
    fx = await openWarehouseFixture('pipeline_name_masked_cli');
    pipelinesDir = path.join(fx.scratch, 'pipelines');
    const drop = path.join(fx.scratch, PIPELINE);
    mkdirSync(pipelinesDir, { recursive: true });
    mkdirSync(drop, { recursive: true });
    // An out-of-date `format` line: a warning that names the file.
    writeFileSync(
      path.join(pipelinesDir, `${PIPELINE}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        format: 'csv',
        transport: { type: 'drop-folder', directory: drop },
      }),
    );
    // Its day already loaded: a backfill of it has nothing to queue.
    const run = await startRun(fx.warehouse, 'pipeline', {}, PIPELINE, { partitionDate: '2026-11-20' });
    await finishRun(fx.warehouse, run, { status: 'completed', counts: emptyCounts(), errorsByCode: {} });
  }, 120_000);
  afterAll(async () => fx?.close());

  it('is masked in a pipeline file warning and in backfill --enqueue', async () => {
    const listed = await cli(['pipelines', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(SHOWN);
    expect(listed.stderr).toContain(`/${SHOWN}.json: /format:`);
    const queued = await cli([
      'backfill',
      PIPELINE,
      '--from',
      '2026-11-20',
      '--to',
      '2026-11-20',
      '--enqueue',
    ]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toContain(`nothing to queue for pipeline ${SHOWN}`);
    expect(queued.stderr).toContain(`/${SHOWN}.json: /format:`);
    for (const output of [listed.stdout, listed.stderr, queued.stdout, queued.stderr])
      expect(output).not.toContain(ID);
  }, 120_000);
});
