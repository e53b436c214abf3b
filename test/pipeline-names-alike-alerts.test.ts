import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent, AlertSink } from '../src/alerts/alert-event.ts';
import { retryOf, settleRetries, startRetry } from '../src/console/background-retries.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { pipelineNamesShown } from '../src/pipelines/pipeline-names-shown.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { checkDelivered } from '../src/schedule/delivery-watch.ts';
import { queueScheduledRun } from '../src/schedule/queue-scheduled-run.ts';
import { tryPipelineLock } from '../src/warehouse/pipeline-lock.ts';
import { type AlertReceiver, startAlertReceiver } from './support/alert-receivers.ts';
import {
  cliOverIdNamed,
  ID_NAMED_PARTITION,
  type IdNamedPipelines,
  idNamedEnv,
  MASKING_ALIKE,
  openIdNamedPipelines,
} from './support/id-named-pipelines.ts';
import { linesLogger } from './support/recording-logger.ts';
import { refusedConnection } from './support/refused-connection.ts';
import { startCli } from './support/run-cli.ts';
import { until } from './support/until.ts';

/**
 * Two pipelines named for two people whose ID numbers mask alike (`feed-3701**********0014`), their drop folders
 * gone, so that each run fails: the alert of each failed run, whether `run` ran it or a worker ran its queued job,
 * names its pipeline as `pipelines list` does (`…~1`, `…~2`), the two told apart, and that name typed back to
 * `runs list --pipeline` lists the run the alert is about. The worker's log lines name them alike. No ID in clear.
 */
const { FIRST_ID, SECOND_ID, GONE_ID, FIRST, SECOND, MASKED } = MASKING_ALIKE;
const PLAIN = 'plain-drop';

const escaped = (text: string) => text.replace(/[*]/g, '\\*');

interface AlertBody {
  kind: string;
  title: string;
  lines: string[];
}

describe('credit-etl: alerts and worker lines naming pipelines whose names mask alike', () => {
  let pipelines: IdNamedPipelines | undefined;
  let receiver: AlertReceiver | undefined;
  let alertsEnv: NodeJS.ProcessEnv = {};
  const outputs: string[] = [];

  beforeAll(async () => {
    receiver = await startAlertReceiver();
    pipelines = await openIdNamedPipelines('pipeline_names_alike_alerts', [FIRST, SECOND, PLAIN]);
    const alertsFile = path.join(pipelines.cx.fx.scratch, 'alerts.json');
    writeFileSync(
      alertsFile,
      JSON.stringify({
        channels: [{ type: 'webhook', url: `${receiver.url}/hook` }],
        retry: { backoffSeconds: 0 },
        // Each failed run alerted, however soon after the one before (their keys are the pipelines').
        suppressMinutes: 0,
      }),
    );
    alertsEnv = { CREDIT_ETL_ALERTS_FILE: alertsFile };
    // Each run of FIRST and SECOND now fails as a whole (drop-directory-missing): alerted run-failed.
    for (const name of [FIRST, SECOND])
      rmSync(path.join(pipelines.cx.fx.scratch, name), { recursive: true, force: true });
  }, 300_000);
  afterAll(async () => {
    await pipelines?.close();
    await receiver?.close();
  });

  const posted = (): AlertBody[] => receiver!.posts.map((post) => post.body as AlertBody);

  /** The run an alert is about (`… 运行 <id> 失败`), and its pipeline's name as the alert names it. */
  const aboutOf = (alert: AlertBody): { pipeline: string; runId: number } => {
    const match = /管道 (\S+) 运行 (\d+) 失败/.exec(alert.title);
    expect(match, alert.title).not.toBeNull();
    return { pipeline: match![1]!, runId: Number(match![2]) };
  };

  /** `runs list --pipeline <name>` takes the name back and lists the run. */
  const listsRun = async (name: string, runId: number) => {
    const listed = await cliOverIdNamed(pipelines!, 0, ['runs', 'list', '--pipeline', name, '--json']);
    outputs.push(listed.stdout + listed.stderr);
    const runs = JSON.parse(listed.stdout) as { id: number; pipeline: string }[];
    expect(runs.map((run) => run.id)).toContain(runId);
    for (const run of runs) expect(run.pipeline).toBe(name);
  };

  it('a failed run of `run` is alerted under its name as listed, which runs list --pipeline takes back', async () => {
    for (const [place, name] of [
      [1, FIRST],
      [2, SECOND],
    ] as const) {
      const before = receiver!.posts.length;
      const ran = await cliOverIdNamed(pipelines!, 1, ['run', `${MASKED}~${place}`], alertsEnv);
      outputs.push(ran.stdout + ran.stderr);
      const alerts = posted().slice(before);
      expect(
        alerts.map((alert) => alert.kind),
        name,
      ).toEqual(['run-failed']);
      const about = aboutOf(alerts[0]!);
      expect(about.pipeline).toBe(`${MASKED}~${place}`);
      await listsRun(about.pipeline, about.runId);
    }
  }, 180_000);

  it('a worker alerts its jobs’ failed runs and logs their jobs under the names listed, told apart', async () => {
    for (const place of [1, 2]) {
      const queued = await cliOverIdNamed(pipelines!, 0, ['run', `${MASKED}~${place}`, '--enqueue']);
      outputs.push(queued.stdout + queued.stderr);
    }
    const before = receiver!.posts.length;
    const env = idNamedEnv(pipelines!, {
      ...alertsEnv,
      CREDIT_ETL_LOG_FILE: path.join(pipelines!.cx.fx.scratch, 'worker.log'),
    });
    const worker = startCli(['worker'], env);
    try {
      await until('both failed runs alerted', async () => (posted().length >= before + 2 ? true : undefined));
    } finally {
      worker.child.kill('SIGTERM');
      const ended = await worker.result;
      outputs.push(ended.stdout + ended.stderr);
    }
    const abouts = posted()
      .slice(before)
      .map((alert) => aboutOf(alert));
    expect(abouts.map((about) => about.pipeline).sort()).toEqual([`${MASKED}~1`, `${MASKED}~2`]);
    for (const about of abouts) await listsRun(about.pipeline, about.runId);
    const log = readFileSync(env.CREDIT_ETL_LOG_FILE!, 'utf8');
    outputs.push(log);
    for (const place of [1, 2]) expect(log).toContain(`started: pipeline-run ${MASKED}~${place} `);
  }, 240_000);

  it("a worker's job whose pipeline file broke is alerted with a backfill hint the CLI takes back once fixed", async () => {
    const day = '2026-11-21';
    const queued = await cliOverIdNamed(pipelines!, 0, [
      'backfill',
      `${MASKED}~1`,
      '--from',
      day,
      '--to',
      day,
      '--enqueue',
    ]);
    outputs.push(queued.stdout + queued.stderr);
    const file = path.join(pipelines!.pipelinesDir, `${FIRST}.json`);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, '{ "catalog": ');
    const before = receiver!.posts.length;
    const worker = startCli(['worker'], idNamedEnv(pipelines!, alertsEnv));
    try {
      await until('the broken pipeline alerted', async () => (posted().length > before ? true : undefined));
    } finally {
      worker.child.kill('SIGTERM');
      const ended = await worker.result;
      outputs.push(ended.stdout + ended.stderr);
      writeFileSync(file, good);
    }
    const [alert] = posted().slice(before);
    // FIRST has runs: while its file is broken it is named after the pipelines listed, as `runs list` names it.
    expect(alert!.title).toContain(`管道 ${MASKED}~1 的定义文件无法加载`);
    const hint = alert!.lines.find((line) => line.includes('credit-etl backfill'));
    const typed = /credit-etl (backfill .*)$/.exec(hint ?? '')?.[1]?.split(' ');
    expect(typed, hint).toEqual(['backfill', `${MASKED}~1`, '--from', day, '--to', day, '--enqueue']);
    // Its file corrected, the hint typed back queues the day's run of FIRST (`jobs show` names it as listed).
    const again = await cliOverIdNamed(pipelines!, 0, typed!);
    outputs.push(again.stdout + again.stderr);
    const jobId = /^\S+\s+([0-9a-f-]{36})\s+new$/m.exec(again.stdout)?.[1];
    expect(jobId, again.stdout).toBeDefined();
    const shown = await cliOverIdNamed(pipelines!, 0, ['jobs', 'show', jobId!, '--json']);
    outputs.push(shown.stdout + shown.stderr);
    expect(JSON.parse(shown.stdout).data).toMatchObject({ pipeline: `${MASKED}~1`, partition: day });
  }, 240_000);

  it("a worker's job of a locked pipeline waits under its name as listed, kept for jobs show", async () => {
    const lock = await tryPipelineLock(pipelines!.cx.fx.warehouse, SECOND);
    expect(lock).toBeDefined();
    // The lock's session names its holder and pipeline for whoever reads pg_stat_activity: masked there too.
    const sessions = await pipelines!.cx.fx.warehouse.raw<{ rows: { application_name: string }[] }>(
      "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'credit-etl lock %'",
    );
    outputs.push(...sessions.rows.map((row) => row.application_name));
    expect(sessions.rows.map((row) => row.application_name)).toContainEqual(expect.stringContaining(MASKED));
    const logFile = path.join(pipelines!.cx.fx.scratch, 'locked-worker.log');
    let jobId: string | undefined;
    try {
      const queued = await cliOverIdNamed(pipelines!, 0, ['run', `${MASKED}~2`, '--enqueue', '--json']);
      outputs.push(queued.stdout + queued.stderr);
      jobId = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(queued.stdout)?.[0];
      expect(jobId, queued.stdout).toBeDefined();
      const worker = startCli(['worker'], idNamedEnv(pipelines!, { CREDIT_ETL_LOG_FILE: logFile }));
      try {
        await until('the job put back to wait', async () =>
          existsSync(logFile) && readFileSync(logFile, 'utf8').includes(`job ${jobId} waits`)
            ? true
            : undefined,
        );
      } finally {
        worker.child.kill('SIGTERM');
        const ended = await worker.result;
        outputs.push(ended.stdout + ended.stderr, readFileSync(logFile, 'utf8'));
      }
    } finally {
      await lock?.release();
    }
    const waits = `waits for pipeline ${MASKED}~2's lock`;
    expect(readFileSync(logFile, 'utf8')).toContain(`pipeline-run ${MASKED}~2 `);
    expect(readFileSync(logFile, 'utf8')).toContain(waits);
    // The run's own line says so under the same name, not the masked one two pipelines share.
    expect(readFileSync(logFile, 'utf8')).toContain(
      `pipeline ${MASKED}~2 is already running in another process: skipped`,
    );
    const shown = await cliOverIdNamed(pipelines!, 0, ['jobs', 'show', jobId!]);
    outputs.push(shown.stdout + shown.stderr);
    expect(shown.stdout).toContain(waits);
  }, 240_000);

  it("the scheduler's nothing-delivered alert hints runs list --pipeline with a name the CLI takes back", async () => {
    const { pipelines: loaded } = await loadPipelines(pipelines!.pipelinesDir, pipelines!.cx.deps.transports);
    const events: AlertEvent[] = [];
    const sink: AlertSink = { alert: async (event) => void events.push(event) };
    const logger = createLogger({ console: false });
    // As `pipelines list` names them (the scheduler's process reads them so: warehousePipelineNames).
    const names = async () => pipelineNamesShown(loaded.map((pipeline) => pipeline.name));
    for (const name of [FIRST, SECOND]) {
      const pipeline = loaded.find((candidate) => candidate.name === name)!;
      const warehouse = pipelines!.cx.fx.warehouse;
      expect(await checkDelivered(pipeline, '2026-11-22', warehouse, sink, logger, names)).toBe(false);
    }
    const hinted = events.map((event) => {
      const line = event.lines.find((text) => text.includes('runs list --pipeline'));
      return /runs list --pipeline (\S+)$/.exec(line ?? '')?.[1];
    });
    expect(hinted).toEqual([`${MASKED}~1`, `${MASKED}~2`]);
    expect(events.map((event) => event.title)).toEqual([
      `管道 ${MASKED}~1 截至  未收到 2026-11-22 的数据`,
      `管道 ${MASKED}~2 截至  未收到 2026-11-22 的数据`,
    ]);
    for (const [index, name] of [FIRST, SECOND].entries())
      await listsRun(hinted[index]!, pipelines!.runOf.get(name)!);
  }, 120_000);

  it("the scheduler's trigger it could not queue is logged and alerted with a backfill hint the CLI takes back", async () => {
    const { pipelines: loaded } = await loadPipelines(pipelines!.pipelinesDir, pipelines!.cx.deps.transports);
    const names = async () => pipelineNamesShown(loaded.map((pipeline) => pipeline.name));
    // A database that refuses every connection until the next trigger (every 2 s): given up, alerted run-failed.
    const refused = await refusedConnection();
    const queue = {
      enqueue: async () => {
        throw refused;
      },
    } as unknown as JobQueue;
    const events: AlertEvent[] = [];
    const lines: string[] = [];
    const logger = linesLogger(lines);
    for (const name of [FIRST, SECOND]) {
      const pipeline = loaded.find((candidate) => candidate.name === name)!;
      const everyTwoSeconds = { ...pipeline, schedule: { ...pipeline.schedule, cron: '*/2 * * * * *' } };
      await queueScheduledRun(queue, everyTwoSeconds, new Date(Math.floor(Date.now() / 2000) * 2000), {
        logger,
        alerts: { alert: async (event) => void events.push(event) },
        signal: new AbortController().signal,
        pipelineNames: names,
      });
    }
    outputs.push(...lines);
    for (const place of [1, 2])
      expect(lines).toContainEqual(
        expect.stringMatching(`^error pipeline ${escaped(MASKED)}~${place}: the run triggered`),
      );
    expect(events.map((event) => event.title)).toEqual([
      `管道 ${MASKED}~1 定时运行未能排队，本次未运行`,
      `管道 ${MASKED}~2 定时运行未能排队，本次未运行`,
    ]);
    // The hint typed back is taken for the pipeline the alert is about.
    for (const [index, event] of events.entries()) {
      const hint = event.lines.find((line) => line.includes('credit-etl backfill'));
      const typed = /credit-etl (backfill .*)$/.exec(hint ?? '')?.[1]?.split(' ');
      expect(typed?.[1], hint).toBe(`${MASKED}~${index + 1}`);
      const again = await cliOverIdNamed(pipelines!, 0, typed!);
      outputs.push(again.stdout + again.stderr);
      // Accepted: its day queued, or said to be queued already, under the pipeline's name as listed.
      const jobId = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(again.stdout)?.[1];
      if (!jobId) {
        expect(again.stdout).toContain(`nothing to queue for pipeline ${MASKED}~${index + 1}\n`);
        continue;
      }
      const shown = await cliOverIdNamed(pipelines!, 0, ['jobs', 'show', jobId, '--json']);
      outputs.push(shown.stdout + shown.stderr);
      expect(JSON.parse(shown.stdout).data).toMatchObject({ pipeline: `${MASKED}~${index + 1}` });
    }
  }, 120_000);

  it("the console's retry of a run whose pipeline file is gone names it as the run's page does", async () => {
    const file = path.join(pipelines!.pipelinesDir, `${FIRST}.json`);
    const good = readFileSync(file, 'utf8');
    rmSync(file);
    const runId = pipelines!.runOf.get(FIRST)!;
    try {
      await startRetry(
        pipelines!.cx.deps,
        { id: runId, pipeline: FIRST, partitionDate: ID_NAMED_PARTITION, kind: 'pipeline' },
        'admin',
      );
      await settleRetries();
    } finally {
      writeFileSync(file, good);
    }
    const state = retryOf(runId);
    outputs.push(JSON.stringify(state));
    // SECOND alone is listed now (shown unnumbered); FIRST, of the runs, takes the next place.
    expect(state).toEqual({
      state: 'failed',
      message: `管道 ${MASKED}~1 的定义文件已不存在或无法加载`,
      by: 'admin',
    });
  }, 60_000);

  it('sends and prints no ID in clear', () => {
    const texts = [...outputs, ...receiver!.posts.map((post) => JSON.stringify(post.body))];
    expect(texts.length).toBeGreaterThan(6);
    for (const text of texts) for (const id of [FIRST_ID, SECOND_ID, GONE_ID]) expect(text).not.toContain(id);
  });
});
