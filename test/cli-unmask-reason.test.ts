import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { objectionDue } from '../src/calendar/objection-due.ts';
import { asOfficer, insertObjection } from '../src/warehouse/objection-log-repository.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PAGE_DATA, seedConsolePages } from './support/console-pages-data.ts';
import { type CliResult, runCli } from './support/run-cli.ts';
import { sheetValues } from './support/sheet-values.ts';

/*
 * The review's finding: `--unmasked` (and `report notice --template-unmasked`) wrote resident ID numbers in clear
 * with no reason and no log entry, though docs/configuration.md says each view is logged with its reason. Now the
 * CLI asks for `--reason` (the console's rule), logs the view in unmask_views (migration 049: a row names the OS
 * user instead of a console user, and the database login) before it writes the file, and /unmask-log shows it as
 * the command's. Through the real CLI on real PostgreSQL.
 */

let cx: ConsoleFixture;
let env: NodeJS.ProcessEnv;
let runId: number;
let noticeId: number;
let objectionId: number;
const cli = (...args: string[]): Promise<CliResult> => runCli(args, env);
const out = (name: string) => path.join(cx.fx.scratch, name);
const OS_USER = os.userInfo().username;
/** The login of the fixture's DATABASE_URL: what the database stamps as db_user. */
let login: string;

interface View {
  user_id: number | null;
  user_name: string | null;
  cli_user: string | null;
  db_user: string | null;
  what: string;
  reason: string | null;
}
const views = async (): Promise<View[]> =>
  cx.fx
    .owner('unmask_views')
    .orderBy('id')
    .select('user_id', 'user_name', 'cli_user', 'db_user', 'what', 'reason');

async function workbookText(file: string): Promise<string> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(file);
  return book.worksheets.map((sheet) => JSON.stringify(sheetValues(sheet))).join('\n');
}

beforeAll(async () => {
  cx = await openConsoleFixture('cli_unmask_reason', { browser: false });
  ({ runId, noticeId } = await seedConsolePages(cx.fx));
  login = decodeURIComponent(new URL(cx.fx.url).username);
  env = { DATABASE_URL: cx.fx.url, CREDIT_ETL_LOG_FILE: out('credit-etl.log') };
  const [personRecord] = await cx.fx.owner('records').where({ subject_code: PAGE_DATA.personId }).pluck('id');
  const today = todayInShanghai();
  objectionId = await asOfficer(cx.fx.warehouse, (trx) =>
    insertObjection(trx, {
      recordId: Number(personRecord),
      applicant: '张某',
      reason: '处罚记录不属于本人',
      receivedOn: today,
      dueOn: objectionDue(today).date,
      channel: 'platform',
      operator: 'test officer',
    }),
  );
}, 120_000);
afterAll(async () => cx?.close());

describe('the CLI writes ID numbers in clear only with a reason, logged before the file', () => {
  it('refuses --unmasked and --template-unmasked without a reason, or a short one: exit 2, nothing written or logged', async () => {
    const commands: [string, string[]][] = [
      ['rejections.csv', ['report', 'rejections', '--run', String(runId), '--unmasked']],
      ['notice.xlsx', ['report', 'notice', '--id', String(noticeId), '--unmasked']],
      ['template.xlsx', ['report', 'notice', '--id', String(noticeId), '--template-unmasked']],
      [
        'new-notice.xlsx',
        ['report', 'notice', '--provider', PAGE_DATA.province, '--run', String(runId), '--unmasked'],
      ],
      ['verification.xlsx', ['objection', 'notify', String(objectionId), '--unmasked']],
    ];
    // Every command without a reason; the first with one too short (4 characters at least, as in the console),
    // blank, or holding a line break (it would forge a log line).
    const tries = [
      ...commands.map(([file, args]) => [file, args, []] as const),
      ...[
        ['--reason', '看看'],
        ['--reason', '   '],
        ['--reason', '复核\n申请'],
      ].map((reason) => [commands[0]![0], commands[0]![1], reason] as const),
    ];
    for (const [file, args, reason] of tries) {
      const result = await cli(...args, ...reason, '--out', out(file));
      const label = `${args.join(' ')} ${reason.join(' ')}`;
      expect(result.code, `${label}\n${result.stderr}`).toBe(2);
      expect(result.stderr, label).toContain('--reason');
      expect(result.stderr, label).not.toMatch(/\n\s+at /);
      expect(existsSync(out(file)), label).toBe(false);
    }
    // A reason without an unmask is a mistake too: the output would be masked and nothing logged.
    const masked = await cli(
      'report',
      'rejections',
      '--run',
      String(runId),
      '--reason',
      '核对拒收原因',
      '--out',
      out('m.csv'),
    );
    expect(masked.code).toBe(2);
    expect(existsSync(out('m.csv'))).toBe(false);
    expect(await views()).toEqual([]);
    // Nothing was issued either: the new notice's refusal came before anything was done.
    expect(await cx.fx.owner('notices').count({ n: '*' })).toEqual([{ n: 1 }]);
    // The objection's log holds its opening only: no verification notice was issued.
    expect(await cx.fx.owner('objection_log').where({ objection_id: objectionId }).count({ n: '*' })).toEqual(
      [{ n: 1 }],
    );
  });

  it('with a reason: the file holds the ID in clear, and one row names the OS user, the command and the masked reason', async () => {
    const file = out('rejections.csv');
    const typed = `核对拒收原因（申请人 ${PAGE_DATA.idInUsccColumn}）`;
    const result = await cli(
      'report',
      'rejections',
      '--run',
      String(runId),
      '--unmasked',
      '--reason',
      typed,
      '--out',
      file,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('(UNMASKED: internal use only)');
    expect(result.stdout + result.stderr).not.toContain(PAGE_DATA.idInUsccColumn);
    expect(readFileSync(file, 'utf8')).toContain(PAGE_DATA.idInUsccColumn);
    const reason = `核对拒收原因（申请人 ${PAGE_DATA.idInUsccColumnMasked}）`;
    expect(await views()).toEqual([
      {
        user_id: null,
        user_name: null,
        cli_user: OS_USER,
        db_user: login,
        what: `report rejections --run ${runId} --unmasked → ${file}`,
        reason,
      },
    ]);
    // The command's log says so too, masked.
    const logged = readFileSync(out('credit-etl.log'), 'utf8');
    expect(logged).toContain(
      `cli: ${OS_USER} wrote unmasked personal data: report rejections --run ${runId}`,
    );
    expect(logged).not.toContain(PAGE_DATA.idInUsccColumn);
  });

  it('logs a notice written with --template-unmasked or --unmasked and a verification notice, each before its file', async () => {
    const template = out('template.xlsx');
    const written = await cli(
      ...['report', 'notice', '--id', String(noticeId), '--template-unmasked'],
      ...['--reason', '重报模板回传提供单位', '--out', template],
    );
    expect(written.code, written.stderr).toBe(0);
    expect(await workbookText(template)).toContain(PAGE_DATA.idInUsccColumn);
    const issued = await cli(
      ...['report', 'notice', '--provider', PAGE_DATA.province, '--run', String(runId), '--reissue'],
      ...['--unmasked', '--reason', '内部核对复核通知', '--out', out('new-notice.xlsx')],
    );
    expect(issued.code, issued.stderr).toBe(0);
    const verification = out('verification.xlsx');
    const notified = await cli(
      ...['objection', 'notify', String(objectionId), '--unmasked'],
      ...['--reason', '核实异议记录', '--out', verification],
    );
    expect(notified.code, notified.stderr).toBe(0);
    expect(await workbookText(verification)).toContain(PAGE_DATA.personId);
    const logged = (await views()).slice(1);
    expect(logged.map((view) => [view.cli_user, view.user_id, view.what, view.reason])).toEqual([
      [
        OS_USER,
        null,
        `report notice --id ${noticeId} --template-unmasked → ${template}`,
        '重报模板回传提供单位',
      ],
      [
        OS_USER,
        null,
        `report notice --provider ${PAGE_DATA.province} --run ${runId} --unmasked → ${out('new-notice.xlsx')} (notice ${noticeId})`,
        '内部核对复核通知',
      ],
      // An officer's command: 049 lets the officer's role append it.
      [OS_USER, null, `objection notify ${objectionId} --unmasked → ${verification}`, '核实异议记录'],
    ]);
  });

  it('keeps the entry when the file cannot be written: it records the intent to see the numbers', async () => {
    const before = (await views()).length;
    // Under a file, not a folder: the file cannot be written (ENOTDIR).
    const nowhere = path.join(out('rejections.csv'), 'rejections.csv');
    const result = await cli(
      ...['report', 'rejections', '--run', String(runId), '--unmasked'],
      ...['--reason', '核对拒收原因', '--out', nowhere],
    );
    expect(result.code).toBe(1);
    expect(existsSync(nowhere)).toBe(false);
    const after = await views();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)?.what).toBe(`report rejections --run ${runId} --unmasked → ${nowhere}`);
  });

  it('keeps the log append-only, a row naming exactly one viewer, and the database login and time its own', async () => {
    await expect(cx.fx.owner('unmask_views').update({ reason: '改写' })).rejects.toThrow(/append-only/);
    await expect(cx.fx.owner('unmask_views').where({ cli_user: OS_USER }).delete()).rejects.toThrow(
      /append-only/,
    );
    await expect(cx.fx.owner.raw('TRUNCATE unmask_views')).rejects.toThrow(/append-only/);
    const [auditor] = await cx.fx.owner('console_users').where({ name: 'auditor' }).pluck('id');
    const row = { what: 'x', reason: '测试事由' };
    // Neither, both, a blank command user (051's check of a user that shows nothing may refuse it first), a console
    // user without their name: refused.
    for (const viewer of [
      {},
      { user_id: auditor, user_name: 'auditor', cli_user: 'root' },
      { cli_user: '\u3000\t' },
      { user_id: auditor },
    ])
      await expect(
        cx.fx.warehouse('unmask_views').insert({ ...row, ...viewer }),
        JSON.stringify(viewer),
      ).rejects.toThrow(/unmask_views_one_viewer|unmask_views_cli_user_visible/);
    // The writer does not choose the login or the time (tried in a transaction rolled back: nothing is left).
    let stamped: { db_user: string; at: Date } | undefined;
    await cx.fx.warehouse
      .transaction(async (trx) => {
        [stamped] = await trx('unmask_views')
          .insert({ ...row, cli_user: 'root', db_user: 'someone_else', at: new Date('2020-01-01T00:00:00Z') })
          .returning(['db_user', 'at']);
        throw new Error('rolled back');
      })
      .catch((error: Error) => {
        if (error.message !== 'rolled back') throw error;
      });
    expect(stamped?.db_user).toBe(login);
    expect(stamped?.at.getTime()).toBeGreaterThan(new Date('2025-01-01T00:00:00Z').getTime());
  });

  it('lets a reader’s login append a command’s view, and nothing naming a console user', async () => {
    const reader = `credit_etl_test_cli_unmask_${process.pid}`;
    await cx.fx.owner.raw(`CREATE ROLE ${reader} LOGIN IN ROLE credit_etl_reader`);
    try {
      const url = new URL(cx.fx.url);
      url.username = reader;
      url.password = '';
      const file = out('reader.csv');
      const result = await runCli(
        [
          'report',
          'rejections',
          '--run',
          String(runId),
          '--unmasked',
          '--reason',
          '审计抽查拒收数据',
          '--out',
          file,
        ],
        { ...env, DATABASE_URL: url.toString() },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain(PAGE_DATA.idInUsccColumn);
      const [last] = (await views()).slice(-1);
      expect(last).toMatchObject({
        cli_user: OS_USER,
        db_user: reader,
        user_id: null,
        reason: '审计抽查拒收数据',
      });
      // As the reader: a view naming a console user (user_id, user_name) is not the reader's to append.
      await expect(
        cx.fx.owner.transaction(async (trx) => {
          await trx.raw('SET LOCAL ROLE credit_etl_reader');
          await trx.raw(
            `INSERT INTO unmask_views (user_id, user_name, what, reason) VALUES (1, 'auditor', 'x', '测试事由')`,
          );
        }),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await cx.fx.owner.raw(`DROP ROLE IF EXISTS ${reader}`);
    }
  });

  it('shows the command’s views on /unmask-log as the command line’s, the reason masked', async () => {
    const auditor = await cx.http('auditor');
    const page = await (await auditor.get('/unmask-log')).text();
    expect(page).toContain(`<td>${OS_USER}（命令行，数据库账户 ${login}）</td>`);
    expect(page).toContain(`<td>report rejections --run ${runId} --unmasked → ${out('rejections.csv')}</td>`);
    expect(page).toContain(`<td>核对拒收原因（申请人 ${PAGE_DATA.idInUsccColumnMasked}）</td>`);
    expect(page).not.toContain(PAGE_DATA.idInUsccColumn);
    expect(page).not.toContain(PAGE_DATA.personId);
  });
});
