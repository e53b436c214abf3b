import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { correctRecord, type Grounds, reattributeRecord } from '../src/procedures/legal-procedures.ts';
import { whileMigrationDown } from './support/migration-source.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { expectVerifiedClean } from './support/verified-clean.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕55号',
  reason: '提供单位书面确认主体有误',
  operator: '张科员',
};
const MIGRATION = '055-subject-stays';
const PLACEHOLDER = '00000000000000000X';
/** 工商注册号 with their check digits, none read as a 15-digit ID: shown whole in every message. */
const FIRST_BUSINESS = '440301103448669';
const OTHER_BUSINESS = '370202600543216';
const LATER_BUSINESS = '370302600777775';

/** A generated legal person turned into a 个体工商户 behind the placeholder USCC, told by its 工商注册号 (not in the key). */
const soleTrader = (row: PenaltyRow, regNumber: string): PenaltyRow =>
  edit(row, {
    行政相对人类别: '个体工商户',
    '行政相对人代码_1(统一社会信用代码)': PLACEHOLDER,
    '行政相对人代码_2(工商注册号)': regNumber,
    行政相对人名称: '泉城区示例小吃店',
  });

/*
 * 055-subject-stays: a record's subject changes only by a legal procedure. `fx.warehouse` is the engine (SET ROLE
 * credit_etl_loader), `fx.owner` the superuser.
 */
describe("a record's subject stays unless a legal procedure changes it (real PostgreSQL)", {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 5501);
  rows[0] = soleTrader(rows[0]!, FIRST_BUSINESS);
  /** The records of the first delivery, in id order: records[0] is the 个体工商户's. */
  let records: number[];

  beforeAll(async () => {
    fx = await openWarehouseFixture('subject_stays');
    const first = await fx.ingest([writeRows(fx.scratch, 'd1.csv', rows)]);
    expect(first.counts).toMatchObject({ read: 6, inserted: 6 });
    records = await fx.warehouse('records').orderBy('id').pluck('id');
  });
  afterAll(async () => fx?.close());

  const recordOf = (id: number) =>
    fx.owner('records').where({ id }).first('subject_code', 'current_version_id', 'business_key', 'status');
  const refusal = (done: Promise<unknown>) =>
    done.then(
      () => expect.unreachable('the change of subject was refused'),
      (error: { message: string; code?: string }) => ({ message: error.message, code: error.code }),
    );

  /**
   * In `trx`, as the engine does while loading: a newer version of `recordId` from a file being loaded (052), which
   * the record may point at (010); its id.
   */
  const appendVersion = async (trx: Knex.Transaction, recordId: number) => {
    const current = await trx('records as r')
      .join('record_versions as v', 'v.id', 'r.current_version_id')
      .where('r.id', recordId)
      .first('v.version_no', 'v.data', 'v.content_hash', 'v.catalog_version', 'v.formation_date', 'r.level');
    const delivered = await trx('source_files')
      .where({ level: current.level })
      .first('catalog_code', 'provider_code');
    const [run] = await trx('runs').insert({ kind: 'ingest', status: 'running' }).returning('id');
    const [file] = await trx('source_files')
      .insert({
        run_id: run.id,
        name: 'loading.csv',
        catalog_code: delivered.catalog_code,
        provider_code: delivered.provider_code,
        level: current.level,
        received_at: new Date(),
        status: 'loaded',
        started_at: new Date(),
      })
      .returning('id');
    const [version] = await trx('record_versions')
      .insert({
        record_id: recordId,
        version_no: current.version_no + 1,
        data: JSON.stringify({ ...current.data, CF_BZ: '另一主体' }),
        content_hash: `${current.content_hash}x`,
        catalog_version: current.catalog_version,
        formation_date: current.formation_date,
        source_file_id: file.id,
        row_number: 1,
        subject_code: OTHER_BUSINESS,
      })
      .returning('id');
    return { version: Number(version.id), level: String(current.level) };
  };

  /** The engine's UPDATE moving the record to its newer version and, in the same statement, to another subject. */
  const moveWithVersion = (db: Knex, recordId: number) =>
    db.transaction(async (trx) => {
      const { version, level } = await appendVersion(trx, recordId);
      await trx('records')
        .where({ id: recordId })
        .update({ current_version_id: version, level, subject_code: OTHER_BUSINESS });
      const moved = await trx('records').where({ id: recordId }).first('subject_code');
      throw Object.assign(new Error('roll back'), { moved: moved.subject_code });
    });

  const message = (id: number, role: string) =>
    `records: record ${id} stays filed under its subject: only a legal procedure, running as credit_etl_procedure, changes a record's subject, not ${role}`;

  it("refuses the engine's login a new subject, alone or with a move to a newer version, naming the record and neither code", async () => {
    const [record] = records as [number];
    const before = await recordOf(record);
    expect(before.subject_code).toBe(FIRST_BUSINESS);
    // With a version move: records_guard (010/031) let this one through.
    expect(await refusal(moveWithVersion(fx.warehouse, record))).toEqual({
      message: expect.stringContaining(message(record, 'credit_etl_loader')),
      code: '42501',
    });
    // Alone.
    expect(
      await refusal(fx.warehouse('records').where({ id: record }).update({ subject_code: OTHER_BUSINESS })),
    ).toEqual({ message: expect.stringContaining(message(record, 'credit_etl_loader')), code: '42501' });
    // The owner too, while triggers are on.
    const owner = await refusal(moveWithVersion(fx.owner, record));
    expect(owner.message).toContain(`records: record ${record} stays filed under its subject`);
    // A natural person's subject code is a resident ID number: the server's log must not carry it.
    expect(owner.message).not.toContain(OTHER_BUSINESS);
    expect(await recordOf(record)).toEqual(before);
  });

  it("refuses the engine's login a move to a version filed under another subject, the record's subject left as it is", async () => {
    const record = records[4]!;
    const before = await recordOf(record);
    const pointed = fx.warehouse.transaction(async (trx) => {
      const { version, level } = await appendVersion(trx, record);
      await trx('records').where({ id: record }).update({ current_version_id: version, level });
    });
    const refused = await refusal(pointed);
    expect(refused).toEqual({
      message: expect.stringContaining(`records: record ${record} may not show version`),
      code: '42501',
    });
    expect(refused.message).toContain('filed under another subject: only a legal procedure');
    expect(refused.message).not.toContain(OTHER_BUSINESS);
    expect(await recordOf(record)).toEqual(before);
  });

  it('lets the engine load as before: an update moves the record to its new version, the subject stays', async () => {
    const record = records[1]!;
    const before = await recordOf(record);
    const second = await fx.ingest([writeRows(fx.scratch, 'd2.csv', [edit(rows[1]!, { 备注: '第二版' })])]);
    expect(second.counts).toMatchObject({ read: 1, updated: 1 });
    const after = await recordOf(record);
    expect(after.current_version_id).not.toBe(before.current_version_id);
    expect(after.subject_code).toBe(before.subject_code);
  });

  it('lets the legal procedures change a subject: correct of the 工商注册号 (same key), then reattribute', async () => {
    const [record] = records as [number];
    const before = await recordOf(record);
    const done = await correctRecord(
      fx.warehouse,
      fx.catalog,
      record,
      [`CF_XDR_GSZC=${LATER_BUSINESS}`],
      GROUNDS,
    );
    const after = await recordOf(record);
    expect(after).toMatchObject({
      subject_code: LATER_BUSINESS,
      business_key: before.business_key,
      status: 'current',
    });
    expect(
      await fx
        .owner('record_versions')
        .where({ id: after.current_version_id })
        .first('procedure_id', 'subject_code'),
    ).toEqual({ procedure_id: done.procedureId, subject_code: LATER_BUSINESS });
    const entry = await fx
      .owner('procedure_log')
      .where({ id: done.procedureId })
      .first('kind', 'before', 'after');
    expect(entry).toMatchObject({
      kind: 'correct',
      before: { subject_code: FIRST_BUSINESS },
      after: { subject_code: LATER_BUSINESS },
    });

    // reattribute files a new record under the right subject; the old one keeps its subject, superseded.
    const other = records[3]!;
    const otherBefore = await recordOf(other);
    const right = makeUscc('91', '370102', 5_505_501);
    const moved = await reattributeRecord(fx.warehouse, fx.catalog, other, right, [], GROUNDS);
    expect(await recordOf(other)).toMatchObject({
      subject_code: otherBefore.subject_code,
      status: 'superseded',
    });
    expect(await recordOf(moved.newRecordId!)).toMatchObject({ subject_code: right, status: 'current' });

    await expectVerifiedClean(fx);
  });

  it("goes down and up again: without it the engine's move to a newer version takes another subject along", async () => {
    const record = records[2]!;
    const taken = () =>
      moveWithVersion(fx.warehouse, record).catch(
        (error: { moved?: string }) => error.moved === OTHER_BUSINESS,
      );
    expect(await whileMigrationDown(fx.owner, MIGRATION, taken)).toBe(true);
    expect(await taken()).toBe(false);
  });
});
