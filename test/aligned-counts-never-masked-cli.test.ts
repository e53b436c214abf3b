import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { maskPersonalText } from '../src/log/mask-personal-data.ts';
import { recordSent } from '../src/report/notice-log.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * `pipelines list` and `notice show` masked their whole tables: numbers of neighbouring cells, parted by spaces,
 * dashes and line breaks, read to the masker as the spaced groups of an ID. Each cell is masked on its own now.
 */
const ID = '370102197503090030';
const MASKED = '3701**********0030';
/** Registered in the shipped config/providers.json. */
const PROVINCE = '11370000MB2852362M';
const JINAN = '11370100MB28174284';

/** The cells of a table's line, split on its column gaps (two spaces or more). */
const cellsOf = (line: string | undefined) => (line ?? '').trim().split(/ {2,}/);

describe('credit-etl pipelines list, notice show: numbers of neighbouring cells are never masked', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    fx = await openWarehouseFixture('aligned_counts_cli');
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    const pipeline = (name: string, cron: string) =>
      writeFileSync(
        path.join(pipelines, `${name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider: PROVINCE,
          level: 'province',
          transport: { type: 'drop-folder', directory: path.join(fx.scratch, name) },
          schedule: { cron },
        }),
      );
    // Its digits and the next run's year, `30 15 1 10 1 12 1  2…`, hold `301511011212026`: a 15-digit number born
    // 1901-12-12, whatever the day the next run falls on (any year 20xx).
    pipeline('monthly', '30 15 1-10 1-12 1');
    pipeline(`drop-${ID}`, '0 2 * * *');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  }, 600_000);
  afterAll(async () => fx?.close());

  it('pipelines list: `30 15 1-10 1-12 1` and the next run as they are; an ID in a pipeline’s name masked', async () => {
    const listed = await runCli(['pipelines', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith('monthly'));
    const cells = cellsOf(row);
    expect(cells.slice(-2, -1)).toEqual(['30 15 1-10 1-12 1']);
    expect(cells.at(-1)).toMatch(/^20\d\d-\d\d-\d\d 15:30:00$/);
    expect(listed.stdout).toContain(`drop-${MASKED}`);
    expect(listed.stdout).not.toContain(ID);
    expect(listed.stdout).toContain(PROVINCE);
  });

  it('notice show: an operator’s staff number, the next event’s id and date never masked; an ID in a recipient is', async () => {
    const rows = generatePenalties(1, { seed: 7 }).rows;
    const amount = PENALTY_HEADER.indexOf('罚款金额（万元）');
    const file = path.join(fx.scratch, 'jinan-bad.csv');
    writeFileSync(file, toCsv(PENALTY_HEADER, [rows[0]!.map((cell, j) => (j === amount ? '-5' : cell))]));
    const run = await fx.ingest([file], { provider: JINAN, level: 'city' });
    expect(run.counts.rejected).toBe(1);
    const out = path.join(fx.scratch, 'notice.xlsx');
    const issued = await runCli(
      ['report', 'notice', '--provider', JINAN, '--run', String(run.runId), '--out', out],
      env,
    );
    expect(issued.code, issued.stderr).toBe(0);
    // Event 1 issued it; 2–9 sent by staff number 2023015; event 10 to a person named by an ID.
    for (let n = 2; n <= 9; n++)
      await recordSent(fx.warehouse, 1, { channel: 'email', recipient: '信用科', operator: '2023015' });
    await recordSent(fx.warehouse, 1, {
      channel: 'email',
      recipient: `张三（${ID}）`,
      note: `抄送 ${PROVINCE}`,
      operator: '李四',
    });
    const shown = await runCli(['notice', 'show', '1'], env);
    expect(shown.code, shown.stderr).toBe(0);
    const log = shown.stdout.split('\n');
    // `2023015` ending event 9's line, `10  2026-12-…` starting event 10's hold `202301510202612`: a 15-digit
    // number born 1951-02-02 (any year 20xx).
    const ninth = log.find((line) => line.startsWith('9 '));
    expect(cellsOf(ninth).at(-1)).toBe('2023015');
    const tenth = log.find((line) => line.startsWith('10 '));
    expect(cellsOf(tenth)[1]).toMatch(/^20\d\d-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(tenth).toContain(`张三（${MASKED}）`);
    expect(tenth).toContain(`抄送 ${PROVINCE}`);
    expect(shown.stdout).not.toContain(ID);
  }, 600_000);

  it('jobs list, jobs show: a job’s id never masked, even when its digit groups read as an ID; the pipeline’s name is', {
    timeout: 120_000,
  }, async () => {
    const queued = await runCli(['run', `drop-${ID}`, '--enqueue', '--json'], env);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).not.toContain(ID);
    const [job] = JSON.parse(queued.stdout) as { jobId: string }[];
    // `123-4567-0101-0010` holds `123456701010010`: a 15-digit number born 1970-10-10.
    const id = 'abcde123-4567-0101-0010-abcdefabcdef';
    expect(maskPersonalText(id)).not.toBe(id);
    await fx.owner.raw('update pgboss.job set id = ? where id = ?', [id, job!.jobId]);
    const listed = await runCli(['jobs', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith('abcde123'));
    expect(cellsOf(row)[0]).toBe(id);
    expect(cellsOf(row)[2]).toContain(`drop-${MASKED}`);
    expect(listed.stdout).not.toContain(ID);
    const shown = await runCli(['jobs', 'show', id], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[0]).toContain(`job ${id} (pipeline-run drop-${MASKED} `);
    expect(shown.stdout).not.toContain(ID);
  });
});
