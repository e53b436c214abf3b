import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { sheetValues } from './support/sheet-values.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const run = promisify(execFile);
/** Registered in the shipped config/providers.json. */
const PROVINCE = '11370000MB2852362M';
const JINAN = '11370100MB28174284';
const JINAN_LABEL = '济南市（11370100MB28174284）';
/** The 罚款金额 column of PENALTY_HEADER. */
const AMOUNT = PENALTY_HEADER.indexOf('罚款金额（万元）');

describe('review notices: refusals, the notice log and conflict resolution', () => {
  let fx: WarehouseFixture;
  const clean = generatePenalties(4, { seed: 18 }).rows;

  beforeAll(async () => {
    fx = await openWarehouseFixture('notice_log');
    const write = (name: string, rows: string[][]) => {
      const file = path.join(fx.scratch, name);
      writeFileSync(file, toCsv(PENALTY_HEADER, rows));
      return file;
    };
    // Run 1: the province's push. Run 2: Jinan's push of the same penalties, two with another amount (conflicts).
    await fx.ingest([write('province.csv', clean)], { provider: PROVINCE, level: 'province' });
    const city = clean.map((row, i) => (i < 2 ? row.map((cell, j) => (j === AMOUNT ? '99' : cell)) : row));
    const second = await fx.ingest([write('jinan.csv', city)], { provider: JINAN, level: 'city' });
    expect(second.counts).toMatchObject({ conflict: 2, merged: 2 });
    // Run 3: Jinan delivers one row with a wrong amount: one rejected row.
    const bad = [clean[0]!.map((cell, j) => (j === AMOUNT ? '-5' : cell))];
    const third = await fx.ingest([write('jinan-bad.csv', bad)], { provider: JINAN, level: 'city' });
    expect(third.counts.rejected).toBe(1);
  }, 600_000);
  afterAll(async () => fx?.close());

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [path.join(PROJECT_ROOT, 'bin/credit-etl.js'), ...args],
        {
          env: {
            ...process.env,
            DATABASE_URL: fx.url,
            CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
          },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }
  const notices = async () =>
    Number((await fx.owner('notices').count<{ count: string }[]>('* as count'))[0]!.count);
  const events = async () =>
    Number((await fx.owner('notice_events').count<{ count: string }[]>('* as count'))[0]!.count);
  const unmaskViews = async () =>
    Number((await fx.owner('unmask_views').count<{ count: string }[]>('* as count'))[0]!.count);
  const eventKinds = async (noticeId: number) =>
    (await fx.owner('notice_events').where({ notice_id: noticeId }).orderBy('id').select('kind')).map(
      (event: { kind: string }) => event.kind,
    );

  it('refuses a notice for another provider’s run, one with nothing in it, and a copy; --reissue logs a re-send', async () => {
    const out = path.join(fx.scratch, 'refused.xlsx');
    const other = await cli('report', 'notice', '--provider', JINAN, '--run', '1', '--out', out);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`run 1 holds no delivery of ${JINAN_LABEL}`);
    expect(other.stderr).toContain('山东省（省级统一推送）（11370000MB2852362M）');
    const empty = await cli('report', 'notice', '--provider', PROVINCE, '--run', '1', '--out', out);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('nothing to notify');
    expect(existsSync(out)).toBe(false);
    expect(await notices()).toBe(0);

    // A workbook that cannot be written (its folder is a plain file) issues nothing: no notice, no event, and its
    // number is not used up: the next notice is notice 1.
    const blocker = path.join(fx.scratch, 'afile');
    writeFileSync(blocker, '');
    const unwritable = path.join(blocker, 'n.xlsx');
    const cannotWrite = `cannot write ${unwritable}: cannot create directory ${blocker}: ${blocker} is not a directory`;
    const unwritten = await cli('report', 'notice', '--provider', JINAN, '--run', '2', '--out', unwritable);
    expect(unwritten.code).toBe(1);
    expect(await notices()).toBe(0);
    expect(await events()).toBe(0);
    expect(unwritten.stderr).toBe(
      `credit-etl: failed: no notice was issued, nothing was recorded (no notice number used): ${cannotWrite}\n`,
    );
    expect(readdirSync(fx.scratch).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const first = path.join(fx.scratch, 'notice-1.xlsx');
    const issued = await cli('report', 'notice', '--provider', JINAN, '--run', '2', '--out', first);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain('notice 1: 2 row(s)');
    // The number is on the workbook: 文号 信用复核〔<year>〕1号.
    const letter = new ExcelJS.Workbook();
    await letter.xlsx.readFile(first);
    expect(sheetValues(letter.worksheets[0]!)).toContainEqual([
      '文号',
      expect.stringMatching(/^信用复核〔\d{4}〕1号$/),
    ]);
    const copy = await cli('report', 'notice', '--provider', JINAN, '--run', '2', '--out', out);
    expect(copy.code).toBe(2);
    expect(copy.stderr).toContain('notice 1 (issued');
    expect(copy.stderr).toContain('--reissue');
    // A re-send or a rewrite whose workbook cannot be written records nothing either: no `resent`, no unmask view.
    const notResent = await cli(
      'report',
      'notice',
      '--provider',
      JINAN,
      '--run',
      '2',
      '--out',
      unwritable,
      '--reissue',
    );
    expect(notResent.code).toBe(1);
    expect(await eventKinds(1)).toEqual(['issued']);
    expect(notResent.stderr).toBe(
      `credit-etl: failed: notice 1 was not re-sent, nothing was recorded in its log: ${cannotWrite}\n`,
    );
    const notRewritten = await cli(
      'report',
      'notice',
      '--id',
      '1',
      '--out',
      unwritable,
      '--unmasked',
      '--reason',
      '核对原始数据',
    );
    expect(notRewritten.code).toBe(1);
    expect(await eventKinds(1)).toEqual(['issued']);
    expect(await unmaskViews()).toBe(0);
    expect(notRewritten.stderr).toBe(
      `credit-etl: failed: notice 1 was not written, nothing was recorded: ${cannotWrite}\n`,
    );
    expect(existsSync(out)).toBe(false);
    const again = await cli('report', 'notice', '--provider', JINAN, '--run', '2', '--out', out, '--reissue');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('notice 1 re-sent');
    expect(existsSync(out)).toBe(true);
    expect(await notices()).toBe(1);
    expect(await eventKinds(1)).toEqual(['issued', 'resent']);
  }, 600_000);

  it('records sending and acknowledgement; accepting the higher channel’s version of every conflict closes the notice', async () => {
    const sent = await cli(
      'notice',
      'sent',
      '1',
      '--channel',
      'email',
      '--to',
      '济南市发改委 信用科',
      '--operator',
      '李四',
    );
    expect(sent.code).toBe(0);
    expect((await cli('notice', 'ack', '1', '--note', '电话确认已收到')).code).toBe(0);
    const rejectedRow = await cli('notice', 'accept-higher', '1', '--row', '9');
    expect(rejectedRow.code).toBe(2);
    expect(rejectedRow.stderr).toContain('notice 1 has no row 9');

    const escalated = await cli(
      'notice',
      'escalate',
      '1',
      '--row',
      '2',
      '--reason',
      '金额不一致，提交省平台协调',
    );
    expect(escalated.code).toBe(0);
    let [state] = JSON.parse((await cli('notice', 'list', '--json')).stdout.trim().split('\n').at(-1)!);
    expect(state).toMatchObject({ id: 1, status: 'open', corrected: 0, escalated: 1 });

    expect((await cli('notice', 'accept-higher', '1', '--row', '1')).code).toBe(0);
    const twice = await cli('notice', 'accept-higher', '1', '--row', '1');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('resolved already');
    [state] = JSON.parse((await cli('notice', 'list', '--json')).stdout.trim().split('\n').at(-1)!);
    expect(state).toMatchObject({ status: 'partly-corrected', corrected: 1, escalated: 1 });

    const last = await cli(
      'notice',
      'accept-higher',
      '1',
      '--row',
      '2',
      '--note',
      '省市协商：以省级数据为准',
    );
    expect(last.code).toBe(0);
    expect(last.stdout).toContain('notice 1 closed');
    [state] = JSON.parse(
      (await cli('notice', 'list', '--status', 'closed', '--json')).stdout.trim().split('\n').at(-1)!,
    );
    expect(state).toMatchObject({
      id: 1,
      status: 'closed',
      corrected: 2,
      escalated: 0,
      closedHow: 'conflicts-resolved',
    });
    expect(await eventKinds(1)).toEqual([
      'issued',
      'resent',
      'sent',
      'acknowledged',
      'escalated',
      'resolved',
      'resolved',
      'closed',
    ]);
    const sentEvent = await fx.owner('notice_events').where({ notice_id: 1, kind: 'sent' }).first();
    expect(sentEvent).toMatchObject({ channel: 'email', recipient: '济南市发改委 信用科', operator: '李四' });
    // The data was not touched: the records still hold the province's version (no new version was written).
    expect(
      Number((await fx.owner('record_versions').count<{ count: string }[]>('* as count'))[0]!.count),
    ).toBe(4);
    const shown = await cli('notice', 'show', '1');
    expect(shown.stdout).toContain(JINAN_LABEL);
    expect(shown.stdout).toContain('resolved: higher channel stands');
    expect(shown.stdout).toContain('closed (conflicts-resolved)');
  }, 600_000);

  it('closes a notice with open rows only by hand, on a stated basis', async () => {
    const out = path.join(fx.scratch, 'notice-2.xlsx');
    expect((await cli('report', 'notice', '--provider', JINAN, '--run', '3', '--out', out)).code).toBe(0);
    const noBasis = await cli('notice', 'close', '2');
    expect(noBasis.code).toBe(2);
    expect(noBasis.stderr).toContain('--basis');
    const conflictOnly = await cli('notice', 'accept-higher', '2', '--row', '1');
    expect(conflictOnly.code).toBe(2);
    expect(conflictOnly.stderr).toContain('is a rejected row');
    const closed = await cli(
      'notice',
      'close',
      '2',
      '--basis',
      '济南市发改委书面确认函（济发改信用〔2026〕12号）',
    );
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain('closed (by-hand');
    expect((await cli('notice', 'close', '2', '--basis', 'again')).code).toBe(2);
    const [state] = JSON.parse(
      (await cli('notice', 'list', '--provider', JINAN, '--json')).stdout.trim().split('\n').at(-1)!,
    );
    expect(state).toMatchObject({ id: 2, status: 'closed', corrected: 0, closedHow: 'by-hand' });
    expect(state.closedBasis).toContain('济发改信用');
  }, 600_000);

  it('keeps the log append-only for the engine and for the owner', async () => {
    await expect(fx.warehouse('notice_events').where({ notice_id: 1 }).update({ note: 'x' })).rejects.toThrow(
      /permission denied|append-only/,
    );
    await expect(fx.owner('notice_events').where({ notice_id: 1 }).update({ note: 'x' })).rejects.toThrow(
      'notice_events is append-only',
    );
    await expect(fx.owner('notice_events').where({ notice_id: 1 }).delete()).rejects.toThrow(
      'notice_events is append-only',
    );
    await expect(fx.owner.raw('TRUNCATE notice_events')).rejects.toThrow(/append-only|cannot truncate/);
    expect(await eventKinds(1)).toHaveLength(8);
  });
});
