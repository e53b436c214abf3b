import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOWS_NOTHING as SHOWS_NOTHING_SQL } from '../migrations/051-grounds-visible.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import {
  INVISIBLE_CHARACTERS,
  SHOWS_NOTHING,
  visibleLength,
} from '../src/identifiers/invisible-characters.ts';
import { unmaskReasonProblem } from '../src/log/unmask-reason.ts';
import { checkGrounds, type Grounds } from '../src/procedures/legal-procedures.ts';
import { ProcedureRefused } from '../src/procedures/run-procedure.ts';
import { verifyProcedureLog } from '../src/warehouse/procedure-log-chain.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review finding: `procedure withdraw 3 --basis $'\u0085' --reason $'\u200e' --operator $'\u3164'` withdrew a
 * record, logged with grounds nobody can read: the CLI's trim() and the database's blank pattern (033) missed
 * characters that show nothing. Now each of a procedure's grounds, and an unmask's reason, needs a character that
 * shows (src/identifiers/invisible-characters.ts, migration 051).
 */
const SHOWS_NOTHING_SAMPLES = [
  '\u0085',
  '\u200e',
  '\u200f',
  '\u3164',
  '\u202f',
  '\u2800',
  '\uffa0',
  '\u115f',
  '\u1160',
  '\u00ad',
  '\u034f',
  '\u180b',
  '\u180c',
  '\u180d',
  '\u180e',
  '\u180f',
  '\ufe00',
  '\ufe0f',
  '\t\u3000\u00a0',
  '\u3164 \u200e\u2800',
  '\u{e0020}\u{e0100}',
];
const GROUNDS: Grounds = { basis: '鲁信用办函〔2026〕32号', reason: '重复记录', operator: '张科员' };
const FIELDS = [
  ['basis', '法定程序必须注明法律依据（文号）：请用 --basis 填写（空格、控制字符和不可见字符不算）'],
  ['reason', '法定程序必须注明理由：请用 --reason 填写（空格、控制字符和不可见字符不算）'],
  ['operator', '法定程序必须注明经办人：请用 --operator 填写（空格、控制字符和不可见字符不算）'],
] as const;
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const codePoints = (text: string) =>
  [...text].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`);

describe('the CLI: a basis, reason or operator needs a character that shows', () => {
  it('refuses grounds of whitespace, control and invisible characters only, with the database’s words', () => {
    for (const [field, message] of FIELDS)
      for (const sample of SHOWS_NOTHING_SAMPLES) {
        const refused = (() => {
          try {
            checkGrounds({ ...GROUNDS, [field]: sample });
          } catch (error) {
            return error;
          }
        })();
        expect(refused, `${field} ${codePoints(sample)}`).toBeInstanceOf(ProcedureRefused);
        expect((refused as Error).message).toBe(message);
      }
    // Something that shows, with invisibles around it, will do.
    expect(() =>
      checkGrounds({ ...GROUNDS, basis: '\u200e鲁信用办函〔2026〕32号\u3164', operator: 'x' }),
    ).not.toThrow();
  });

  it('counts only what shows towards the unmask reason’s 4 characters (the console and the CLI)', () => {
    expect(unmaskReasonProblem('\u3164'.repeat(4))).toBe('short');
    expect(unmaskReasonProblem('\u2800\u2800\u2800\u2800\u2800\u2800')).toBe('short');
    expect(unmaskReasonProblem('看看\u200e\u200f')).toBe('short');
    expect(unmaskReasonProblem('\ufe0f'.repeat(20))).toBe('short');
    expect(unmaskReasonProblem('复核\u200e申请')).toBeUndefined();
    expect(unmaskReasonProblem('复核异议申请')).toBeUndefined();
    expect(unmaskReasonProblem('复核\n申请')).toBe('control');
  });

  it('holds every invisible character the cell readers strip as showing nothing', () => {
    const invisible = new RegExp(`[${INVISIBLE_CHARACTERS}]`, 'u');
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCodePoint(code);
      if (invisible.test(char)) expect(visibleLength(char), codePoints(char).join()).toBe(0);
    }
  });
});

describe('the database: migration 051', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let records: number[];
  const migrationSource: Knex.MigrationSource<string> = {
    getMigrations: async () => MIGRATIONS.map(([name]) => name),
    getMigrationName: (name) => name,
    getMigration: async (name) => MIGRATIONS.find(([candidate]) => candidate === name)![1],
  };
  const withdraw = (recordId: number, grounds: Grounds) =>
    fx.warehouse.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE credit_etl_officer');
      return (
        await trx.raw('SELECT procedure_withdraw(?, ?, ?, ?) AS id', [
          recordId,
          grounds.basis,
          grounds.reason,
          grounds.operator,
        ])
      ).rows[0].id as number;
    });
  const statusOf = async (id: number) => (await fx.warehouse('records').where({ id }).first()).status;
  const cliView = (cliUser: string, reason: string) =>
    fx.owner.raw('INSERT INTO unmask_views (cli_user, what, reason) VALUES (?, ?, ?)', [
      cliUser,
      'x',
      reason,
    ]);

  beforeAll(async () => {
    fx = await openWarehouseFixture('grounds_visible');
    await fx.ingest([writeRows(fx.scratch, 'g1.csv', basePenalties(4, 2051))], {
      receivedAt: at('2026-11-02'),
    });
    records = (await fx.warehouse('records').orderBy('id').pluck('id')) as number[];
  }, 120_000);
  afterAll(async () => fx?.close());

  it('refuses a procedure whose basis, reason or operator shows nothing, whoever calls the function', async () => {
    for (const [field, message] of FIELDS)
      for (const sample of SHOWS_NOTHING_SAMPLES)
        await expect(
          withdraw(records[0]!, { ...GROUNDS, [field]: sample }),
          `${field} ${codePoints(sample)}`,
        ).rejects.toThrow(message);
    expect(await statusOf(records[0]!)).toBe('current');
    // The log itself refuses such an entry, should a function of the procedure role write one.
    await expect(
      fx.owner.raw(
        `INSERT INTO procedure_log (kind, record_id, catalog_code, basis, reason, db_user, operator, before, after, hash)
         VALUES ('withdraw', ?, 'xzcf', ?, '重复记录', '', '张科员', '{}', '{}', '')`,
        [records[0]!, '\u3164'],
      ),
    ).rejects.toThrow(/procedure_log_grounds_visible/);
    await withdraw(records[0]!, { ...GROUNDS, operator: '\u200e张科员' });
    expect(await statusOf(records[0]!)).toBe('withdrawn');
  });

  it('refuses an unmask logged with a reason or a CLI user that shows nothing', async () => {
    await expect(cliView('etl', '\u3164'.repeat(4))).rejects.toThrow(/unmask_views_reason_visible/);
    await expect(cliView('etl', '\u2800\u200e')).rejects.toThrow(/unmask_views_reason_visible/);
    await expect(cliView('\u3164', '复核异议申请')).rejects.toThrow(/unmask_views_cli_user_visible/);
    await cliView('etl', '复核异议申请');
  });

  it('sees nothing shown where the CLI does, code point by code point', async () => {
    const { rows } = await fx.owner.raw<{ rows: { n: number }[] }>(
      `SELECT n FROM generate_series(1, 1114111) n
       WHERE (n < 55296 OR n > 57343) AND chr(n) !~ '[^${SHOWS_NOTHING_SQL}]' ORDER BY n`,
    );
    const shown = new RegExp(`[${SHOWS_NOTHING}]`, 'u');
    const inJs: number[] = [];
    for (let n = 1; n <= 0x10ffff; n++)
      if ((n < 0xd800 || n > 0xdfff) && shown.test(String.fromCodePoint(n))) inJs.push(n);
    expect(rows.map((row) => row.n)).toEqual(inJs);
  });

  it('leaves what was logged before as it was (the checks are NOT VALID), and the CLI refuses the review’s command', async () => {
    // Before 051: the review's grounds went through, and an unmask reason of fillers only.
    await fx.owner.migrate.down({ migrationSource, name: '051-grounds-visible' });
    const before = await withdraw(records[1]!, { basis: '\u0085', reason: '\u200e', operator: '\u3164' });
    await cliView('etl', '\u3164'.repeat(4));
    await fx.owner.migrate.up({ migrationSource, name: '051-grounds-visible' });
    const kept = await fx.owner('procedure_log').where({ id: before }).first();
    expect([kept.basis, kept.reason, kept.operator]).toEqual(['\u0085', '\u200e', '\u3164']);
    expect(
      await fx
        .owner('unmask_views')
        .where({ reason: '\u3164'.repeat(4) })
        .count(),
    ).toEqual([{ count: 1 }]);
    const { rows } = await fx.owner.raw(
      `SELECT conname, convalidated FROM pg_constraint WHERE conname LIKE '%\\_visible' ORDER BY conname`,
    );
    expect(rows).toEqual([
      { conname: 'procedure_log_grounds_visible', convalidated: false },
      { conname: 'unmask_views_cli_user_visible', convalidated: false },
      { conname: 'unmask_views_reason_visible', convalidated: false },
    ]);
    expect(await verifyProcedureLog(fx.warehouse)).toEqual([]);

    const cli = await runCli(
      [
        'procedure',
        'withdraw',
        String(records[2]),
        ...['--basis', '\u0085', '--reason', '\u200e', '--operator', '\u3164'],
      ],
      {
        DATABASE_URL: fx.url,
        CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
        CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      },
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`procedure refused, nothing changed: ${FIELDS[0][1]}`);
    expect(await statusOf(records[2]!)).toBe('current');
  }, 120_000);
});
