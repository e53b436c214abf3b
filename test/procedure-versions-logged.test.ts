import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import {
  correctRecord,
  type Grounds,
  reattributeRecord,
  withdrawRecord,
} from '../src/procedures/legal-procedures.ts';
import { WAREHOUSE_ROLES } from '../src/warehouse/warehouse-roles.ts';
import { whileMigrationDown } from './support/migration-source.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { expectVerifiedClean } from './support/verified-clean.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕54号',
  reason: '提供单位书面确认原数据有误',
  operator: '张科员',
};
const MIGRATION = '054-procedure-versions-logged';

/*
 * 054-procedure-versions-logged: a version naming a legal procedure is written only by that procedure's function,
 * right after its log entry names it. `fx.warehouse` is the engine (SET ROLE credit_etl_loader), `fx.owner` the
 * superuser; "the procedure role" is the owner after SET LOCAL ROLE credit_etl_procedure, as inside the functions.
 */
describe('a version naming a procedure is that procedure’s own (real PostgreSQL)', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  /** Six records of one delivery, in id order. */
  let records: number[];
  /** A real correction of records[1], and a withdrawal of records[5]. */
  let correction: number;
  let withdrawal: number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('procedure_versions_logged');
    await fx.ingest([writeRows(fx.scratch, 'd1.csv', basePenalties(6, 5401))]);
    records = await fx.warehouse('records').orderBy('id').pluck('id');
    correction = (
      await correctRecord(fx.warehouse, fx.catalog, records[1]!, ['处罚内容=罚款人民币五千元'], GROUNDS)
    ).procedureId;
    withdrawal = (await withdrawRecord(fx.warehouse, records[5]!, GROUNDS)).procedureId;
  });
  afterAll(async () => fx?.close());

  /**
   * The review's INSERT: the record's current version again, one field changed, as its next version, claiming
   * procedure `procedureId` (no file, a chain hash the trigger replaces).
   */
  const forge = (db: Knex | Knex.Transaction, recordId: number, procedureId: number) =>
    db.raw(
      `INSERT INTO record_versions (record_id, version_no, data, content_hash, catalog_version, formation_date,
                                    subject_code, chain_hash, procedure_id)
       SELECT v.record_id, v.version_no + 1, v.data || '{"CF_NR_FK": "98"}', v.content_hash, v.catalog_version,
              v.formation_date, v.subject_code, 'x', ?
       FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
      [procedureId, recordId],
    );
  /** The same, as the procedure role (what the functions run as), in a transaction of its own. */
  const forgeAsProcedure = (recordId: number, procedureId: number) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw(`SET LOCAL ROLE ${WAREHOUSE_ROLES.procedure}`);
      await forge(trx, recordId, procedureId);
    });
  const versionsOf = (recordId: number) =>
    fx.owner('record_versions').where({ record_id: recordId }).orderBy('version_no').pluck('version_no');
  const refusal = (done: Promise<unknown>) =>
    done.then(
      () => expect.unreachable('the forged version was refused'),
      (error: { message: string }) => error.message,
    );

  it("refuses the review's version of procedure #999 from the engine's login and from the owner", async () => {
    const [record] = records as [number];
    const loader = await refusal(forge(fx.warehouse, record, 999));
    expect(loader).toContain(
      `记录 ${record} 的版本 v2 声称由法定程序 #999 写入：程序的版本只能由法定程序函数写入（角色 credit_etl_procedure），不能由 credit_etl_loader 写入，未写入`,
    );
    expect(loader).toContain(
      `(record_versions: version 2 of record ${record} claims legal procedure #999: only a legal procedure function, running as credit_etl_procedure, writes a procedure's version, not credit_etl_loader; nothing written)`,
    );
    // The superuser is refused as well, while triggers are on.
    expect(await refusal(forge(fx.owner, record, 999))).toMatch(
      new RegExp(
        `记录 ${record} 的版本 v2 声称由法定程序 #999 写入：程序的版本只能由法定程序函数写入（角色 credit_etl_procedure），不能由 \\S+ 写入，未写入`,
      ),
    );
    expect(await versionsOf(record)).toEqual([1]);
  });

  it('refuses a real procedure of another record, from the loader and from the procedure role', async () => {
    const [record, corrected] = records as [number, number];
    expect(await refusal(forge(fx.warehouse, record, correction))).toContain(
      `记录 ${record} 的版本 v2 声称由法定程序 #${correction} 写入：程序的版本只能由法定程序函数写入`,
    );
    expect(await refusal(forgeAsProcedure(record, correction))).toContain(
      `记录 ${record} 的版本 v2 声称由法定程序 #${correction} 写入，但程序 #${correction} 办理的是记录 ${corrected}，未写入 (record_versions: version 2 of record ${record} claims legal procedure #${correction}, but procedure #${correction} (correct) concerns record ${corrected}; nothing written)`,
    );
    expect(await versionsOf(record)).toEqual([1]);
  });

  it('refuses, even from the procedure role, an entry that is not there, writes no version, or wrote another one', async () => {
    const [record, corrected] = records as [number, number];
    expect(await refusal(forgeAsProcedure(record, 999))).toContain(
      `记录 ${record} 的版本 v2 声称由法定程序 #999 写入，但程序日志中没有程序 #999，未写入 (record_versions: version 2 of record ${record} claims legal procedure #999, but procedure_log has no entry #999; nothing written)`,
    );
    // The withdrawal of records[5] is a procedure of that record, but writes no version.
    expect(await refusal(forgeAsProcedure(records[5]!, withdrawal))).toContain(
      `声称由法定程序 #${withdrawal} 写入，但程序 #${withdrawal} 是撤销（withdraw），不写入版本，未写入`,
    );
    // A second version under the correction that wrote v2 of the same record: the entry names v2's id.
    const written = await fx.owner('record_versions').where({ procedure_id: correction }).first('id');
    expect(await refusal(forgeAsProcedure(corrected, correction))).toContain(
      `记录 ${corrected} 的版本 v3 声称由法定程序 #${correction} 写入，但程序 #${correction} 写入的是另一版本（id ${written!.id}），未写入`,
    );
    expect(await versionsOf(corrected)).toEqual([1, 2]);
  });

  it('leaves the record to its legal procedures: correct writes v2 after a forged v2 was refused, reattribute its record, verify is clean', async () => {
    const record = records[2]!;
    await forge(fx.warehouse, record, 999).catch(() => undefined);
    const done = await correctRecord(fx.warehouse, fx.catalog, record, ['处罚内容=警告'], GROUNDS);
    const versions = await fx
      .owner('record_versions')
      .where({ record_id: record })
      .orderBy('version_no')
      .select('id', 'version_no', 'procedure_id');
    expect(
      versions.map((v: { version_no: number; procedure_id: number | null }) => [
        v.version_no,
        v.procedure_id,
      ]),
    ).toEqual([
      [1, null],
      [2, done.procedureId],
    ]);
    expect(await fx.owner('records').where({ id: record }).first('current_version_id')).toEqual({
      current_version_id: versions[1]!.id,
    });
    const moved = await reattributeRecord(
      fx.warehouse,
      fx.catalog,
      records[3]!,
      makeUscc('91', '370102', 5_405_401),
      [],
      GROUNDS,
    );
    expect(await versionsOf(moved.newRecordId!)).toEqual([1]);
    await expectVerifiedClean(fx);
  });

  it('goes down and up again: without it the forged version is taken', async () => {
    const record = records[4]!;
    /** The forged version is written (then rolled back) by the loader. */
    const taken = () =>
      fx.warehouse
        .transaction(async (trx) => {
          await forge(trx, record, 999);
          const [written] = await trx('record_versions')
            .where({ record_id: record, procedure_id: 999 })
            .pluck('id');
          throw Object.assign(new Error('roll back'), { written });
        })
        .catch((error: { written?: number }) => error.written !== undefined);
    expect(await whileMigrationDown(fx.owner, MIGRATION, taken)).toBe(true);
    expect(await taken()).toBe(false);
    expect(await versionsOf(record)).toEqual([1]);
  });
});
