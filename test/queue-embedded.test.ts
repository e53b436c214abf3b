import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli, startCli } from './support/run-cli.ts';

// The queue on the embedded default (no DATABASE_URL): what `npm start` gives a user without a server. The
// worker starts the embedded PostgreSQL, pg-boss installs its schema in it, and every exit code holds.
describe('the job queue on the embedded default (no DATABASE_URL), through the real CLI', {
  timeout: 240_000,
}, () => {
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  let inbox: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-queue-embedded-'));
    // Run as root, postgres runs as OS user `postgres`, which must be able to enter the temp directory.
    chmodSync(scratch, 0o755);
    inbox = path.join(scratch, 'inbox');
    const pipelines = path.join(scratch, 'pipelines');
    mkdirSync(inbox);
    mkdirSync(pipelines);
    writeFileSync(
      path.join(pipelines, 'feed.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: inbox },
      }),
    );
    env = {
      DATABASE_URL: '',
      CREDIT_ETL_PG_DIR: path.join(scratch, 'postgres'),
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_STAGING_DIR: path.join(scratch, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: scratch,
    };
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const serverLeft = () => existsSync(path.join(scratch, 'postgres', 'postmaster.pid'));

  it('a warehouse that never ran a worker lists no jobs (exit 0) and knows no job id (exit 2)', async () => {
    const list = await runCli(['jobs', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain('no jobs');
    const show = await runCli(['jobs', 'show', '00000000-0000-4000-8000-000000000000'], env);
    expect(show.code).toBe(2);
    expect(serverLeft()).toBe(false);
  });

  it('`run --enqueue` queues a job, a worker loads the file and exits 0 on SIGTERM, `jobs show` says completed', async () => {
    const delivery = writePenaltyCsv(scratch, 'delivery.csv', 30, { seed: 7 }).file;
    copyFileSync(delivery, path.join(inbox, 'delivery.csv'));
    // The provider's done-marker: the file is complete (drop-folder's default).
    writeFileSync(path.join(inbox, 'delivery.csv.ok'), '');
    const queued = await runCli(['run', 'feed', '--enqueue', '--json'], env);
    expect(queued.code, queued.stderr).toBe(0);
    const [job] = JSON.parse(queued.stdout) as { jobId: string; created: boolean }[];
    expect(job?.created).toBe(true);
    expect(serverLeft()).toBe(false);

    const worker = startCli(['worker'], env);
    const deadline = Date.now() + 180_000;
    while (!/job \S+ completed/.test(worker.output()) && Date.now() < deadline) await sleep(250);
    expect(worker.output()).toMatch(/job \S+ completed/);
    worker.child.kill('SIGTERM');
    const stopped = await worker.result;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(serverLeft()).toBe(false);

    const shown = await runCli(['jobs', 'show', job!.jobId, '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    const detail = JSON.parse(shown.stdout) as { state: string; runs: { id: number }[] };
    expect(detail.state).toBe('completed');
    expect(detail.runs).toHaveLength(1);
    const run = await runCli(['runs', 'show', String(detail.runs[0]!.id), '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', counts: { read: 30 } });
  });
});
