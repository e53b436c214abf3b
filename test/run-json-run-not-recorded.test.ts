import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_ENDING_RETRY } from '../src/warehouse/runs-repository.ts';
import { inboxOf, writeDropFolderPipeline } from './support/drop-folder-pipeline.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { cutFirstLoadOf, cutRunUpdate } from './support/session-cuts.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// `run --json` and `backfill --json` when a run's end cannot be stored: the database session writing it ends at
// that moment (its backend terminated by a trigger the test puts on `runs`, as a restart or an administrator
// would; each try, when the end is tried again). The run row was created: the JSON names it and says that what is
// stored of it may be stale. No run stays `running` once the command ended.
describe('`run --json` and `backfill --json` name the run whose end could not be stored (real PostgreSQL)', {
  timeout: 180_000,
}, () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('run_not_recorded');
  });
  afterAll(async () => fx?.close());

  function pipelineFile(name: string, directory: string, retry = { attempts: 1, backoffSeconds: 1 }) {
    return writeDropFolderPipeline(fx, name, directory, { retry });
  }

  const runsOf = (pipeline: string) => fx.warehouse('runs').where({ pipeline }).orderBy('id');

  it('a run that failed before its first file (no drop directory), its end cut once and its attempts once: both written again', async () => {
    const env = pipelineFile('cut_once', path.join(fx.scratch, 'no-such-inbox'));
    // As a restart would: the run's end is lost with its session, then its attempt count; each is tried again.
    await cutRunUpdate(
      fx.owner,
      'cut_once',
      `OLD.status = 'running' AND NEW.status = 'failed'`,
      1,
      'cut_once_end',
    );
    await cutRunUpdate(fx.owner, 'cut_once', `OLD.status = 'failed'`, 1, 'cut_once_attempts');
    const result = await runCli(['run', 'cut_once', '--json'], env);

    expect(result.code, result.stderr).toBe(1);
    const runs = await runsOf('cut_once');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([['failed', 1]]);
    // The run's own reason, not the exit's sweep.
    expect(runs[0].error).toMatch(/no-such-inbox/);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({
      runId: runs[0].id,
      status: 'failed',
      error: { code: 'drop-directory-missing' },
    });
    expect(summary).not.toHaveProperty('runStatusMayBeStale');
    expect(result.stderr).not.toMatch(/could not be stored/);
  });

  it('a run that failed before its first file (no drop directory), its failure not stored after the waits: the JSON names it', async () => {
    const env = pipelineFile('nowhere', path.join(fx.scratch, 'no-such-inbox'));
    // Every try of the run's end is cut (about 30–45 s of waits); the exit's sweep, after them, ends it.
    await cutRunUpdate(fx.owner, 'nowhere', `OLD.status = 'running' AND NEW.status = 'failed'`, [
      1,
      RUN_ENDING_RETRY.attempts,
    ]);
    const result = await runCli(['run', 'nowhere', '--json'], env);

    expect(result.code, result.stderr).toBe(1);
    const runs = await runsOf('nowhere');
    expect(runs).toHaveLength(1);
    const failure = JSON.parse(result.stdout);
    expect(failure).toMatchObject({
      status: 'failed',
      exitCode: 1,
      runId: runs[0].id,
      runStatusMayBeStale: true,
    });
    expect(failure.error).toMatch(/terminating connection due to administrator command/);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`run ${runs[0].id} .*its end could not be stored`));
    // Ended by the command's exit all the same.
    expect(runs[0].status).toBe('failed');
  });

  it("a run whose file's load lost the database and whose attempt count could not be stored: the JSON names it", async () => {
    const inbox = inboxOf(fx, 'cut');
    writePenaltyCsv(inbox, 'small.csv', 40, { seed: 5 });
    const env = pipelineFile('cut', inbox);
    // The file's load loses its session (its source_files row is never written): an infrastructure fault, the run
    // ended `failed` by the loader. Then its attempt count is stored twice (the attempt's, the run's last): every
    // try of the second write is cut (about 30–45 s of waits).
    await cutFirstLoadOf(fx.owner, 'small.csv');
    await cutRunUpdate(fx.owner, 'cut', `OLD.status = 'failed'`, [2, RUN_ENDING_RETRY.attempts + 1]);
    const result = await runCli(['run', 'cut', '--json'], env);

    expect(result.code, result.stderr).toBe(1);
    const runs = await runsOf('cut');
    expect(runs.map((run) => run.status)).toEqual(['failed']);
    expect(runs[0].error).toMatch(/database connection failed while loading small\.csv/);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'failed',
      exitCode: 1,
      runId: runs[0].id,
      runStatusMayBeStale: true,
    });
  });

  it('a backfill day whose run ended before its first file and whose end could not be stored: the JSON names it and the days before', async () => {
    const env = pipelineFile('backfilled', path.join(fx.scratch, 'no-such-inbox'));
    // Each day fails before its first file (no drop directory). The first day's end is stored; every try of the
    // second's is cut (about 30–45 s of waits), then the exit's sweep ends it.
    await cutRunUpdate(fx.owner, 'backfilled', `OLD.status = 'running' AND NEW.status = 'failed'`, [
      2,
      RUN_ENDING_RETRY.attempts + 1,
    ]);
    const result = await runCli(
      ['backfill', 'backfilled', '--from', '2026-10-01', '--to', '2026-10-03', '--json'],
      env,
    );

    expect(result.code, result.stderr).toBe(1);
    const runs = await runsOf('backfilled');
    expect(runs.map((run) => [run.partition_date, run.status])).toEqual([
      ['2026-10-01', 'failed'],
      ['2026-10-02', 'failed'],
    ]);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const backfill = JSON.parse(result.stdout);
    // The days that ran keep their runs; the backfill stops at the day whose run could not be recorded.
    expect(backfill.days).toHaveLength(2);
    expect(backfill).toMatchObject({
      dryRun: false,
      days: [
        {
          date: '2026-10-01',
          action: 'run',
          run: { runId: runs[0].id, status: 'failed', error: { code: 'drop-directory-missing' } },
        },
        { date: '2026-10-02', action: 'run', run: { runId: runs[1].id, runStatusMayBeStale: true } },
      ],
    });
    expect(backfill.days[0].run).not.toHaveProperty('runStatusMayBeStale');
    expect(backfill.days[1].run.error).toMatch(/terminating connection due to administrator command/);
    expect(result.stderr).toMatch(
      new RegExp(`run ${runs[1].id} \\(2026-10-02\\) .*its end could not be stored`),
    );
  });
});
