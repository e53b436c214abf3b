import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PAGE_DATA, seedConsolePages } from './support/console-pages-data.ts';
import { runCli } from './support/run-cli.ts';

/*
 * `report notice --unmasked` appends its unmask_views row in the notice's transaction, kept only when the workbook
 * was written and the transaction committed. Its log line said the view happened before that commit: a commit that
 * failed left a log naming a view the warehouse does not hold. The line is written once the transaction has
 * committed. Through the real CLI on real PostgreSQL, each run with a log file of its own.
 */

let cx: ConsoleFixture;
let runId: number;
let noticeId: number;
const out = (name: string) => path.join(cx.fx.scratch, name);
const LINE = 'wrote unmasked personal data';

async function notice(name: string, args: string[], file = out(name)) {
  const log = out(`${name}.log`);
  const result = await runCli(
    ['report', 'notice', ...args, '--unmasked', '--reason', '内部核对复核通知', '--out', file],
    { DATABASE_URL: cx.fx.url, CREDIT_ETL_LOG_FILE: log },
  );
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  return { result, unmaskLines: lines.filter((line) => line.includes(LINE)) };
}
const views = async () => Number((await cx.fx.owner('unmask_views').count({ n: '*' }))[0]!.n);

beforeAll(async () => {
  cx = await openConsoleFixture('cli_unmask_after_commit', { browser: false });
  ({ runId, noticeId } = await seedConsolePages(cx.fx));
}, 120_000);
afterAll(async () => cx?.close());

describe('the unmask log line of a notice is written only once its transaction committed', () => {
  it('a notice whose workbook cannot be written: exit 1, no unmask_views row, no log line', async () => {
    const before = await views();
    // Under a file, not a folder: the workbook cannot be written (ENOTDIR).
    writeFileSync(out('a-file'), '');
    const { result, unmaskLines } = await notice(
      'unwritable.xlsx',
      ['--id', String(noticeId)],
      out('a-file/n.xlsx'),
    );
    expect(result.code, result.stderr).toBe(1);
    expect(await views()).toBe(before);
    expect(unmaskLines).toEqual([]);
  });

  it('a notice whose commit fails (a deferred check refuses its unmask row): no row, no file, no log line', async () => {
    await cx.fx.owner.raw(`
      CREATE FUNCTION test_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'test: refused at commit'; END $$;
      CREATE CONSTRAINT TRIGGER test_refuse_at_commit AFTER INSERT ON unmask_views
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.what LIKE '%refused-at-commit%')
        EXECUTE FUNCTION test_refuse_at_commit();
    `);
    try {
      const before = await views();
      for (const [name, args] of [
        [
          'refused-at-commit-issue.xlsx',
          ['--provider', PAGE_DATA.province, '--run', String(runId), '--reissue'],
        ],
        ['refused-at-commit-rewrite.xlsx', ['--id', String(noticeId)]],
      ] as const) {
        const { result, unmaskLines } = await notice(name, [...args]);
        expect(result.code, result.stdout).toBe(1);
        expect(result.stderr).toContain('refused at commit');
        expect(existsSync(out(name))).toBe(false);
        expect(unmaskLines, name).toEqual([]);
      }
      expect(await views()).toBe(before);
    } finally {
      await cx.fx.owner.raw(`
        DROP TRIGGER test_refuse_at_commit ON unmask_views;
        DROP FUNCTION test_refuse_at_commit();
      `);
    }
  });

  it('a notice written: its row and exactly one log line', async () => {
    const before = await views();
    const { result, unmaskLines } = await notice('written.xlsx', ['--id', String(noticeId)]);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(out('written.xlsx'))).toBe(true);
    expect(await views()).toBe(before + 1);
    expect(unmaskLines).toHaveLength(1);
    expect(unmaskLines[0]).toContain(`report notice --id ${noticeId} --unmasked`);
  });
});
