import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../src/warehouse/outcome-counts.ts';
import { finishRun, startRun } from '../src/warehouse/runs-repository.ts';
import type { ConsoleFixture } from './support/console-fixture.ts';
import { type IdNamedPipelines, openIdNamedPipelines } from './support/id-named-pipelines.ts';

/**
 * A drop-folder pipeline named for a person (its file `p-<ID>.json`): the console's pages (/runs, /pipelines,
 * /runs/<id>) and /metrics show its name masked, as `pipelines list` and `jobs` print it; no page offers a filter
 * or a link the console would refuse, and /runs' links to /pipelines find the pipeline's row.
 */
const ID = '370102197503090014';
const PIPELINE = `p-${ID}`;
const SHOWN = 'p-3701**********0014';
/** A pipeline named without an ID: shown and offered as before. */
const PLAIN = 'plain-drop';

let cx: ConsoleFixture;
let pipelines: IdNamedPipelines | undefined;

beforeAll(async () => {
  pipelines = await openIdNamedPipelines('pipeline_name_masked', [PIPELINE, PLAIN]);
  cx = pipelines.cx;
  // A failed run of its (an admin may retry it: the button names the pipeline).
  const failed = await startRun(cx.fx.warehouse, 'pipeline', {}, PIPELINE, { partitionDate: '2026-11-19' });
  await finishRun(cx.fx.warehouse, failed, {
    status: 'failed',
    counts: emptyCounts(),
    errorsByCode: {},
    error: 'source unreachable',
  });
  // A pipeline file named for a person that cannot be loaded: listed among the problems of /pipelines.
  writeFileSync(path.join(pipelines.pipelinesDir, `q-${ID}.json`), '{ "catalog": ');
}, 180_000);

/** Every link of a page to a runs filter (`/runs?pipeline=…`), as a client follows it. */
const runsFilterLinks = (page: string): string[] =>
  [...page.matchAll(/href="(\/runs\?[^"]*)"/g)]
    .map((match) => (match[1] ?? '').replaceAll('&amp;', '&'))
    .filter((href) => new URL(href, 'http://x').searchParams.has('pipeline'));

/** Fetches a page as `viewer`, answering 200, and asserts the ID number is nowhere in it. */
const fetchPage = async (
  viewer: Awaited<ReturnType<ConsoleFixture['http']>>,
  url: string,
): Promise<string> => {
  const response = await viewer.get(url);
  expect(response.status, url).toBe(200);
  const page = await response.text();
  expect(page, url).not.toContain(ID);
  for (const href of runsFilterLinks(page)) expect((await viewer.get(href)).status, href).toBe(200);
  return page;
};

afterAll(async () => pipelines?.close());

describe('a pipeline whose name holds an ID number', () => {
  it('is masked on /runs (grid, run list), left out of its filter, whose every option is accepted', async () => {
    const viewer = await cx.http('viewer');
    const response = await viewer.get('/runs?from=2026-11-01&to=2026-11-30');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).not.toContain(ID);
    expect(page).toContain(`<th>${SHOWN}</th>`);
    expect(page).toContain(`<a href="/pipelines#${SHOWN}">${SHOWN}</a>`);
    expect(page).toContain(`<th>${PLAIN}</th>`);
    const select = /<select name="pipeline">(.*?)<\/select>/s.exec(page)?.[1] ?? '';
    const options = [...select.matchAll(/<option value="([^"]*)"/g)].map((match) => match[1] ?? '');
    expect(options).toEqual(['', PLAIN]);
    // Every pipeline the filter offers is one the page accepts.
    for (const option of options) {
      const filtered = await viewer.get(`/runs?pipeline=${encodeURIComponent(option)}`);
      expect(filtered.status, option).toBe(200);
    }
  });

  it('is masked on /pipelines (row, anchor, problems), linked to no runs filter the console refuses', async () => {
    for (const role of ['viewer', 'admin'] as const) {
      const client = await cx.http(role);
      const page = await fetchPage(client, '/pipelines');
      // The row /runs links to (`/pipelines#<shown>`) is anchored on the masked name.
      expect(page).toContain(`<tr id="${SHOWN}" data-pipeline="${SHOWN}"><td>${SHOWN}</td>`);
      expect(page).not.toContain('/runs?pipeline=p-');
      expect(page).toContain(`<tr id="${PLAIN}"`);
      expect(runsFilterLinks(page)).toEqual([`/runs?pipeline=${PLAIN}`]);
      expect(page).toContain('q-3701**********0014.json');
    }
  });

  it('is masked on the run pages of its runs, linked to its row on /pipelines', async () => {
    const viewer = await cx.http('viewer');
    const runs = await fetchPage(viewer, '/runs?from=2026-11-01&to=2026-11-30');
    const ids = [...runs.matchAll(/<tr data-run="(\d+)">/g)].map((match) => match[1]);
    expect(ids).toHaveLength(3);
    const pipelines = await fetchPage(viewer, '/pipelines');
    let masked = 0;
    let retryButtons = 0;
    for (const role of ['viewer', 'admin'] as const) {
      const client = await cx.http(role);
      for (const id of ids) {
        const page = await fetchPage(client, `/runs/${id}`);
        const anchor = /<a href="\/pipelines#([^"]*)">/.exec(page)?.[1];
        expect(anchor, `run #${id}`).toBeDefined();
        // The anchor finds a row of /pipelines.
        expect(pipelines).toContain(`<tr id="${anchor}"`);
        if (anchor === SHOWN) {
          masked += 1;
          expect(page).toContain(`管道运行 <a href="/pipelines#${SHOWN}">${SHOWN}</a>`);
          if (role === 'admin' && page.includes('id="retry"')) {
            retryButtons += 1;
            expect(page).toContain(`重新执行管道 ${SHOWN} 的 2026-11-19 分区`);
          }
        }
      }
    }
    expect(masked).toBe(4);
    expect(retryButtons).toBe(1);
  });

  it('is masked in the pipeline labels of /metrics, which needs no session', async () => {
    const text = await (await fetch(`${cx.baseUrl}/metrics`)).text();
    expect(text).not.toContain(ID);
    expect(text).toMatch(/^credit_etl_pipeline_last_success_timestamp_seconds\{pipeline="p-3701\*{10}0014"/m);
    expect(text).toContain(`credit_etl_pipeline_last_run_duration_seconds{pipeline="${PLAIN}"`);
  });
});
