import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_ENDING_RETRY } from '../src/warehouse/runs-repository.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A run's attempt count is written after its end, and a database restart at that moment is waited out as the run's
// end is (RUN_ENDING_RETRY). The write's session is ended by a trigger the test puts on `runs` (pg_terminate_backend
// of itself, as a restart or an administrator would), once or on every try. A run that loaded keeps its end (no
// other attempt, no failed run of its own); a failed run is never left `running`; after every try is cut, the JSON
// names the run and says what is stored of it may be stale.
describe("a run's attempt count waits out a restarting database as its end does (real PostgreSQL)", {
  timeout: 180_000,
}, () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('attempts_count_retried');
  });
  afterAll(async () => fx?.close());

  /** The `which`-th (or each of `[first, last]`) update of `pipeline`'s runs matching `when` loses its session. */
  async function cutRunUpdate(
    pipeline: string,
    when: string,
    which: number | [first: number, last: number],
  ): Promise<void> {
    const tag = pipeline.replace(/\W/g, '_');
    const nth = typeof which === 'number' ? `= ${which}` : `BETWEEN ${which[0]} AND ${which[1]}`;
    await fx.owner.raw(`CREATE SEQUENCE cut_${tag}`);
    await fx.owner.raw(`
      CREATE FUNCTION cut_${tag}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      DECLARE n bigint;
      BEGIN
        IF NEW.pipeline = '${pipeline}' AND ${when} THEN
          n := nextval('cut_${tag}');
          IF n ${nth} THEN
            PERFORM pg_terminate_backend(pg_backend_pid());
          END IF;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER cut_${tag} BEFORE UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION cut_${tag}();
    `);
  }

  /** The first load of the file `name` loses its session: an infrastructure fault that ends that attempt. */
  async function cutFirstLoadOf(name: string): Promise<void> {
    const tag = name.replace(/\W/g, '_');
    await fx.owner.raw(`
      CREATE SEQUENCE load_${tag};
      CREATE FUNCTION load_${tag}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN
        IF NEW.name = '${name}' AND nextval('load_${tag}') = 1 THEN
          PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER load_${tag} BEFORE INSERT ON source_files FOR EACH ROW EXECUTE FUNCTION load_${tag}();
    `);
  }

  /** A drop-folder pipeline `name` with one small file of its own (`seed`), tried `attempts` times. */
  function pipelineWithFile(name: string, attempts: number, seed: number) {
    const inbox = path.join(fx.scratch, name, 'inbox');
    const pipelines = path.join(fx.scratch, name, 'pipelines');
    mkdirSync(inbox, { recursive: true });
    mkdirSync(pipelines, { recursive: true });
    writePenaltyCsv(inbox, `${name}.csv`, 40, { seed });
    writeFileSync(
      path.join(pipelines, `${name}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
        retry: { attempts, backoffSeconds: 1 },
      }),
    );
    return {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, `${name}.log`),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  }

  const runsOf = (pipeline: string) => fx.warehouse('runs').where({ pipeline }).orderBy('id');

  it('a run that loaded in its second attempt, its attempt count cut once: written again, the run completed', async () => {
    const env = pipelineWithFile('loaded_once', 2, 7);
    await cutFirstLoadOf('loaded_once.csv');
    await cutRunUpdate('loaded_once', `OLD.status = 'completed' AND NEW.attempts = 2`, 1);
    const result = await runCli(['run', 'loaded_once', '--json'], env);

    expect(result.code, result.stderr).toBe(0);
    const runs = await runsOf('loaded_once');
    // No third run failed for the count: the run that loaded is the run's outcome.
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([
      ['failed', 1],
      ['completed', 2],
    ]);
    expect(runs[1].counts).toMatchObject({ read: 40 });
    expect(JSON.parse(result.stdout)).toMatchObject({ runId: runs[1].id, status: 'completed' });
  });

  it('a run that loaded in its second attempt, its attempt count cut on every try: the run stays completed, the JSON names it', async () => {
    const env = pipelineWithFile('loaded_stale', 2, 17);
    await cutFirstLoadOf('loaded_stale.csv');
    // Every try is cut (about 30–45 s of waits).
    await cutRunUpdate('loaded_stale', `OLD.status = 'completed' AND NEW.attempts = 2`, [
      1,
      RUN_ENDING_RETRY.attempts,
    ]);
    const result = await runCli(['run', 'loaded_stale', '--json'], env);

    expect(result.code, result.stderr).toBe(1);
    const runs = await runsOf('loaded_stale');
    // Not a third attempt, nor a failed run of its own: the run that loaded keeps its end, its count stale.
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([
      ['failed', 1],
      ['completed', 1],
    ]);
    expect(runs[1].counts).toMatchObject({ read: 40 });
    const failure = JSON.parse(result.stdout);
    expect(failure).toMatchObject({ exitCode: 1, runId: runs[1].id, runStatusMayBeStale: true });
    expect(failure.error).toMatch(/terminating connection due to administrator command/);
    expect(result.stderr).toMatch(new RegExp(`run ${runs[1].id} .*could not be stored`));
  });

  it('a run whose last attempt lost the database, its attempt count cut once: written again, the run failed', async () => {
    const env = pipelineWithFile('failed_once', 1, 27);
    await cutFirstLoadOf('failed_once.csv');
    // The attempt's run is ended `failed` and counted by the attempt (the first update of a failed run), then
    // counted again as the run's last attempt: that write is cut once.
    await cutRunUpdate('failed_once', `OLD.status = 'failed'`, 2);
    const result = await runCli(['run', 'failed_once', '--json'], env);

    expect(result.code, result.stderr).toBe(1);
    const runs = await runsOf('failed_once');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([['failed', 1]]);
    expect(runs[0].error).toMatch(/database connection failed while loading failed_once\.csv/);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ runId: runs[0].id, status: 'failed' });
    expect(summary).not.toHaveProperty('runStatusMayBeStale');
    expect(result.stderr).not.toMatch(/could not be stored/);
  });

  it('a run whose last attempt lost the database and that no end before its count could store: ended failed with it, never left running', {
    timeout: 240_000,
  }, async () => {
    const env = pipelineWithFile('ended_late', 1, 37);
    await cutFirstLoadOf('ended_late.csv');
    // Every try of the run's end by the loader, by the attempt (endFaultedRun) and after the attempts
    // (endLeftoverRuns) is cut (about 3 × 30–45 s of waits): the server is back when its attempts are counted.
    await cutRunUpdate('ended_late', `OLD.status = 'running' AND NEW.status = 'failed'`, [
      1,
      3 * RUN_ENDING_RETRY.attempts,
    ]);
    const result = await runCli(['run', 'ended_late', '--json'], env);

    expect(result.code, result.stderr).toBe(1);
    const runs = await runsOf('ended_late');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([['failed', 1]]);
    expect(runs[0].error).toMatch(/database connection failed while loading ended_late\.csv/);
    expect(JSON.parse(result.stdout)).toMatchObject({ runId: runs[0].id, status: 'failed' });
  });
});
