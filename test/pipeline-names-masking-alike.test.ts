import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleFixture } from './support/console-fixture.ts';
import { type IdNamedPipelines, MASKING_ALIKE, openIdNamedPipelines } from './support/id-named-pipelines.ts';

/**
 * Two pipelines named for two people whose ID numbers mask to the same text (`feed-3701**********0014`): each
 * keeps its own /metrics label value (its series neither merged with nor listed beside the other's under one
 * label) and its own row anchor on /pipelines, which the links of /runs and /runs/<id> find, also when the runs of
 * a third, removed pipeline masking alike (sorted before them) are listed. No ID is shown.
 */
// GONE: a third pipeline's, whose file is removed after its run: its runs stay on /runs, it has no row on /pipelines.
const { FIRST_ID, SECOND_ID, GONE_ID, GONE, FIRST, SECOND, MASKED } = MASKING_ALIKE;

let cx: ConsoleFixture;
/** Each pipeline's one run. */
let runOf: Map<string, number>;
let pipelines: IdNamedPipelines | undefined;

beforeAll(async () => {
  pipelines = await openIdNamedPipelines('pipeline_names_alike', [GONE, FIRST, SECOND]);
  ({ cx, runOf } = pipelines);
  rmSync(path.join(pipelines.pipelinesDir, `${GONE}.json`));
}, 180_000);

afterAll(async () => pipelines?.close());

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
