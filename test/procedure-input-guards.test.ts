import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { ProcedureRefused, runProcedure } from '../src/procedures/run-procedure.ts';
import { fixtureCli, recordIdOf } from './support/fixture-cli.ts';
import { whileMigrationDown } from './support/migration-source.ts';
import { writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { warningPenalties } from './support/warning-penalties.ts';

const COMPANY = makeUscc('91', '370102', 4_060_001);
const OTHER = makeUscc('91', '370102', 4_060_002);
const GROUNDS = ['--basis', '鲁信复〔2026〕60号', '--reason', '依法办理', '--operator', '王科员'];
const decided = periodEnd(todayInShanghai(), -1);

/**
 * The legal-procedure functions take values the officer's engine computed; migration 060 refuses, in the
 * `procedure_log` entry every procedure writes first, the ones `verify` only flagged afterwards: a repair whose
 * disclosure names no state, a reattribute to no subject, a correct or reattribute to an infinite formation date.
 * The officer's role calls the functions directly, as the review did; the CLI's paths still work.
 */
describe('legal procedures refuse inputs verify would only flag (060)', { timeout: 600_000 }, () => {
  let fx: WarehouseFixture;
  const penalty = warningPenalties({ seed: 1960, company: COMPANY, name: '济南输入示例有限公司', decided });
  const decisions = ['鲁济市监罚〔2026〕6001号', '鲁济市监罚〔2026〕6002号', '鲁济市监罚〔2026〕6003号'];
  const { cli } = fixtureCli(() => fx);
  const ids = async () =>
    (await Promise.all(decisions.map((decision) => recordIdOf(fx, decision)))) as [number, number, number];
  const logSize = async () =>
    Number((await fx.owner.raw('SELECT count(*) AS n FROM procedure_log')).rows[0].n);

  /** The arguments procedure_correct / procedure_reattribute take, from the record's current version. */
  const rowOf = async (
    recordId: number,
    changes: { key?: string; subject?: string | null; formed?: string },
  ) => {
    const { rows } = await fx.owner.raw(
      `SELECT r.business_key, r.subject_code, v.id, v.data::text AS data, v.content_hash, v.catalog_version,
              v.formation_date::text AS formation_date
       FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
      [recordId],
    );
    const v = rows[0];
    return [
      recordId,
      Number(v.id),
      v.data,
      `${v.content_hash}0`,
      v.catalog_version,
      changes.formed ?? v.formation_date,
      changes.key ?? v.business_key,
      changes.subject === undefined ? v.subject_code : changes.subject,
      'x号',
      '理由',
      '张科员',
    ] as (string | number | null)[];
  };

  /** The review's raw calls (as the officer's role), each to be refused, nothing written. */
  const rawCalls = async () => {
    const [repaired, moved, corrected] = await ids();
    const businessKey = (await fx.owner.raw('SELECT business_key FROM records WHERE id = ?', [moved])).rows[0]
      .business_key;
    return {
      repair: () =>
        runProcedure(fx.warehouse, 'procedure_repair', [
          repaired,
          JSON.stringify({ repairableFrom: '2000-01-01' }),
          'x号',
          '理由',
          '张科员',
        ]),
      reattributeToNoSubject: async () =>
        runProcedure(
          fx.warehouse,
          'procedure_reattribute',
          await rowOf(moved, { key: `${businessKey}|改`, subject: null }),
        ),
      correctToNoSubject: async () =>
        runProcedure(fx.warehouse, 'procedure_correct', await rowOf(corrected, { subject: null })),
      correctToInfinity: async () =>
        runProcedure(fx.warehouse, 'procedure_correct', await rowOf(corrected, { formed: 'infinity' })),
      reattributeToMinusInfinity: async () =>
        runProcedure(
          fx.warehouse,
          'procedure_reattribute',
          await rowOf(moved, { key: `${businessKey}|改`, subject: OTHER, formed: '-infinity' }),
        ),
    };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('procedure_input_guards');
    const summary = await fx.ingest([
      writeRows(
        fx.scratch,
        'p1.csv',
        decisions.map((decision, i) => penalty(i, decision)),
      ),
    ]);
    expect(summary.counts.inserted).toBe(3);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('a repair whose disclosure names no state is refused', async () => {
    const size = await logSize();
    const { repair } = await rawCalls();
    await expect(repair()).rejects.toThrow(ProcedureRefused);
    await expect(repair()).rejects.toThrow(/公示状态为 （未提供），不是公示中或异议中：不能信用修复/);
    expect(await logSize()).toBe(size);
  });

  it('a reattribute to no subject is refused', async () => {
    const size = await logSize();
    const { reattributeToNoSubject } = await rawCalls();
    await expect(reattributeToNoSubject()).rejects.toThrow(/改变归属必须指明新主体.*names no subject/);
    expect(await logSize()).toBe(size);
  });

  it('a correct that leaves a record with no subject is refused', async () => {
    const size = await logSize();
    const { correctToNoSubject } = await rawCalls();
    await expect(correctToNoSubject()).rejects.toThrow(
      /更正不能去掉记录 \d+ 的主体.*leaves it with no subject/,
    );
    expect(await logSize()).toBe(size);
  });

  it('a correct or reattribute to an infinite formation date is refused', async () => {
    const size = await logSize();
    const { correctToInfinity, reattributeToMinusInfinity } = await rawCalls();
    await expect(correctToInfinity()).rejects.toThrow(/信息形成日期不能是 infinity/);
    await expect(reattributeToMinusInfinity()).rejects.toThrow(/信息形成日期不能是 -infinity/);
    expect(await logSize()).toBe(size);
  });

  it('the CLI repairs, reattributes and corrects as before', async () => {
    const [repaired, moved, corrected] = await ids();
    const repair = await cli(['repair', String(repaired), ...GROUNDS]);
    expect(repair.code, repair.stderr).toBe(0);
    const reattribute = await cli([
      'procedure',
      'reattribute',
      String(moved),
      '--subject',
      OTHER,
      ...GROUNDS,
    ]);
    expect(reattribute.code, reattribute.stderr).toBe(0);
    const correct = await cli([
      'procedure',
      'correct',
      String(corrected),
      '--set',
      'CF_NR=警告并责令改正',
      ...GROUNDS,
    ]);
    expect(correct.code, correct.stderr).toBe(0);
    const kinds = (
      await fx.owner.raw(`SELECT kind FROM procedure_log WHERE record_id IN (?, ?, ?) ORDER BY id`, [
        repaired,
        moved,
        corrected,
      ])
    ).rows.map((row: { kind: string }) => row.kind);
    expect(kinds).toEqual(['repair', 'reattribute', 'correct']);
  });

  it('goes down and up again: the trigger and its function are dropped, then back', async () => {
    const present = async () =>
      Number(
        (
          await fx.owner.raw(
            `SELECT (SELECT count(*) FROM pg_trigger WHERE tgname = 'procedure_inputs_hold')
                  + (SELECT count(*) FROM pg_proc WHERE proname = 'procedure_log_inputs_hold') AS n`,
          )
        ).rows[0].n,
      );
    expect(await present()).toBe(2);
    await whileMigrationDown(fx.owner, '060-procedure-inputs-hold', async () => {
      expect(await present()).toBe(0);
    });
    expect(await present()).toBe(2);
  });
});
