import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_ENDING_RETRY } from '../src/warehouse/runs-repository.ts';
import { inboxOf, writeDropFolderPipeline } from './support/drop-folder-pipeline.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { cutFirstLoadOf, cutRunUpdate } from './support/session-cuts.ts';
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

  /** A drop-folder pipeline `name` with one small file of its own (`seed`), tried `attempts` times. */
  function pipelineWithFile(name: string, attempts: number, seed: number) {
    const inbox = inboxOf(fx, name);
    writePenaltyCsv(inbox, `${name}.csv`, 40, { seed });
    return writeDropFolderPipeline(fx, name, inbox, { retry: { attempts, backoffSeconds: 1 } });
  }

  const runsOf = (pipeline: string) => fx.warehouse('runs').where({ pipeline }).orderBy('id');

  it('a run that loaded in its second attempt, its attempt count cut once: written again, the run completed', async () => {
    const env = pipelineWithFile('loaded_once', 2, 7);
    await cutFirstLoadOf(fx.owner, 'loaded_once.csv');
    await cutRunUpdate(fx.owner, 'loaded_once', `OLD.status = 'completed' AND NEW.attempts = 2`, 1);
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
    await cutFirstLoadOf(fx.owner, 'loaded_stale.csv');
    // Every try is cut (about 30–45 s of waits).
    await cutRunUpdate(fx.owner, 'loaded_stale', `OLD.status = 'completed' AND NEW.attempts = 2`, [
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
    await cutFirstLoadOf(fx.owner, 'failed_once.csv');
    // The attempt's run is ended `failed` and counted by the attempt (the first update of a failed run), then
    // counted again as the run's last attempt: that write is cut once.
    await cutRunUpdate(fx.owner, 'failed_once', `OLD.status = 'failed'`, 2);
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
    await cutFirstLoadOf(fx.owner, 'ended_late.csv');
    // Every try of the run's end by the loader, by the attempt (endFaultedRun) and after the attempts
    // (endLeftoverRuns) is cut (about 3 × 30–45 s of waits): the server is back when its attempts are counted.
    await cutRunUpdate(fx.owner, 'ended_late', `OLD.status = 'running' AND NEW.status = 'failed'`, [
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
