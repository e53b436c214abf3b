import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { formatRecordView } from '../src/cli/commands/record-command.ts';
import { formatSubjectArchive } from '../src/cli/commands/subject-command.ts';
import { createLogger } from '../src/log/logger.ts';
import {
  correctRecord,
  type Grounds,
  reattributeRecord,
  withdrawRecord,
} from '../src/procedures/legal-procedures.ts';
import { ProcedureRefused } from '../src/procedures/run-procedure.ts';
import { findRecords, recordHistory } from '../src/records/record-history.ts';
import { recordView } from '../src/records/record-view.ts';
import { subjectArchive } from '../src/records/subject-archive.ts';
import { noticeRows } from '../src/report/notice-rows.ts';
import { createNotice } from '../src/report/notices.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { verifyProcedureLog } from '../src/warehouse/procedure-log-chain.ts';
import { procedureEntries } from '../src/warehouse/procedure-log-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const WRONG = makeUscc('91', '370102', 3_030_001);
const RIGHT = makeUscc('91', '370102', 3_030_002);
const USCC = '行政相对人代码_1(统一社会信用代码)';
const DECISION = '行政处罚决定书文号';
const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕17号',
  reason: '提供单位书面确认原数据有误',
  operator: '张科员',
};
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);

const ids = (records: { id: number }[]) => records.map((record) => record.id);

describe('legal procedures (Art. 17)', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 1715);
  const against = (i: number, code: string, name: string, decision: string) =>
    edit(rows[i] as PenaltyRow, { [USCC]: code, 行政相对人名称: name, [DECISION]: decision });
  const filedWrong = against(0, WRONG, '济南错误示例有限公司', '鲁济市监罚〔2026〕3030号');
  const filedRight = against(0, RIGHT, '济南正确示例有限公司', '鲁济市监罚〔2026〕3030号');
  const toCorrect = against(1, RIGHT, '济南正确示例有限公司', '鲁济市监罚〔2026〕3031号');
  const toWithdraw = against(2, RIGHT, '济南正确示例有限公司', '鲁济市监罚〔2026〕3032号');
  const toReattribute = against(3, WRONG, '济南错误示例有限公司', '鲁济市监罚〔2026〕3033号');
  const cli = (args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  const only = async (decision: string, subject?: string) => {
    const found = (await findRecords(fx.warehouse, decision)).filter(
      (record) => subject === undefined || record.subjectCode === subject,
    );
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  /** The rows of a review notice to the province for one run. */
  const noticeListing = async (runId: number, issuedOn: string) => {
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: '113700000000000000',
      scope: { kind: 'run', runId },
      issuedOn,
    });
    const listed = [];
    for await (const row of noticeRows(fx.warehouse, fx.catalog, notice.id)) listed.push(row);
    return listed;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('legal_procedures');
    await fx.ingest([writeRows(fx.scratch, 'd1.csv', [filedWrong, toCorrect, toWithdraw, toReattribute])], {
      receivedAt: at('2026-11-02'),
    });
    // The provider corrects the subject of 3030号 by delivering it again: a second record, both current.
    await fx.ingest([writeRows(fx.scratch, 'd2.csv', [filedRight])], { receivedAt: at('2026-11-09') });
  });
  afterAll(async () => fx?.close());

  it('鲁…3030号: two current records after a subject correction; `procedure supersede` leaves one', async () => {
    const both = await findRecords(fx.warehouse, '鲁济市监罚〔2026〕3030号');
    expect(both.map((record) => [record.subjectCode, record.status])).toEqual([
      [WRONG, 'current'],
      [RIGHT, 'current'],
    ]);
    const [old, right] = both as [(typeof both)[0], (typeof both)[0]];
    const done = await cli([
      'procedure',
      'supersede',
      String(old.id),
      '--by',
      String(right.id),
      '--basis',
      GROUNDS.basis,
      '--reason',
      '决定书误录为其他企业，已按正确主体重新报送',
      '--operator',
      GROUNDS.operator,
      '--json',
    ]);
    expect(done.stderr).not.toContain('refused');
    expect(done.code).toBe(0);
    const entry = JSON.parse(done.stdout);
    expect(entry).toMatchObject({
      kind: 'supersede',
      recordId: old.id,
      otherRecordId: right.id,
      basis: GROUNDS.basis,
      reason: '决定书误录为其他企业，已按正确主体重新报送',
      operator: GROUNDS.operator,
      dbUser: 'postgres',
      before: { status: 'current', subject_code: WRONG },
      after: { status: 'superseded', superseded_by: right.id, superseded_by_subject_code: RIGHT },
    });
    expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);

    const wrongArchive = await subjectArchive(fx.warehouse, fx.catalog, WRONG);
    expect(
      wrongArchive.groups.flatMap((group) => ids(group.records.map((r) => ({ id: r.recordId })))),
    ).not.toContain(old.id);
    expect(wrongArchive.retired).toMatchObject([
      { recordId: old.id, status: 'superseded', supersededBy: right.id, supersededBySubject: RIGHT },
    ]);
    expect(formatSubjectArchive(wrongArchive)).toContain(`superseded by ${right.id} (subject ${RIGHT})`);
    const rightArchive = await subjectArchive(fx.warehouse, fx.catalog, RIGHT);
    expect(rightArchive.groups[0]?.records.map((record) => record.recordId)).toContain(right.id);

    const shown = await cli(['record', String(old.id)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`SUPERSEDED by record ${right.id}`);
    expect(shown.stdout).toContain(GROUNDS.basis);
    expect(shown.stdout).toMatch(/procedure #\d+ .*superseded by record/);
    const subject = await cli(['subject', WRONG]);
    expect(subject.stdout).toContain('no longer current');
    expect(subject.stdout).toContain(`superseded by ${right.id}`);
  }, 240_000);

  it('correct: a new version written by the procedure, logged with who, when, basis, reason, before and after', async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    const before = Date.now();
    const done = await correctRecord(
      fx.warehouse,
      fx.catalog,
      record.id,
      ['处罚内容=罚款人民币五千元'],
      GROUNDS,
    );
    const history = (await recordHistory(fx.warehouse, record.id))!;
    expect(history.versions.map((v) => [v.versionNo, v.sourceFileId === null, v.procedureId])).toEqual([
      [1, false, null],
      [2, true, done.procedureId],
    ]);
    expect(history.record.currentVersionId).toBe(history.versions[1]!.id);
    expect(history.versions[1]!.data.CF_NR).toBe('罚款人民币五千元');
    const [entry] = await procedureEntries(fx.warehouse, { recordId: record.id });
    expect(entry).toMatchObject({
      id: done.procedureId,
      kind: 'correct',
      basis: GROUNDS.basis,
      reason: GROUNDS.reason,
      operator: GROUNDS.operator,
      dbUser: 'postgres',
      before: { version_no: 1, fields: { CF_NR: toCorrect.处罚内容 } },
      after: { version_no: 2, version_id: history.versions[1]!.id, fields: { CF_NR: '罚款人民币五千元' } },
    });
    expect(entry!.performedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    const view = recordView(history, fx.catalog.resolve('xzcf', '2026-11-27'));
    expect(
      view.history.map((event) => (event.event === 'version' ? `v${event.versionNo}` : event.kind)),
    ).toEqual(['v1', 'correct', 'v2']);
    const text = formatRecordView(view, undefined);
    expect(text).toContain(`written by legal procedure #${done.procedureId}`);
    expect(text).toMatch(new RegExp(`procedure #${done.procedureId}.*v1 → v2, fields CF_NR`));
  });

  it('correct: a correction that fails the catalog is refused with the same Chinese message, nothing written', async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    const logged = (await procedureEntries(fx.warehouse)).length;
    const refused = await correctRecord(
      fx.warehouse,
      fx.catalog,
      record.id,
      ['CF_XDR_SHDM=91370102MA3C0000'],
      GROUNDS,
    ).catch((error) => error);
    expect(refused).toBeInstanceOf(ProcedureRefused);
    expect(refused.message).toContain('未通过目录校验');
    expect(refused.message).toContain('91370102MA3C0000');
    expect((await procedureEntries(fx.warehouse)).length).toBe(logged);
    expect((await recordHistory(fx.warehouse, record.id))!.versions).toHaveLength(2);
  });

  it('correct: a refusal quoting a personal value, or an ID typed into a code column, prints it masked', async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    const refusal = (settings: string[]) =>
      correctRecord(fx.warehouse, fx.catalog, record.id, settings, GROUNDS).then(
        () => expect.unreachable('the correction was refused'),
        (error: ProcedureRefused) => error.message,
      );
    // An ID with a wrong check character, typed spaced, in the company code's column: named masked.
    const inCodeColumn = await refusal(['CF_XDR_SHDM=370102 19800101 1230']);
    expect(inCodeColumn).toContain('3701**********1230');
    expect(inCodeColumn).not.toMatch(/370102 ?19800101/);
    // The legal representative's 证件号码 is personal: masked whole, even when it is no valid ID.
    const personal = await refusal(['CF_FR_ZJHM=370102198013011234']);
    expect(personal).toContain('未通过目录校验');
    expect(personal).toContain('3701**********1234');
    expect(personal).not.toContain('370102198013011234');
  });

  it("correct: the correction stands against the provider's next delivery of the old content, a conflict it is told of", async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    const before = (await recordHistory(fx.warehouse, record.id))!;
    const correction = before.versions.at(-1)!;
    expect(correction.procedureId).not.toBeNull();
    // The province's nightly dump still carries what the procedure corrected (its source was not fixed yet).
    const stale = await fx.ingest([writeRows(fx.scratch, 'd-stale.csv', [toCorrect])], {
      receivedAt: at('2026-11-12'),
    });
    expect(stale.files[0]?.counts).toMatchObject({ conflict: 1, updated: 0, unchanged: 0 });
    const after = (await recordHistory(fx.warehouse, record.id))!;
    expect([after.record.currentVersionId, after.versions.length]).toEqual([
      correction.id,
      before.versions.length,
    ]);
    const view = recordView(after, fx.catalog.resolve('xzcf', '2026-11-27'));
    expect(view.lineage.at(-1)).toMatchObject({
      outcome: 'conflict',
      note: `not applied: the record was corrected by procedure #${correction.procedureId}`,
    });
    expect(view.disagreements).toHaveLength(1);
    const archived = async () =>
      (await subjectArchive(fx.warehouse, fx.catalog, RIGHT)).groups
        .flatMap((group) => group.records)
        .find((r) => r.recordId === record.id)!;
    expect((await archived()).conflictPending).toBe(1);
    // The review notice says why, with the correction's basis, before the field that differs.
    const listed = await noticeListing(stale.runId, '2026-11-13');
    expect(listed.map((row) => [row.kind, row.errors.map((error) => [error.code, error.field])])).toEqual([
      [
        'conflict',
        [
          ['record-corrected', '*'],
          ['conflict', 'CF_NR'],
        ],
      ],
    ]);
    expect(listed[0]?.errors[0]?.message).toContain(`依法定程序更正（依据：${GROUNDS.basis}）`);
    expect(listed[0]?.errors[1]?.message).toContain('现行（依法更正后）数据');
    // Once the province delivers the corrected content, nothing is pending.
    const fixed = await fx.ingest(
      [writeRows(fx.scratch, 'd-fixed.csv', [edit(toCorrect, { 处罚内容: '罚款人民币五千元' })])],
      { receivedAt: at('2026-11-13') },
    );
    expect(fixed.files[0]?.counts).toMatchObject({ unchanged: 1, conflict: 0, updated: 0 });
    expect((await archived()).conflictPending).toBe(0);
  });

  it('the database refuses a delivered version in place of a correction, to every role but the procedure owner', async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    // A newer delivered version (the first one's row again) and the pointer moved to it, in one statement.
    const replace = `WITH v AS (
        INSERT INTO record_versions (record_id, version_no, data, content_hash, catalog_version, formation_date,
                                     source_file_id, row_number, subject_code)
        SELECT o.record_id, cv.version_no + 1, o.data, o.content_hash, o.catalog_version, o.formation_date,
               o.source_file_id, o.row_number, o.subject_code
        FROM records r JOIN record_versions cv ON cv.id = r.current_version_id
        JOIN record_versions o ON o.record_id = r.id AND o.version_no = 1
        WHERE r.id = ? RETURNING id)
      UPDATE records SET current_version_id = (SELECT id FROM v) WHERE id = ?`;
    for (const session of [fx.warehouse, fx.owner])
      await expect(session.raw(replace, [record.id, record.id])).rejects.toThrow(
        /record \d+ was corrected by legal procedure \d+; a delivery \(file \d+\) does not replace it/,
      );
    expect((await only('鲁济市监罚〔2026〕3031号')).currentVersionId).toBe(record.currentVersionId);
  });

  it('a procedure without basis or reason is refused, by the command and by the database', async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    const noBasis = await cli(['procedure', 'withdraw', String(record.id), '--reason', '测试']);
    expect(noBasis.code).toBe(2);
    expect(noBasis.stderr).toContain('--basis');
    const blankReason = await cli([
      'procedure',
      'withdraw',
      String(record.id),
      '--basis',
      'x号',
      '--reason',
      ' ',
    ]);
    expect(blankReason.code).toBe(2);
    expect(blankReason.stderr).toContain('法定程序必须注明理由');
    await expect(
      fx.warehouse.transaction(async (trx) => {
        await trx.raw('SET LOCAL ROLE credit_etl_officer');
        await trx.raw(`SELECT procedure_withdraw(?, '', '理由', '张科员')`, [record.id]);
      }),
    ).rejects.toThrow('法定程序必须注明法律依据');
    expect((await only('鲁济市监罚〔2026〕3031号')).status).toBe('current');
  }, 120_000);

  it('withdraw: no longer current nor listed, kept, and a later delivery does not bring it back', async () => {
    const record = await only('鲁济市监罚〔2026〕3032号');
    const done = await withdrawRecord(fx.warehouse, record.id, GROUNDS);
    const after = await only('鲁济市监罚〔2026〕3032号');
    expect([after.status, after.statusProcedureId, after.currentVersionId]).toEqual([
      'withdrawn',
      done.procedureId,
      record.currentVersionId,
    ]);
    const archive = await subjectArchive(fx.warehouse, fx.catalog, RIGHT);
    expect(archive.groups.flatMap((group) => group.records.map((r) => r.recordId))).not.toContain(record.id);
    expect(archive.retired.map((r) => [r.recordId, r.status, r.basis])).toContainEqual([
      record.id,
      'withdrawn',
      GROUNDS.basis,
    ]);
    // The same row again (a nightly full dump), then changed content: neither resurrects the record, and neither
    // passes for a plain re-delivery: both are conflicts, kept and reported.
    const same = await fx.ingest([writeRows(fx.scratch, 'd3.csv', [toWithdraw])], {
      receivedAt: at('2026-11-16'),
    });
    expect(same.files[0]?.counts).toMatchObject({ conflict: 1, unchanged: 0, merged: 0 });
    const changed = await fx.ingest(
      [writeRows(fx.scratch, 'd4.csv', [edit(toWithdraw, { 备注: '再次报送' })])],
      {
        receivedAt: at('2026-11-17'),
      },
    );
    expect(changed.files[0]?.counts).toMatchObject({ conflict: 1, updated: 0, inserted: 0 });
    const history = (await recordHistory(fx.warehouse, record.id))!;
    expect([history.record.status, history.versions.length]).toEqual(['withdrawn', 1]);
    const view = recordView(history, undefined);
    expect(view.lineage.at(-1)).toMatchObject({
      outcome: 'conflict',
      note: `not applied: the record was withdrawn by procedure #${done.procedureId}`,
    });
    // The provider's review notice says why the row was not applied, before the fields that differ.
    const listed = await noticeListing(changed.runId, '2026-11-18');
    expect(listed.map((row) => [row.kind, row.errors.map((error) => error.code)])).toEqual([
      ['conflict', ['record-withdrawn', 'conflict']],
    ]);
    expect(listed[0]?.errors[0]?.message).toContain(`依法定程序撤销（依据：${GROUNDS.basis}）`);
    const text = formatRecordView(view, undefined);
    expect(text).toContain('WITHDRAWN');
    expect(text).toContain(GROUNDS.basis);
  });

  it('reattribute: a new record for the right subject supersedes the one filed against the wrong company', async () => {
    const record = await only('鲁济市监罚〔2026〕3033号');
    const done = await reattributeRecord(
      fx.warehouse,
      fx.catalog,
      record.id,
      RIGHT,
      ['行政相对人名称=济南正确示例有限公司'],
      GROUNDS,
    );
    const both = await findRecords(fx.warehouse, '鲁济市监罚〔2026〕3033号');
    expect(both.map((r) => [r.id, r.subjectCode, r.status, r.supersededBy])).toEqual([
      [record.id, WRONG, 'superseded', done.newRecordId],
      [done.newRecordId, RIGHT, 'current', null],
    ]);
    const created = (await recordHistory(fx.warehouse, done.newRecordId!))!;
    expect(
      created.versions.map((v) => [v.versionNo, v.procedureId, v.data.CF_XDR_SHDM, v.data.CF_XDR_MC]),
    ).toEqual([[1, done.procedureId, RIGHT, '济南正确示例有限公司']]);
    expect(recordView(created, undefined).replaces).toEqual([record.id]);
    const [entry] = await procedureEntries(fx.warehouse, { recordId: done.newRecordId! });
    expect(entry).toMatchObject({
      kind: 'reattribute',
      recordId: record.id,
      otherRecordId: done.newRecordId,
      before: { subject_code: WRONG, fields: { CF_XDR_SHDM: WRONG } },
      after: { status: 'superseded', superseded_by_subject_code: RIGHT, fields: { CF_XDR_SHDM: RIGHT } },
    });
    const archive = await subjectArchive(fx.warehouse, fx.catalog, RIGHT);
    expect(archive.groups[0]?.records.map((r) => r.recordId)).toContain(done.newRecordId);
  });

  it('`procedure log` lists every procedure, filtered by record, catalog and time, and exports JSON', async () => {
    const all = await cli(['procedure', 'log', '--json']);
    expect(all.code).toBe(0);
    const entries = JSON.parse(all.stdout);
    expect(entries.map((entry: { kind: string }) => entry.kind)).toEqual([
      'supersede',
      'correct',
      'withdraw',
      'reattribute',
    ]);
    for (const [i, entry] of entries.entries())
      expect(entry.prevHash).toBe(i === 0 ? null : entries[i - 1].hash);
    const one = await cli(['procedure', 'log', '--record', '鲁济市监罚〔2026〕3032号']);
    expect(one.stdout).toContain('撤销 withdraw');
    expect(one.stdout).not.toContain('supersede');
    const later = await cli(['procedure', 'log', '--catalog', 'xzcf', '--since', '2099-01-01']);
    expect(later.stdout).toContain('no legal procedures match');
  }, 180_000);

  it('a corrected personal field is masked by its field in the procedure output, `procedure log` and `record`', async () => {
    // A passport number is personal by the field it is in (x-personal): free-text masking alone would not see it.
    const passport = 'E12345678';
    const done = await cli([
      'procedure',
      'correct',
      '鲁济市监罚〔2026〕3031号',
      '--set',
      '法定代表人证件类型=护照号',
      '--set',
      `法定代表人证件号码=${passport}`,
      '--basis',
      GROUNDS.basis,
      '--reason',
      GROUNDS.reason,
      '--json',
    ]);
    expect(done.code, done.stderr).toBe(0);
    const log = await cli(['procedure', 'log', '--record', '鲁济市监罚〔2026〕3031号', '--json']);
    const text = await cli(['procedure', 'log', '--record', '鲁济市监罚〔2026〕3031号']);
    const record = await cli(['record', '鲁济市监罚〔2026〕3031号', '--json']);
    for (const output of [done, log, text, record]) {
      expect(output.code, output.stderr).toBe(0);
      expect(output.stdout + output.stderr).not.toContain(passport);
    }
    const corrected = JSON.parse(log.stdout).at(-1);
    expect(corrected.after.fields.CF_FR_ZJHM).toBe('E1*****78');
    expect(JSON.parse(record.stdout).current.data.CF_FR_ZJHM).toBe('E1*****78');
    // Stored as delivered by the procedure: masking is of output only.
    const stored = await procedureEntries(fx.warehouse, { recordId: corrected.recordId });
    expect(stored.at(-1)!.after.fields?.CF_FR_ZJHM).toBe(passport);
  }, 180_000);

  it('the procedure log refuses UPDATE, DELETE and TRUNCATE: to the loader by privilege, to the owner by trigger', async () => {
    for (const statement of [
      `UPDATE procedure_log SET reason = '改写'`,
      'DELETE FROM procedure_log',
      'TRUNCATE procedure_log',
    ]) {
      await expect(fx.warehouse.raw(statement)).rejects.toThrow('permission denied');
      await expect(fx.owner.raw(statement)).rejects.toThrow('append-only');
    }
    await expect(
      fx.warehouse.raw(`INSERT INTO procedure_log (kind, record_id, catalog_code, basis, reason, db_user, operator, before, after, hash)
        VALUES ('withdraw', 1, 'xzcf', 'x', 'y', 'z', 'w', '{}', '{}', '')`),
    ).rejects.toThrow('permission denied');
  });

  it('only a procedure sets a record state: the loader may not, the owner is stopped by the trigger', async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    await expect(
      fx.warehouse.raw(`UPDATE records SET status = 'withdrawn', status_procedure_id = 1 WHERE id = ?`, [
        record.id,
      ]),
    ).rejects.toThrow('permission denied');
    await expect(
      fx.owner.raw(
        `UPDATE records SET status = 'current', status_procedure_id = NULL WHERE status <> 'current'`,
      ),
    ).rejects.toThrow('only a legal procedure');
    await expect(
      fx.owner.raw(`UPDATE records SET status = 'withdrawn', status_procedure_id = 1 WHERE id = ?`, [
        record.id,
      ]),
    ).rejects.toThrow('only a legal procedure');
  });

  it("the loader role cannot call the procedure functions (EXECUTE is the officer's only)", async () => {
    const record = await only('鲁济市监罚〔2026〕3031号');
    for (const call of [
      `SELECT procedure_withdraw(${record.id}, 'x号', '理由', '某人')`,
      `SELECT procedure_supersede(${record.id}, ${record.id + 1}, 'x号', '理由', '某人')`,
      `SELECT procedure_log_write('withdraw', ${record.id}, NULL, 'xzcf', 'x号', '理由', '某人', '{}', '{}')`,
    ]) {
      await expect(fx.warehouse.raw(call)).rejects.toThrow(/permission denied for function procedure_/);
    }
    expect((await only('鲁济市监罚〔2026〕3031号')).status).toBe('current');
  });
});

describe('verifyProcedureLog (the hook `credit-etl verify` runs)', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(3, 1716);

  beforeAll(async () => {
    fx = await openWarehouseFixture('procedure_log_chain');
    await fx.ingest([writeRows(fx.scratch, 'v1.csv', rows)], { receivedAt: at('2026-11-02') });
  });
  afterAll(async () => fx?.close());

  const asSuperuser = (sql: string, params: unknown[] = []) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: tampering behind the engine
      await trx.raw(sql, params as never);
    });

  it('is clean after normal work, and names each entry and record altered behind the engine', async () => {
    const [a, b, c] = await fx.warehouse('records').orderBy('id').pluck('id');
    await correctRecord(fx.warehouse, fx.catalog, a!, ['备注=更正'], GROUNDS);
    const withdrawn = await withdrawRecord(fx.warehouse, b!, GROUNDS);
    await withdrawRecord(fx.warehouse, c!, GROUNDS);
    expect(await verifyProcedureLog(fx.warehouse)).toEqual([]);
    const logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    const clean = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect([clean.status, clean.records]).toEqual(['completed', []]);

    await asSuperuser(`UPDATE procedure_log SET reason = '事后改写' WHERE id = ?`, [withdrawn.procedureId]);
    await asSuperuser(`UPDATE records SET status = 'current', status_procedure_id = NULL WHERE id = ?`, [c]);
    const findings = await verifyProcedureLog(fx.warehouse);
    expect(findings.map((finding) => [finding.kind, finding.recordId])).toEqual([
      ['procedure-log-altered', b],
      ['procedure-undone', c],
    ]);
    expect(await verifyProcedureLog(fx.warehouse, { catalogCode: 'xzcf' })).toHaveLength(2);
    const altered = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect(altered.status).toBe('failed');
    expect(altered.records.map((finding) => [finding.problem, finding.recordId])).toEqual([
      ['procedure-log-altered', b],
      ['procedure-undone', c],
    ]);
    expect(await verifyProcedureLog(fx.warehouse, { catalogCode: 'xzqz' })).toEqual([]);
  });
});

describe('verify and a log cut back at its end (a chain proves what lies between entries, not the end)', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('procedure_log_heads');
    await fx.ingest([writeRows(fx.scratch, 'v1.csv', basePenalties(2, 1717))], {
      receivedAt: at('2026-11-02'),
    });
  });
  afterAll(async () => fx?.close());

  it('names the record whose newest procedure entry, seen by the last verify, is gone; the log keeps the heads', async () => {
    const [a, b] = await fx.warehouse('records').orderBy('id').pluck('id');
    await correctRecord(fx.warehouse, fx.catalog, a!, ['备注=更正'], GROUNDS);
    const withdrawn = await withdrawRecord(fx.warehouse, b!, GROUNDS);
    const logFile = path.join(fx.scratch, 'verify.log');
    const logger = createLogger({ logFile, console: false });
    const first = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect([first.status, first.records]).toEqual(['completed', []]);
    expect(first.counts.logHeads?.procedure_log).toMatchObject({
      id: withdrawn.procedureId,
      recordId: b,
      entries: 2,
    });
    // A second run that finds the same head is clean too.
    expect((await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger)).status).toBe('completed');

    // The withdrawal's entry deleted with triggers off, and the record put back: the chain that is left checks.
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw('DELETE FROM procedure_log WHERE id = ?', [withdrawn.procedureId]);
      await trx.raw(`UPDATE records SET status = 'current', status_procedure_id = NULL WHERE id = ?`, [b]);
    });
    expect(await verifyProcedureLog(fx.warehouse)).toEqual([]);
    const cut = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect(cut.status).toBe('failed');
    expect(cut.records).toEqual([
      expect.objectContaining({
        recordId: b,
        problem: 'log-cut-back',
        detail: expect.stringContaining(`#${withdrawn.procedureId}`),
      }),
    ]);
    await logger.close();
    expect(readFileSync(logFile, 'utf8')).toMatch(
      new RegExp(`verify: log heads procedure_log #${withdrawn.procedureId} [0-9a-f]{64} \\(2 entries\\)`),
    );
  });
});

describe('who may run a procedure: members of credit_etl_officer', () => {
  let fx: WarehouseFixture;
  const user = `credit_etl_test_clerk_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const cli = (args: string[]) => {
    const url = new URL(fx.url);
    url.username = user;
    url.password = password;
    return runCli(args, {
      DATABASE_URL: url.toString(),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    });
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('procedure_officer');
    await fx.ingest([writeRows(fx.scratch, 'o1.csv', basePenalties(1, 1717))], {
      receivedAt: at('2026-11-02'),
    });
    await fx.owner.raw(`CREATE ROLE ${user} LOGIN PASSWORD '${password}' IN ROLE credit_etl_loader`);
  });
  afterAll(async () => {
    await fx?.owner.raw(`DROP ROLE IF EXISTS ${user}`).catch(() => undefined);
    await fx?.close();
  });

  it('a loader-only user is refused with the GRANT to run; once an officer, its procedure names it', async () => {
    const [id] = await fx.warehouse('records').pluck('id');
    const args = [
      'procedure',
      'withdraw',
      String(id),
      '--basis',
      '鲁信用办函〔2026〕18号',
      '--reason',
      '重复归集',
    ];
    const refused = await cli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`GRANT credit_etl_officer TO "${user}";`);
    expect(await procedureEntries(fx.warehouse)).toEqual([]);
    await fx.owner.raw(`GRANT credit_etl_officer TO ${user}`);
    const done = await cli([...args, '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ kind: 'withdraw', dbUser: user, recordId: id });
  }, 180_000);
});
