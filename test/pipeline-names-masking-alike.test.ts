import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { fixturePath } from './support/warehouse-fixture.ts';

/**
 * Two pipelines named for two people whose ID numbers mask to the same text (`feed-3701**********0014`): each
 * keeps its own /metrics label value (its series neither merged with nor listed beside the other's under one
 * label) and its own row anchor on /pipelines, which the links of /runs and /runs/<id> find, also when the runs of
 * a third, removed pipeline masking alike (sorted before them) are listed. No ID is shown.
 */
const FIRST_ID = '370102197503090014';
const SECOND_ID = '370102198001180014';
/** A third pipeline's, whose file is removed after its run: its runs stay on /runs, it has no row on /pipelines. */
const GONE_ID = '370102196001080014';
const GONE = `feed-${GONE_ID}`;
const FIRST = `feed-${FIRST_ID}`;
const SECOND = `feed-${SECOND_ID}`;
const MASKED = 'feed-3701**********0014';

let cx: ConsoleFixture;
let pipelinesDir: string;
/** Each pipeline's one run. */
const runOf = new Map<string, number>();

beforeAll(async () => {
  pipelinesDir = path.join(process.env.TMPDIR ?? '/tmp', `credit-etl-names-alike-${process.pid}`);
  mkdirSync(pipelinesDir, { recursive: true });
  cx = await openConsoleFixture('pipeline_names_alike', { pipelinesDir, browser: false });
  const csv = readFileSync(fixturePath('xzcf', 'utf8-bom', 'input.csv'), 'utf8')
    .split(/\r?\n/)
    .slice(0, 3)
    .join('\n');
  for (const name of [GONE, FIRST, SECOND]) {
    const drop = path.join(cx.fx.scratch, name);
    mkdirSync(drop, { recursive: true });
    writeFileSync(path.join(drop, 'day.csv'), csv);
    writeFileSync(
      path.join(pipelinesDir, `${name}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: drop, markerSuffixes: [], stableSizeMs: 0 },
      }),
    );
  }
  const { pipelines, problems } = await loadPipelines(pipelinesDir, cx.deps.transports);
  expect(problems).toEqual([]);
  for (const pipeline of pipelines) {
    const result = await runPipeline(
      cx.fx.warehouse,
      cx.fx.catalog,
      pipeline,
      { partition: '2026-11-20', kind: 'pipeline', stagingDir: cx.deps.stagingDir },
      createLogger({ console: false }),
    );
    expect(result.status).toBe('ran');
    if (result.status === 'ran') runOf.set(pipeline.name, result.summary.runId);
  }
  expect(runOf.size).toBe(3);
  rmSync(path.join(pipelinesDir, `${GONE}.json`));
}, 180_000);

afterAll(async () => {
  await cx?.close();
  rmSync(pipelinesDir, { recursive: true, force: true });
});

const noIdIn = (text: string) => {
  for (const id of [GONE_ID, FIRST_ID, SECOND_ID]) expect(text).not.toContain(id);
};

/** The row of /pipelines anchored on `anchor` (its `<tr id>`), as a browser scrolls to it. */
const rowOf = (page: string, anchor: string): string =>
  new RegExp(`<tr id="${anchor.replace(/[*+?.()[\]{}|^$\\]/g, '\\$&')}"[^]*?</tr>`).exec(page)?.[0] ?? '';

describe('two pipelines whose names mask alike', () => {
  it('have one /metrics label value each, no series listed twice', async () => {
    const text = await (await fetch(`${cx.baseUrl}/metrics`)).text();
    noIdIn(text);
    for (const metric of [
      'credit_etl_pipeline_last_success_timestamp_seconds',
      'credit_etl_pipeline_last_run_duration_seconds',
    ]) {
      const labels = [...text.matchAll(new RegExp(`^${metric}\\{pipeline="([^"]*)"`, 'gm'))].map(
        (match) => match[1],
      );
      expect(labels, metric).toEqual([`${MASKED}~1`, `${MASKED}~2`, `${MASKED}~3`]);
    }
    // Prometheus refuses a scrape listing one series twice.
    const series = text.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(new Set(series.map((line) => line.replace(/ [^ ]+$/, ''))).size).toBe(series.length);
  });

  it('have one anchor each on /pipelines, and the links of /runs and /runs/<id> find their own row', async () => {
    const viewer = await cx.http('viewer');
    const pipelines = await (await viewer.get('/pipelines')).text();
    noIdIn(pipelines);
    const anchors = [...pipelines.matchAll(/<tr id="([^"]*)"/g)].map((match) => match[1]);
    expect(anchors).toEqual([`${MASKED}~1`, `${MASKED}~2`]);
    const runs = await (await viewer.get('/runs?from=2026-11-01&to=2026-11-30')).text();
    noIdIn(runs);
    expect(runs).toContain(`<th>${MASKED}~1</th>`);
    expect(runs).toContain(`<th>${MASKED}~2</th>`);
    expect(runs).toContain(`<th>${MASKED}~3</th>`);
    for (const [name, runId] of runOf) {
      if (name === GONE) continue;
      const listed = new RegExp(`<tr data-run="${runId}">.*?href="/pipelines#([^"]*)"`).exec(runs)?.[1];
      const runPage = await (await viewer.get(`/runs/${runId}`)).text();
      noIdIn(runPage);
      const linked = /<a href="\/pipelines#([^"]*)">/.exec(runPage)?.[1];
      for (const anchor of [listed, linked]) {
        expect(anchor, name).toMatch(/~[12]$/);
        // The row it scrolls to is this pipeline's: its last run is this run.
        expect(rowOf(pipelines, anchor ?? ''), name).toContain(`<a href="/runs/${runId}">`);
      }
    }
  });
});
