import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as versionRead from '../migrations/040-procedures-on-the-version-read.ts';
import { formatRecordView } from '../src/cli/commands/record-command.ts';
import { syncCatalogEntries } from '../src/cli/sync-catalog-entries.ts';
import { correctRecord, type Grounds } from '../src/procedures/legal-procedures.ts';
import { ProcedureRefused } from '../src/procedures/run-procedure.ts';
import { findRecords, recordHistory } from '../src/records/record-history.ts';
import { recordView } from '../src/records/record-view.ts';
import type { Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { asOfficer } from '../src/warehouse/objection-log-repository.ts';
import { procedureEntries } from '../src/warehouse/procedure-log-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { startCli } from './support/run-cli.ts';
import { until } from './support/until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const DECISION = '行政处罚决定书文号';
const CONTENT = '处罚内容';
const FACTS = '违法事实';
const DECIDED = '处罚决定日期';
const STALE = /记录 \d+ 在读取之后已被更改.*未办理.*changed after it was read/;
const grounds = (who: string): Grounds => ({
  basis: `鲁信用办函〔2026〕4${who.length}号`,
  reason: `${who}：提供单位书面确认原数据有误`,
  operator: who,
});
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);

/**
 * `procedure correct` / `reattribute` (and `objection close|outcome --set`) build the new row from the version
 * they read and call the database function in a transaction of their own. Migration 040: the function refuses a
 * row built on a version that is no longer current, and checks and logs what 012 took on trust.
 */
describe('legal procedures write only on the version they read (040)', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 4040);
  const decision = (i: number) => `鲁济市监罚〔2026〕40${i}号`;
  const row = (i: number, changes: Partial<PenaltyRow> = {}) =>
    edit(rows[i] as PenaltyRow, { [DECISION]: decision(i), ...changes });
  const idOf = async (i: number) => {
    const [found] = await findRecords(fx.warehouse, decision(i));
    return found!.id;
  };
  const current = async (id: number) =>
    (
      await fx.warehouse.raw(
        `SELECT v.id, v.version_no, v.data, v.procedure_id FROM records r
       JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
        [id],
      )
    ).rows[0] as {
      id: number;
      version_no: number;
      data: Record<string, string>;
      procedure_id: number | null;
    };

  /**
   * Holds record `id` locked (FOR UPDATE, as the owner) until `release` is called: whatever then writes it waits,
   * in the order it came, after reading what was committed before.
   */
  const holdRecord = async (id: number) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held!: (pid: number) => void;
    const holding = new Promise<number>((resolve) => {
      held = resolve;
    });
    const done = fx.owner.transaction(async (trx) => {
      const { rows: locked } = await trx.raw<{ rows: { pid: number }[] }>(
        'SELECT pg_backend_pid() AS pid FROM records WHERE id = ? FOR UPDATE',
        [id],
      );
      held(locked[0]!.pid);
      await released;
    });
    const pid = await holding;
    return {
      /** Waits until `count` sessions wait for the lock (or for a session waiting for it), `like` one of them. */
      waiting: (count: number, like = '%') =>
        until(
          `${count} sessions waiting on record ${id}`,
          async () => {
            const { rows: blocked } = await fx.owner.raw<{ rows: { n: number; like: number }[] }>(
              `SELECT count(*)::int AS n, count(*) FILTER (WHERE query LIKE ?)::int AS like FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> ? AND cardinality(pg_blocking_pids(pid)) > 0`,
              [like, pid],
            );
            return blocked[0]!.n >= count && blocked[0]!.like > 0 ? true : undefined;
          },
          { everyMs: 50 },
        ),
      release: async () => {
        release();
        await done;
      },
    };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('procedures_version_read');
    const first = await fx.ingest(
      [
        writeRows(
          fx.scratch,
          'd1.csv',
          [0, 1, 2, 3, 4].map((i) => row(i)),
        ),
      ],
      { receivedAt: at('2026-11-02') },
    );
    expect(first.counts).toMatchObject({ inserted: 5 });
  }, 120_000);
  afterAll(async () => fx?.close());

  it('a catalog version the warehouse never recorded is refused, even with every other argument right', async () => {
    const id = await idOf(3);
    const call = (version: string) =>
      asOfficer(fx.warehouse, (trx) =>
        trx.raw(
          `SELECT procedure_correct(r.id, r.current_version_id, jsonb_set(v.data, '{BZ}', '"直接调用"'),
                  md5(v.content_hash), ${version}, v.formation_date, r.business_key, r.subject_code,
                  '伪', '直接调用', 'x') AS id
           FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
          [id],
        ),
      );
    const refused = /目录 xzcf 没有版本 v99.*catalog entry xzcf version 99 is not recorded in the warehouse/;
    // Loaded without the CLI, nothing synced yet (as 036: then only the version the record has may be kept).
    expect(await fx.warehouse('catalog_entries').count({ n: '*' })).toEqual([{ n: 0 }]);
    await expect(call('99')).rejects.toThrow(refused);
    await expect(call('NULL')).rejects.toThrow(/目录 xzcf 没有版本 v—/);
    // As every command leaves it: catalog/ recorded.
    await syncCatalogEntries(fx.warehouse, fx.catalog.entries);
    await expect(call('99')).rejects.toThrow(refused);
    expect((await current(id)).version_no).toBe(1);
    expect(await procedureEntries(fx.warehouse, { recordId: id })).toEqual([]);
  });

  it('two officers correcting one record at once: the second is refused, not written over the first', async () => {
    const id = await idOf(0);
    const read = await current(id);
    const lock = await holdRecord(id);
    // Both read version 1 and build their rows on it; both then wait for the record's lock.
    const a = correctRecord(fx.warehouse, fx.catalog, id, [`${CONTENT}=罚款人民币甲元`], grounds('甲科员'));
    const b = correctRecord(fx.warehouse, fx.catalog, id, [`${FACTS}=乙核实的违法事实`], grounds('乙科员乙'));
    const settled = Promise.allSettled([a, b]);
    await lock.waiting(2, '%procedure_correct%');
    await lock.release();
    const [doneA, doneB] = await settled;
    const outcomes = [doneA.status, doneB.status].sort();
    expect(outcomes).toEqual(['fulfilled', 'rejected']);
    const refused = (doneA.status === 'rejected' ? doneA : doneB) as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ProcedureRefused);
    expect(refused.reason.message).toMatch(STALE);
    expect(refused.reason.message).toContain('依据版本 v1，当前版本已是 v2');
    // The first officer's correction stands as written; the second is not logged, nothing of it stored.
    const now = await current(id);
    expect(now.version_no).toBe(2);
    const winner = doneA.status === 'fulfilled' ? 'a' : 'b';
    expect([now.data.CF_NR, now.data.CF_SY]).toEqual(
      winner === 'a' ? ['罚款人民币甲元', read.data.CF_SY] : [read.data.CF_NR, '乙核实的违法事实'],
    );
    expect((await procedureEntries(fx.warehouse, { recordId: id })).map((entry) => entry.operator)).toEqual([
      winner === 'a' ? '甲科员' : '乙科员乙',
    ]);
  }, 60_000);

  it('a delivery that updates the record while a correction waits: the correction is refused (exit 2), the delivery stands', async () => {
    const id = await idOf(1);
    const lock = await holdRecord(id);
    // The province's update of the record is first to wait; the officer reads the record, then waits behind it.
    const delivery = fx.ingest(
      [writeRows(fx.scratch, 'd2.csv', [row(1, { [CONTENT]: '罚款人民币省级更新元' })])],
      {
        receivedAt: at('2026-11-09'),
      },
    );
    await lock.waiting(1);
    const officer = startCli(
      [
        'procedure',
        'correct',
        String(id),
        '--set',
        '备注=经核实补充备注',
        '--basis',
        '鲁信用办函〔2026〕49号',
        '--reason',
        '补充备注',
        '--operator',
        '丙科员',
      ],
      { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') },
    );
    await lock.waiting(2, '%procedure_correct%');
    await lock.release();
    expect((await delivery).counts).toMatchObject({ updated: 1 });
    const refused = await officer.result;
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('procedure refused, nothing changed');
    expect(refused.stderr).toMatch(STALE);
    expect(refused.stderr).toContain('依据版本 v1，当前版本已是 v2');
    const now = await current(id);
    expect([now.version_no, now.procedure_id, now.data.CF_NR, now.data.BZ ?? null]).toEqual([
      2,
      null,
      '罚款人民币省级更新元',
      null,
    ]);
    expect(await procedureEntries(fx.warehouse, { recordId: id })).toEqual([]);
  }, 120_000);

  it('the functions refuse a row built on another version, and 012 signatures (without it) are gone', async () => {
    const id = await idOf(2);
    const direct = (fn: string, basedOn: string) =>
      asOfficer(fx.warehouse, (trx) =>
        trx.raw(
          `SELECT ${fn}(r.id, ${basedOn}, jsonb_set(v.data, '{BZ}', '"直接调用"'), md5(v.content_hash),
                  v.catalog_version, v.formation_date, r.business_key || 'x', 'X' || r.subject_code, '伪', '直接调用', 'x')
           FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
          [id],
        ),
      );
    for (const fn of ['procedure_correct', 'procedure_reattribute']) {
      await expect(direct(fn, 'NULL')).rejects.toThrow(/在读取之后已被更改.*依据版本 #—/);
      await expect(
        direct(fn, '(SELECT max(id) FROM record_versions WHERE record_id <> r.id)'),
      ).rejects.toThrow(STALE);
    }
    const { rows: signatures } = await fx.owner.raw<{ rows: { signature: string | null }[] }>(
      `SELECT to_regprocedure(s)::text AS signature FROM unnest(?::text[]) AS s`,
      [
        [
          'procedure_correct(bigint, jsonb, text, integer, date, text, text, text, text, text)',
          'procedure_reattribute(bigint, jsonb, text, integer, date, text, text, text, text, text)',
        ],
      ],
    );
    expect(signatures).toEqual([{ signature: null }, { signature: null }]);
    expect((await current(id)).version_no).toBe(1);
  });

  it('the log shows what a correction did to the formation date (and says the catalog version on both sides)', async () => {
    const id = await idOf(4);
    const read = await current(id);
    const formedOn = read.data.CF_JDRQ!;
    const dayBefore = new Date(Date.parse(`${formedOn}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const done = await correctRecord(
      fx.warehouse,
      fx.catalog,
      id,
      [`${DECIDED}=${dayBefore}`],
      grounds('丁'),
    );
    const [entry] = await procedureEntries(fx.warehouse, { recordId: id });
    const { rows: stored } = await fx.warehouse.raw<{ rows: { catalog_version: number }[] }>(
      'SELECT catalog_version FROM record_versions WHERE record_id = ? ORDER BY version_no',
      [id],
    );
    expect(entry).toMatchObject({
      id: done.procedureId,
      before: { formation_date: formedOn, catalog_version: stored[0]!.catalog_version },
      after: { formation_date: dayBefore, catalog_version: stored[1]!.catalog_version },
    });
    const text = formatRecordView(
      recordView((await recordHistory(fx.warehouse, id))!, fx.catalog.resolve('xzcf', '2026-11-27')),
      undefined,
    );
    expect(text).toContain(`formation date ${formedOn} → ${dayBefore}`);
  });

  it('`down` restores 012 functions (and their grants), `up` the checked ones again', async () => {
    const executable = async (warehouse: Warehouse) => {
      const { rows: found } = await warehouse.raw<{
        rows: { fn: string; owner: string; officer: boolean; loader: boolean }[];
      }>(
        `SELECT p.oid::regprocedure::text AS fn, pg_get_userbyid(p.proowner) AS owner,
                has_function_privilege('credit_etl_officer', p.oid, 'EXECUTE') AS officer,
                has_function_privilege('credit_etl_loader', p.oid, 'EXECUTE') AS loader
         FROM pg_proc p WHERE p.proname IN ('procedure_correct', 'procedure_reattribute')
           AND p.pronamespace = current_schema()::regnamespace ORDER BY 1`,
      );
      return found;
    };
    const checked = await executable(fx.owner);
    await fx.owner.transaction((trx) => versionRead.down(trx));
    const restored = await executable(fx.owner);
    expect(restored).toEqual([
      {
        fn: 'procedure_correct(bigint,jsonb,text,integer,date,text,text,text,text,text)',
        owner: 'credit_etl_procedure',
        officer: true,
        loader: false,
      },
      {
        fn: 'procedure_reattribute(bigint,jsonb,text,integer,date,text,text,text,text,text)',
        owner: 'credit_etl_procedure',
        officer: true,
        loader: false,
      },
    ]);
    await fx.owner.transaction((trx) => versionRead.up(trx));
    expect(await executable(fx.owner)).toEqual(checked);
    expect(checked.map(({ fn, officer, loader }) => [fn.split('(')[0], officer, loader])).toEqual([
      ['procedure_correct', true, false],
      ['procedure_reattribute', true, false],
    ]);
    // And a correction goes through after the round trip.
    const id = await idOf(2);
    await correctRecord(fx.warehouse, fx.catalog, id, ['备注=往返之后'], grounds('戊'));
    expect((await current(id)).data.BZ).toBe('往返之后');
  });
});
