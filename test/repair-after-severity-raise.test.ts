import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { nextDay, periodEnd } from '../src/disclosure/civil-dates.ts';
import { runProcedure } from '../src/procedures/run-procedure.ts';
import { asOfficer } from '../src/warehouse/objection-log-repository.ts';
import { procedureLogPayload } from '../src/warehouse/procedure-log-chain.ts';
import { fixtureCli, recordIdOf } from './support/fixture-cli.ts';
import { edit, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { warningPenalties } from './support/warning-penalties.ts';

const COMPANY = makeUscc('91', '370102', 4_040_957);
const GROUNDS = ['--basis', '鲁信修〔2026〕57号', '--reason', '已履行处罚义务', '--operator', '王科员'];
const today = todayInShanghai();
const yesterday = dayBefore(today);
const decided = periodEnd(today, -1);

function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/**
 * A decision day whose 严重 period (12 months first) makes the record repairable from today exactly: a repair
 * made yesterday predates it, one made today does not.
 */
function decidedRepairableToday(): string {
  let day = periodEnd(today, -12);
  for (let tries = 0; tries < 5; tries++, day = dayBefore(day)) {
    if (nextDay(periodEnd(day, 12)) === today) return day;
  }
  throw new Error(`no decision day is repairable from ${today} exactly`);
}

/**
 * A record repaired as 警告, re-delivered as 吊销 (a longer minimum period): the early repair stops nothing
 * (repair-predates-severity.test.ts), and once the 吊销 becomes repairable the record is repaired again
 * (057-repair-after-severity-raise.ts); while a repair is in force, the database refuses a second, however called.
 */
describe('a second credit repair after the severity was raised; never two in force', {
  timeout: 600_000,
}, () => {
  let fx: WarehouseFixture;
  const penalty = warningPenalties({ seed: 957, company: COMPANY, name: '济南再修复示例有限公司', decided });
  const raised = penalty(0, '鲁济市监罚〔2026〕957号');
  const inForce = penalty(1, '鲁济市监罚〔2026〕958号');
  const raced = penalty(2, '鲁济市监罚〔2026〕959号');
  const { cli, json } = fixtureCli(() => fx);
  const idOf = (decision: string) => recordIdOf(fx, decision);
  const repairsOf = async (recordId: number) =>
    (
      await fx.owner.raw(`SELECT id FROM procedure_log WHERE kind = 'repair' AND record_id = ? ORDER BY id`, [
        recordId,
      ])
    ).rows.map((row: { id: number }) => Number(row.id));
  const logSize = async () =>
    Number((await fx.owner.raw('SELECT count(*) AS n FROM procedure_log')).rows[0].n);

  /**
   * Procedures are stamped with the database's clock: the entry is set back `days` days behind the engine's back
   * (triggers off), and the chain from it on is hashed again as procedure_log_chain (012) hashes it, so `verify`
   * sees a log as if the repair had been made then.
   */
  const backdate = (procedureId: number, days: number) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(
        `UPDATE procedure_log SET performed_at = performed_at - ? * interval '1 day' WHERE id = ?`,
        [days, procedureId],
      );
      let previous: string | null =
        (await trx.raw('SELECT hash FROM procedure_log WHERE id < ? ORDER BY id DESC LIMIT 1', [procedureId]))
          .rows[0]?.hash ?? null;
      const entries = (
        await trx.raw(
          `SELECT id, to_char(performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS performed_at_utc,
                  kind, record_id, other_record_id, catalog_code, basis, reason, db_user, operator,
                  before::text AS before_text, after::text AS after_text
           FROM procedure_log WHERE id >= ? ORDER BY id`,
          [procedureId],
        )
      ).rows;
      for (const entry of entries) {
        const hash = createHash('sha256')
          .update(procedureLogPayload({ ...entry, prev_hash: previous }), 'utf8')
          .digest('hex');
        await trx.raw('UPDATE procedure_log SET prev_hash = ?, hash = ? WHERE id = ?', [
          previous,
          hash,
          entry.id,
        ]);
        previous = hash;
      }
    });

  beforeAll(async () => {
    fx = await openWarehouseFixture('repair_after_severity_raise');
    const summary = await fx.ingest([writeRows(fx.scratch, 'p1.csv', [raised, inForce, raced])]);
    expect(summary.counts.inserted).toBe(3);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('repaired as 警告, raised to 吊销: repaired again through the CLI once repairable; the second is in force', async () => {
    const id = await idOf('鲁济市监罚〔2026〕957号');
    expect((await cli(['repair', String(id), ...GROUNDS])).code).toBe(0);
    const [first] = await repairsOf(id);
    // Repaired yesterday, as 警告 (轻微: repairable at once).
    await backdate(first!, 1);
    // Re-delivered as 吊销 with its decision day: 严重, repairable from today, shown until 24 months on.
    const severe = decidedRepairableToday();
    const summary = await fx.ingest([
      writeRows(fx.scratch, 'p2.csv', [
        edit(raised, {
          处罚类别: '吊销许可证件',
          处罚内容: '吊销食品经营许可证',
          处罚决定日期: severe,
          公示截止期: periodEnd(severe, 24),
        }),
      ]),
    ]);
    expect(summary.counts.updated).toBe(1);
    const early = (await json(['record', String(id)])).disclosure;
    expect(early).toMatchObject({
      state: 'disclosed',
      earlyRepair: { procedureId: first, on: yesterday, repairableFrom: today },
    });

    const again = await cli(['repair', String(id), ...GROUNDS]);
    expect(again.code, again.stderr).toBe(0);
    const repairs = await repairsOf(id);
    expect(repairs).toHaveLength(2);
    expect(repairs[0]).toBe(first);
    const second = repairs[1]!;
    const shown = (await json(['record', String(id)])).disclosure;
    expect(shown).toMatchObject({ state: 'repaired', repair: { procedureId: second, on: today } });
    expect(shown.earlyRepair).toBeUndefined();
    expect(shown.label).toBe(`已信用修复（${today}，程序 #${second}），停止公示`);

    // The history keeps both: the early one says it stops nothing.
    const text = (await cli(['record', String(id)])).stdout;
    const line = (procedureId: number) =>
      text.split('\n').find((one) => one.trimStart().startsWith(`procedure #${procedureId} `)) ?? '';
    expect(line(first!)).toContain(`信用修复（${yesterday}，程序 #${first}）早于现行失信程度`);
    expect(line(second)).toContain('public disclosure ended');
    expect(line(second)).not.toContain(`程序 #${second}）早于现行失信程度`);

    // The second repair logged the disclosure it ended: shown, with the early repair said.
    const logged = (
      await fx.owner.raw(`SELECT before -> 'disclosure' AS disclosure FROM procedure_log WHERE id = ?`, [
        second,
      ])
    ).rows[0].disclosure;
    expect(logged).toMatchObject({ state: 'disclosed', repairableFrom: today });
    expect(logged.label).toContain(`程序 #${first}）早于现行失信程度`);

    // Not shown on the public export, counted once.
    const out = path.join(fx.scratch, 'disclosure.json');
    expect((await cli(['report', 'disclosure', '--as-of', today, '--out', out])).code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.records.map((r: { fields: Record<string, string> }) => r.fields.CF_WSH)).not.toContain(
      '鲁济市监罚〔2026〕957号',
    );
    expect(report.counts.repaired).toBe(1);

    // verify: both repairs as the rules allowed them, nothing predating the severity any more.
    const verify = await json(['verify']);
    expect(verify.status).toBe('completed');
    expect(verify.records ?? []).toEqual([]);
    expect(verify.counts.repairsPredatingSeverity ?? 0).toBe(0);
    const plain = await cli(['verify']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('repair-predates-severity');
    expect(plain.stdout).not.toContain('早于现行失信程度');
  });

  it('a repair in force: the database refuses a second, called directly or inserted; the CLI exits 2; nothing changes', async () => {
    const id = await idOf('鲁济市监罚〔2026〕958号');
    expect((await cli(['repair', String(id), ...GROUNDS])).code).toBe(0);
    const [done] = await repairsOf(id);
    const size = await logSize();
    const refusal = `记录 ${id} 已于 ${today} 信用修复（程序 #${done}），不能重复修复`;
    // The function itself, handed a disclosure that claims the record is shown and repairable.
    const disclosure = JSON.stringify({
      asOf: today,
      state: 'disclosed',
      label: '公示中',
      repairableFrom: decided,
    });
    await expect(
      runProcedure(fx.warehouse, 'procedure_repair', [id, disclosure, 'x', 'y', 'z']),
    ).rejects.toThrow(refusal);
    // Whoever inserts, even the owner (a superuser: triggers still hold).
    const insert = (disclosed: string) =>
      fx.owner.raw(
        `INSERT INTO procedure_log (kind, record_id, catalog_code, basis, reason, db_user, operator, before, after, hash)
         VALUES ('repair', ?, 'xzcf', 'x', 'y', 'owner', 'z', jsonb_build_object('disclosure', ?::jsonb), '{}', '')`,
        [id, disclosed],
      );
    await expect(insert(disclosure)).rejects.toThrow(refusal);
    await expect(insert('{}')).rejects.toThrow(refusal);
    const cliAgain = await cli(['repair', String(id), ...GROUNDS]);
    expect(cliAgain.code).toBe(2);
    expect(cliAgain.stderr).toContain(refusal);
    expect(await logSize()).toBe(size);
    expect(await repairsOf(id)).toEqual([done]);
    expect((await json(['record', String(id)])).disclosure).toMatchObject({
      state: 'repaired',
      repair: { procedureId: done, on: today },
    });
  });

  it('two repairs of one record at once: one passes, the other waits for it and is refused', async () => {
    const id = await idOf('鲁济市监罚〔2026〕959号');
    const disclosure = JSON.stringify({
      asOf: today,
      state: 'disclosed',
      label: '公示中',
      repairableFrom: decided,
    });
    const attempts = await Promise.allSettled(
      [0, 1].map(() =>
        asOfficer(fx.warehouse, async (trx) => {
          const { rows } = await trx.raw('SELECT procedure_repair(?, ?::jsonb, ?, ?, ?) AS id', [
            id,
            disclosure,
            'x',
            'y',
            'z',
          ]);
          // Hold the transaction a moment: the other call is waiting for the record's lock meanwhile.
          await trx.raw('SELECT pg_sleep(0.3)');
          return rows[0].id;
        }),
      ),
    );
    expect(attempts.filter((one) => one.status === 'fulfilled')).toHaveLength(1);
    const refused = attempts.find((one) => one.status === 'rejected') as PromiseRejectedResult;
    expect(String(refused.reason)).toContain('不能重复修复');
    expect(await repairsOf(id)).toHaveLength(1);
  });
});
