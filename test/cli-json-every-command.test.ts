import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** A resident ID number with a valid check character: never shown unmasked, --json included. */
const RESIDENT_ID = '11010519491231002X';
const DECISION = '鲁济市监罚〔2026〕1701号';

/**
 * `--json` on stdout is one JSON document, also when the command fails: every command, not only `ingest` and `run`.
 * A failure the command did not answer with a document of its own is `{"status", "exitCode", "error"}`; a command
 * that printed its own document (findings with a non-zero code) gets nothing added after it.
 */
describe('--json failures of every command: one JSON object on stdout', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'), ...env });

  beforeAll(async () => {
    fx = await openWarehouseFixture('cli_json_every_command');
    const [row] = basePenalties(5, 1701).filter((penalty) => penalty.行政相对人类别 !== '自然人');
    await fx.ingest(
      [
        writeRows(fx.scratch, 'one.csv', [
          edit(row as PenaltyRow, {
            '行政相对人代码_1(统一社会信用代码)': makeUscc('91', '370102', 3_170_001),
            行政处罚决定书文号: DECISION,
            处罚决定日期: '2026-01-02',
          }),
        ]),
      ],
      { receivedAt: new Date('2026-01-05T10:00:00+08:00') },
    );
  }, 120_000);
  afterAll(async () => fx?.close());

  const cases: {
    name: string;
    args: string[];
    env?: NodeJS.ProcessEnv;
    exitCode: number;
    status: string;
    error: RegExp;
    /** The failure is the `--json` itself: without it the command succeeds. */
    jsonIsTheFault?: true;
  }[] = [
    {
      name: 'a run that does not exist',
      args: ['runs', 'show', '99999', '--json'],
      exitCode: 2,
      status: 'usage-error',
      error: /^run 99999 not found/,
    },
    {
      name: 'an option value out of its list',
      args: ['runs', 'list', '--status', 'bogus', '--json'],
      exitCode: 2,
      status: 'usage-error',
      error: /^--status bogus is not a run status/,
    },
    {
      name: 'a record nothing matches, typed as a resident ID (masked)',
      args: ['record', RESIDENT_ID, '--json'],
      exitCode: 2,
      status: 'usage-error',
      error: /^no record matches 1101\*{10}002X:/,
    },
    {
      name: 'a catalog entry that does not exist (no database)',
      args: ['catalog', 'show', 'nope', '--json'],
      exitCode: 2,
      status: 'usage-error',
      error: /^catalog entry "nope" not found/,
    },
    {
      name: 'a job id that is no UUID',
      args: ['jobs', 'show', 'zzz', '--json'],
      exitCode: 2,
      status: 'usage-error',
      error: /^job id zzz is not a job id/,
    },
    {
      name: 'a DATABASE_URL that is no URL (configuration)',
      args: ['runs', 'list', '--json'],
      env: { DATABASE_URL: 'notaurl' },
      exitCode: 2,
      status: 'usage-error',
      error: /^DATABASE_URL must be a postgres:\/\/ URL/,
    },
    {
      name: 'a database nobody answers on (infrastructure)',
      args: ['subject', makeUscc('91', '370102', 3_170_001), '--json'],
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' },
      exitCode: 1,
      status: 'failed',
      error: /^failed: .*ECONNREFUSED/,
    },
    {
      name: 'an unknown option (commander parse error)',
      args: ['objection', 'list', '--json', '--bogus'],
      exitCode: 2,
      status: 'usage-error',
      error: /unknown option '--bogus'/,
    },
    {
      name: '--json given to a command that has none',
      args: ['pipelines', 'list', '--json'],
      exitCode: 2,
      status: 'usage-error',
      error: /unknown option '--json'/,
      jsonIsTheFault: true,
    },
  ];

  it.each(cases)('$name: exit $exitCode, one failure object', async (failing) => {
    const { args, env, exitCode, status, error } = failing;
    const result = await cli(args, env);
    expect(result.code, result.stderr).toBe(exitCode);
    expect(result.stdout.endsWith('\n') && result.stdout.trimEnd().split('\n')).toHaveLength(1);
    const failure = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(failure).sort()).toEqual(['error', 'exitCode', 'status']);
    expect(failure).toMatchObject({ status, exitCode });
    expect(failure.error).toMatch(error);
    expect(result.stdout).not.toContain(RESIDENT_ID);
    expect(result.stderr).not.toContain(RESIDENT_ID);

    if (failing.jsonIsTheFault) return;
    // Without --json, stdout stays empty.
    const plain = await cli(
      args.filter((arg) => arg !== '--json'),
      env,
    );
    expect(plain.code).toBe(exitCode);
    expect(plain.stdout).toBe('');
  });

  it('objection check with an overdue objection: its own document and exit 1, nothing added after it', async () => {
    const opened = await cli([
      'objection',
      'open',
      DECISION,
      '--applicant',
      '济南异议示例有限公司',
      '--reason',
      '处罚决定已被复议机关撤销',
      '--received-at',
      '2026-02-13',
      '--operator',
      '李科员',
      '--json',
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    const { id } = JSON.parse(opened.stdout) as { id: number };

    const check = await cli(['objection', 'check', '--as-of', '2026-03-02', '--json']);
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout.trimEnd().split('\n')).toHaveLength(1);
    const findings = JSON.parse(check.stdout) as { status: string; overdue: { id: number }[] };
    expect(findings.status).toBe('failed');
    expect(findings.overdue.map((objection) => objection.id)).toContain(id);
    expect(findings).not.toHaveProperty('exitCode');
  });
});
