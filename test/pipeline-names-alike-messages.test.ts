import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * Two pipelines named for two people whose ID numbers mask alike (`feed-3701**********0014`), beside a broken
 * pipeline file whose name masks alike too, sorted before them: the CLI's messages that name a pipeline for the
 * operator to choose or type back (an unknown pipeline's list of pipelines, `backfill --enqueue` with nothing to
 * queue) name them as `pipelines list` does (`…~1`, `…~2`, numbered among the pipelines it lists), never an ID in
 * clear, the name typed masked too.
 */
const { FIRST_ID, SECOND_ID, GONE_ID, FIRST, SECOND, MASKED } = MASKING_ALIKE;
const PLAIN = 'plain-drop';
/** A file that does not load, named for a third person whose ID masks alike, sorted before FIRST and SECOND. */
const BROKEN_ID = '370102195001070014';
/** A name typed for a pipeline that does not exist, holding an ID. */
const TYPED = `other-${GONE_ID}`;

describe('credit-etl: messages naming pipelines whose names mask alike', () => {
  let pipelines: IdNamedPipelines | undefined;
  const outputs: string[] = [];

  const cliExiting = async (code: number, ...args: string[]): Promise<CliResult> => {
    const result = await cliOverIdNamed(pipelines!, code, args);
    outputs.push(result.stdout + result.stderr);
    return result;
  };

  beforeAll(async () => {
    pipelines = await openIdNamedPipelines('pipeline_names_alike_messages', [FIRST, SECOND, PLAIN]);
    writeFileSync(path.join(pipelines.pipelinesDir, `feed-${BROKEN_ID}.json`), '{ "catalog": ');
  }, 300_000);
  afterAll(async () => pipelines?.close());

  it('lists the pipelines of an unknown name as pipelines list shows them, the name typed masked', async () => {
    const listed = (await cliExiting(2, 'pipelines', 'list')).stdout;
    const names = listed
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(' ')[0]);
    expect(names).toEqual([`${MASKED}~1`, `${MASKED}~2`, PLAIN]);
    // Numbered among the pipelines listed, not among the files (the broken one would take ~1): typed back, each
    // names the pipeline pipelines list shows under it.
    const unknown = (await cliExiting(2, 'run', TYPED)).stderr;
    expect(unknown).toContain(
      `no pipeline "other-3701**********0014" in ${pipelines!.pipelinesDir}; pipelines: ${names.join(', ')} (credit-etl pipelines list)`,
    );
  }, 120_000);

  it('names the pipeline with nothing to queue as pipelines list does (backfill --enqueue)', async () => {
    const day = ID_NAMED_PARTITION;
    for (const [place, name] of [
      [1, FIRST],
      [2, SECOND],
    ] as const) {
      const queued = await cliExiting(0, 'backfill', name, '--from', day, '--to', day, '--enqueue');
      expect(queued.stdout, name).toContain(`nothing to queue for pipeline ${MASKED}~${place}\n`);
    }
  }, 120_000);

  it("names a pipeline whose file is gone as the CLI does, on the console's run page and /runs", async () => {
    // Both files gone: the console numbered a run's pipeline among the files and that run's alone (unnumbered
    // then), the CLI among the files and every pipeline with runs (FIRST ~1, SECOND ~2).
    const files = [FIRST, SECOND].map((name) => path.join(pipelines!.pipelinesDir, `${name}.json`));
    const kept = files.map((file) => readFileSync(file, 'utf8'));
    for (const file of files) rmSync(file);
    try {
      const listed = JSON.parse((await cliExiting(0, 'runs', 'list', '--json')).stdout);
      const viewer = await pipelines!.cx.http('viewer');
      const runsPage = await (await viewer.get('/runs')).text();
      outputs.push(runsPage);
      for (const [place, name] of [
        [1, FIRST],
        [2, SECOND],
      ] as const) {
        const id = pipelines!.runOf.get(name)!;
        const cliName = listed.find((run: { id: number }) => run.id === id)?.pipeline;
        expect(cliName, `run of ~${place}`).toBe(`${MASKED}~${place}`);
        const runPage = await (await viewer.get(`/runs/${id}`)).text();
        outputs.push(runPage);
        expect(/<a href="\/pipelines#([^"]*)">/.exec(runPage)?.[1], `run of ~${place}`).toBe(cliName);
        expect(runsPage, `run of ~${place}`).toContain(`<a href="/pipelines#${cliName}">`);
      }
    } finally {
      for (const [index, file] of files.entries()) writeFileSync(file, kept[index]!);
    }
  }, 120_000);

  it('prints no ID in clear', () => {
    expect(outputs.length).toBeGreaterThan(3);
    for (const text of outputs)
      for (const id of [FIRST_ID, SECOND_ID, GONE_ID, BROKEN_ID]) expect(text).not.toContain(id);
  });
});
