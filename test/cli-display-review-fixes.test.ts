import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from '../connectors/transports/zip-fixture.test-support.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { maskPersonalText } from '../src/log/mask-personal-data.ts';
import { createNotice } from '../src/report/notices.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * Five display defects of the CLI (a review):
 * - `notice list|show` said `OVERDUE` where every other output says 已逾期;
 * - `notice sent` echoed its `--to` unmasked, and `notice list --json` and `report notices --json` a closing basis;
 * - `runs list` printed a pipeline's name unmasked (table and --json); `runs show --json` starred a job's UUID;
 * - `jobs … --json` (and `jobs show`'s data line) was masked as one text, and a UUID reading as an ID came out
 *   starred; `jobs cancel|retry` echoed a pipeline's name unmasked;
 * - `ingest` wrote `<file>: started (~N rows)` for a file it then did not read.
 */
const ID = '370102197503090030';
const MASKED = '3701**********0030';
/** Registered in the shipped config/providers.json. */
const PROVINCE = '11370000MB2852362M';
const JINAN = '11370100MB28174284';
/** `123-4567-0101-0010` holds `123456701010010`: a 15-digit number born 1970-10-10. */
const JOB_ID = 'abcde123-4567-0101-0010-abcdefabcdef';
const OTHER_UUID = 'fedcb123-4567-0101-0010-fedcbafedcba';

/** The cells of a table's line, split on its column gaps (two spaces or more). */
const cellsOf = (line: string | undefined) => (line ?? '').trim().split(/ {2,}/);

describe('credit-etl notice, runs, jobs, ingest: what they print', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  const pipeline = `drop-${ID}`;
  beforeAll(async () => {
    fx = await openWarehouseFixture('cli_display_fixes');
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    const inbox = path.join(fx.scratch, 'inbox');
    mkdirSync(inbox);
    writeFileSync(
      path.join(pipelines, `${pipeline}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: PROVINCE,
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, stableSizeMs: 50 },
        retry: { attempts: 1, backoffSeconds: 0 },
      }),
    );
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    };
    // A rejected row of Jinan's, and a notice about it issued in January: long past its deadline.
    const rows = generatePenalties(1, { seed: 7 }).rows;
    const amount = PENALTY_HEADER.indexOf('罚款金额（万元）');
    const file = path.join(fx.scratch, 'jinan-bad.csv');
    writeFileSync(file, toCsv(PENALTY_HEADER, [rows[0]!.map((cell, j) => (j === amount ? '-5' : cell))]));
    const run = await fx.ingest([file], { provider: JINAN, level: 'city' });
    expect(run.counts.rejected).toBe(1);
    await createNotice(fx.warehouse, fx.catalog, {
      providerCode: JINAN,
      scope: { kind: 'run', runId: run.runId },
      issuedOn: '2026-01-05',
      operator: 'test',
    });
  }, 600_000);
  afterAll(async () => fx?.close());

  it('notice list and show: a notice past its deadline is 已逾期, as objection list and the console say', async () => {
    const listed = await runCli(['notice', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith('1 '));
    expect(cellsOf(row)[3]).toMatch(/^2026-\d\d-\d\d 已逾期$/);
    expect(listed.stdout).not.toContain('OVERDUE');
    const shown = await runCli(['notice', 'show', '1'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/ · deadline 2026-\d\d-\d\d 已逾期\n/);
    expect(shown.stdout).not.toContain('OVERDUE');
  });

  it('notice sent: an ID number in the recipient masked in the confirmation, a USCC shown', async () => {
    const sent = await runCli(
      [
        'notice',
        'sent',
        '1',
        '--channel',
        'email',
        '--to',
        `张三（${ID}） 抄送 ${PROVINCE}`,
        '--operator',
        '李四',
      ],
      env,
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain(`to 张三（${MASKED}） 抄送 ${PROVINCE} (event `);
    expect(sent.stdout).not.toContain(ID);
    // Stored as typed: only what is printed is masked.
    const stored = await fx.owner('notice_events').where({ notice_id: 1, kind: 'sent' }).first();
    expect(stored.recipient).toBe(`张三（${ID}） 抄送 ${PROVINCE}`);
  });

  it('notice list --json: an ID number in a closing basis masked, a USCC shown', async () => {
    const closed = await runCli(
      ['notice', 'close', '1', '--basis', `张三（${ID}）书面确认，${PROVINCE} 抄送`],
      env,
    );
    expect(closed.code, closed.stderr).toBe(0);
    const listed = await runCli(['notice', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const [state] = JSON.parse(listed.stdout) as { closedBasis: string; providerCode: string }[];
    expect(state!.closedBasis).toBe(`张三（${MASKED}）书面确认，${PROVINCE} 抄送`);
    expect(state!.providerCode).toBe(JINAN);
    expect(listed.stdout).not.toContain(ID);
    const report = await runCli(['report', 'notices', '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const [reported] = JSON.parse(report.stdout) as { closedBasis: string }[];
    expect(reported!.closedBasis).toBe(`张三（${MASKED}）书面确认，${PROVINCE} 抄送`);
    expect(report.stdout).not.toContain(ID);
  });

  it('runs list: an ID in a pipeline’s name masked, in the table and in --json', async () => {
    const ran = await runCli(['run', pipeline, '--json'], env);
    expect(ran.code, ran.stderr).toBe(0);
    const { runId } = JSON.parse(ran.stdout) as { runId: number };
    const listed = await runCli(['runs', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(`${runId} `));
    expect(cellsOf(row)[1]).toBe(`drop-${MASKED}`);
    expect(listed.stdout).not.toContain(ID);
    const json = await runCli(['runs', 'list', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const runs = JSON.parse(json.stdout) as { id: number; pipeline: string | null; kind: string }[];
    expect(runs.find((run) => run.id === runId)).toMatchObject({
      pipeline: `drop-${MASKED}`,
      kind: 'pipeline',
    });
    expect(json.stdout).not.toContain(ID);
    // A run a worker took names its job: a UUID that reads as an ID is shown whole, the pipeline's ID masked.
    await fx.owner.transaction(async (trx) => {
      await trx.raw('set local session_replication_role = replica');
      await trx.raw('update runs set job_id = ? where id = ?', [JOB_ID, runId]);
    });
    const shown = await runCli(['runs', 'show', String(runId), '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ job_id: JOB_ID, pipeline: `drop-${MASKED}` });
    expect(shown.stdout).not.toContain(ID);
  });

  it('jobs --json: a UUID value shown as it is though its digits read as an ID; an ID in a string masked', {
    timeout: 120_000,
  }, async () => {
    expect(maskPersonalText(JOB_ID)).not.toBe(JOB_ID);
    expect(maskPersonalText(OTHER_UUID)).not.toBe(OTHER_UUID);
    const queued = await runCli(['run', pipeline, '--enqueue', '--json'], env);
    expect(queued.code, queued.stderr).toBe(0);
    const [job] = JSON.parse(queued.stdout) as { jobId: string }[];
    await fx.owner.raw(`update pgboss.job set id = ?, data = data || ?::jsonb where id = ?`, [
      JOB_ID,
      JSON.stringify({ parent: OTHER_UUID }),
      job!.jobId,
    ]);
    type Listed = { id: string; data: { pipeline: string; parent: string } };
    const listed = await runCli(['jobs', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const found = (JSON.parse(listed.stdout) as Listed[]).find((row) => row.id === JOB_ID);
    expect(found?.data).toMatchObject({ pipeline: `drop-${MASKED}`, parent: OTHER_UUID });
    expect(listed.stdout).not.toContain(ID);
    const shownJson = await runCli(['jobs', 'show', JOB_ID, '--json'], env);
    expect(shownJson.code, shownJson.stderr).toBe(0);
    expect(JSON.parse(shownJson.stdout)).toMatchObject({
      id: JOB_ID,
      data: { pipeline: `drop-${MASKED}`, parent: OTHER_UUID },
    });
    expect(shownJson.stdout).not.toContain(ID);
    const shown = await runCli(['jobs', 'show', JOB_ID], env);
    expect(shown.code, shown.stderr).toBe(0);
    const data = shown.stdout.split('\n').find((line) => line.startsWith('data: '));
    expect(JSON.parse(data!.slice('data: '.length))).toMatchObject({
      pipeline: `drop-${MASKED}`,
      parent: OTHER_UUID,
    });
    expect(shown.stdout).not.toContain(ID);
    const cancelled = await runCli(['jobs', 'cancel', JOB_ID], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`job ${JOB_ID} (pipeline-run drop-${MASKED} `);
    expect(cancelled.stdout).not.toContain(ID);
  });

  it('ingest: no `started` line for a file refused before a row of it is read', async () => {
    const dir = path.join(fx.scratch, 'files');
    mkdirSync(dir);
    const good = writePenaltyCsv(dir, 'good.csv', 10, { seed: 301 }).file;
    const cut = path.join(dir, 'cut.zip');
    await writeZip(cut, { 'inner.csv': toCsv(PENALTY_HEADER, generatePenalties(10, { seed: 302 }).rows) });
    const whole = readFileSync(cut);
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const result = await runCli(
      ['ingest', good, cut, '--catalog', 'xzcf', '--provider', JINAN, '--level', 'city', '--json'],
      env,
    );
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^good\.csv: started \(~\d+ rows\)$/m);
    expect(result.stderr).toContain('cut.zip');
    expect(result.stderr).not.toContain('cut.zip: started');
  }, 120_000);
});
