import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cliOverIdNamed,
  ID_NAMED_PARTITION,
  type IdNamedPipelines,
  MASKING_ALIKE,
  openIdNamedPipelines,
} from './support/id-named-pipelines.ts';
import type { CliResult } from './support/run-cli.ts';

/**
 * Two pipelines named for two people whose ID numbers mask to the same text (`feed-3701**********0014`), through the
 * real CLI: `pipelines list`, `runs list|show` and `jobs list|show` (text and `--json`) tell them apart as the
 * console does (`…~1`, `…~2`), a removed third one's runs after them (`…~3`); each run is named as the console names
 * it. A name without an ID is printed as it is, and no ID in clear. Each command that takes a pipeline takes it also by
 * its name as shown (`runs list --pipeline …~3`, `run …~1`); a masked name standing for two is a usage error.
 */
const { FIRST_ID, SECOND_ID, GONE_ID, FIRST, SECOND, GONE, MASKED } = MASKING_ALIKE;
const PLAIN = 'plain-drop';

describe('credit-etl: two pipelines whose names mask alike', () => {
  let pipelines: IdNamedPipelines | undefined;
  /** Each command's output (stdout, then stderr), by its arguments. */
  const outputs = new Map<string, string>();
  /** The job queued for each pipeline (`backfill --enqueue`). */
  const jobOf = new Map<string, string>();

  /** Runs the CLI, expecting exit code `code` (`0` unless told). */
  const cliExiting = async (code: number, ...args: string[]): Promise<CliResult> => {
    const result = await cliOverIdNamed(pipelines!, code, args);
    outputs.set(args.join(' '), result.stdout + result.stderr);
    return result;
  };
  const cli = (...args: string[]) => cliExiting(0, ...args);
  const json = async (...args: string[]) => JSON.parse((await cli(...args, '--json')).stdout);
  /** The run of `name`'s pipeline. */
  const runOf = (name: string) => String(pipelines?.runOf.get(name));
  /** How the console names the pipeline of run `id`: the anchor its page links to on /pipelines. */
  const consoleName = async (id: string) => {
    const viewer = await pipelines!.cx.http('viewer');
    const page = await (await viewer.get(`/runs/${id}`)).text();
    return /<a href="\/pipelines#([^"]*)">/.exec(page)?.[1];
  };

  beforeAll(async () => {
    pipelines = await openIdNamedPipelines('pipeline_names_alike_cli', [GONE, FIRST, SECOND, PLAIN]);
    rmSync(path.join(pipelines.pipelinesDir, `${GONE}.json`));
    for (const name of [FIRST, SECOND]) {
      const [job] = await json('backfill', name, '--from', '2026-11-21', '--to', '2026-11-21', '--enqueue');
      jobOf.set(name, job.jobId);
    }
  }, 300_000);
  afterAll(async () => pipelines?.close());

  it('lists each pipeline under a name of its own, as the console does, one without an ID as it is', async () => {
    const listed = (await cli('pipelines', 'list')).stdout;
    const names = listed
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(' ')[0]);
    expect(names).toEqual([`${MASKED}~1`, `${MASKED}~2`, PLAIN]);
    const anchors = await (await (await pipelines!.cx.http('viewer')).get('/pipelines')).text();
    expect([...anchors.matchAll(/<tr id="([^"]*)"/g)].map((match) => match[1])).toEqual(names);
  }, 120_000);

  it('names the pipeline of each run as the console names it, in runs list and runs show', async () => {
    const listed = await json('runs', 'list');
    const table = (await cli('runs', 'list')).stdout;
    const shown = new Map<string, string>(
      listed.map((run: { id: number; pipeline: string }) => [String(run.id), run.pipeline]),
    );
    expect(shown.get(runOf(GONE))).toBe(`${MASKED}~3`);
    expect(shown.get(runOf(PLAIN))).toBe(PLAIN);
    for (const name of [FIRST, SECOND]) {
      const id = runOf(name);
      const named = await consoleName(id);
      expect(named, name).toBe(`${MASKED}~${name === FIRST ? 1 : 2}`);
      expect(shown.get(id), name).toBe(named);
      expect(table, name).toMatch(new RegExp(`^${id} +${named?.replace(/[*~]/g, '\\$&')} `, 'm'));
      expect((await cli('runs', 'show', id)).stdout, name).toContain(`run ${id} (${named}) completed`);
      expect((await json('runs', 'show', id)).pipeline, name).toBe(named);
    }
  }, 120_000);

  it('names the pipeline of each job as pipelines list does, in jobs list and jobs show', async () => {
    const listed = await json('jobs', 'list');
    const table = (await cli('jobs', 'list')).stdout;
    for (const [name, place] of [
      [FIRST, 1],
      [SECOND, 2],
    ] as const) {
      const id = jobOf.get(name)!;
      const named = `${MASKED}~${place}`;
      const job = listed.find((candidate: { id: string }) => candidate.id === id);
      expect(job?.data.pipeline, name).toBe(named);
      expect(job?.singleton_key, name).toBe(`pipeline-run:${named}:2026-11-21`);
      expect(
        table.split('\n').find((line) => line.startsWith(id)),
        name,
      ).toContain(`pipeline-run ${named} 2026-11-21`);
      expect((await cli('jobs', 'show', id)).stdout, name).toContain(`(pipeline-run ${named} 2026-11-21)`);
      expect((await json('jobs', 'show', id)).data.pipeline, name).toBe(named);
    }
  }, 120_000);

  it('lists the runs of the pipeline named as shown, one whose file is gone too (runs list --pipeline)', async () => {
    const runsOf = async (pipeline: string) =>
      (await json('runs', 'list', '--pipeline', pipeline)).map((run: { id: number }) => String(run.id));
    expect(await runsOf(`${MASKED}~1`)).toEqual([runOf(FIRST)]);
    expect(await runsOf(`${MASKED}~2`)).toEqual([runOf(SECOND)]);
    // A pipeline whose file is gone, by the name runs list gives it.
    expect(await runsOf(`${MASKED}~3`)).toEqual([runOf(GONE)]);
    expect(await runsOf(PLAIN)).toEqual([runOf(PLAIN)]);
  }, 120_000);

  it('backfills and runs the pipeline named as shown', async () => {
    const day = ID_NAMED_PARTITION;
    const planned = await json('backfill', `${MASKED}~2`, '--from', day, '--to', day, '--dry-run');
    expect(planned.days).toMatchObject([{ date: day, lastRunId: Number(runOf(SECOND)), action: 'skip' }]);
    const ran = await json('run', `${MASKED}~1`);
    const stored = await pipelines!.cx.fx.warehouse('runs').where({ id: ran.runId }).first();
    expect(stored?.pipeline).toBe(FIRST);
  }, 120_000);

  it('refuses a masked name standing for two pipelines, or shown for none, naming them as shown', async () => {
    const alike = (await cliExiting(2, 'pipelines', 'show', MASKED)).stderr;
    expect(alike).toContain(`give one of ${MASKED}~1, ${MASKED}~2 `);
    const inRuns = (await cliExiting(2, 'runs', 'list', '--pipeline', MASKED)).stderr;
    expect(inRuns).toContain(`give one of ${MASKED}~1, ${MASKED}~2, ${MASKED}~3 `);
    const none = (await cliExiting(2, 'run', `${MASKED}~4`)).stderr;
    expect(none).toContain(
      `no pipeline is shown as ${MASKED}~4: pipelines shown alike are ${MASKED}~1, ${MASKED}~2`,
    );
  }, 120_000);

  it('prints no ID in clear', () => {
    expect(outputs.size).toBeGreaterThan(10);
    for (const [command, text] of outputs)
      for (const id of [FIRST_ID, SECOND_ID, GONE_ID])
        expect(text, command.replaceAll(id, '<ID>')).not.toContain(id);
  });
});
