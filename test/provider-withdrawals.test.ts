import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { keyParts } from '../src/dedupe/business-key.ts';
import { normalizeDocumentNumber } from '../src/normalize/document-number.ts';
import {
  CITY_PROVIDER,
  type CliPipelineFixture,
  dropFolder,
  openCliPipelineFixture,
  outcomeSum,
  withdrawEntries,
} from './support/cli-pipeline-fixture.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import {
  createPenaltyTable,
  openSourceDatabase,
  penaltyColumns,
  SOURCE_KINDS,
  type SourceDatabase,
  type SourceKind,
} from './support/source-database.ts';

const PROVIDER = CITY_PROVIDER;
const NUMBER = PENALTY_HEADER.indexOf('行政处罚决定书文号');
const openCliFixture = openCliPipelineFixture;

describe('当前状态 撤销 in a CSV withdraws the records it names (real CLI, real PostgreSQL)', () => {
  let cx: CliPipelineFixture;
  beforeAll(async () => {
    cx = await openCliFixture('withdraw_csv');
  });
  afterAll(async () => cx?.fx.close());

  const header = [...PENALTY_HEADER, '当前状态'];
  const rows = penaltyRows(6, 'csv');
  let drop: ReturnType<typeof dropFolder>;

  it('rows saying 撤销 withdraw their records through the procedure log; counts add up; verify stays clean', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    drop = dropFolder(fx, 'inbox');
    cx.pipeline('penalties', {
      transport: drop.transport,
      withdrawals: { status: { column: '当前状态', values: ['1', '撤销'], objection: ['2', '异议'] } },
    });
    drop.deliver(
      'first.csv',
      header,
      rows.map((row) => [...row, '0']),
    );
    const first = await cx.runJson('penalties');
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.counts).toMatchObject({ read: 6, inserted: 6, withdrawn: 0 });

    const unknown = penaltyRows(1, 'never-delivered')[0]!;
    drop.deliver('second.csv', header, [
      [...rows[1]!, '1'],
      [...rows[3]!, '撤销'],
      [...rows[4]!, '0'],
      [...unknown, '1'],
    ]);
    const second = await cx.runJson('penalties');
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary.counts).toMatchObject({ read: 4, withdrawn: 2, unchanged: 1, rejected: 1 });
    expect(outcomeSum(second.summary.counts)).toBe(second.summary.counts.read);
    expect(second.summary.errorsByCode).toEqual({ 'withdrawal-unknown-record': 1 });

    const entries = await withdrawEntries(fx);
    expect(entries).toHaveLength(2);
    expect(entries[0]!.basis).toMatch(/文件「second\.csv」.*第 2 行，当前状态=1/);
    expect(entries[1]!.basis).toMatch(/第 3 行，当前状态=撤销/);
    expect(entries[0]!.operator).toBe(`数据提供单位 ${PROVIDER}`);
    const withdrawn = await fx.warehouse('records').where({ status: 'withdrawn' }).orderBy('id');
    expect(withdrawn.map((record) => record.status_procedure_id)).toEqual(entries.map((entry) => entry.id));
    // Every version kept: the withdrawn record still points at the version it had.
    expect(
      await fx.warehouse('record_versions').whereIn(
        'record_id',
        withdrawn.map((r) => r.id),
      ),
    ).toHaveLength(2);

    const record = await cx.cli(['record', String(withdrawn[0]!.id), '--json']);
    expect(record.code, record.stderr).toBe(0);
    const view = JSON.parse(record.stdout);
    expect(view.status).toBe('withdrawn');
    expect(view.retiredBy).toMatchObject({ id: entries[0]!.id, kind: 'withdraw' });
    expect(view.retiredBy.basis).toContain('second.csv');

    const shown = await cx.cli(['runs', 'show', String(second.summary.runId), '--json']);
    expect(JSON.parse(shown.stdout).counts).toMatchObject({ read: 4, withdrawn: 2, rejected: 1 });
    const verify = await cx.cli(['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('a repeated withdrawal adds lineage, never a second entry; a data row for a withdrawn key is not applied', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    // The next delivery still carries the withdrawn rows: lineage, never a second procedure.
    drop.deliver('third.csv', header, [
      [...rows[3]!, '撤销'],
      [...rows[1]!, '1'],
    ]);
    const third = await cx.runJson('penalties');
    expect(third.summary.counts).toMatchObject({ read: 2, withdrawn: 2 });
    expect(await withdrawEntries(fx)).toHaveLength(2);
    // A data row for a withdrawn key is not applied: the record stays withdrawn. Nor is it a silent re-delivery of
    // the content it was withdrawn with: a conflict, kept and reported.
    drop.deliver('fourth.csv', header, [[...rows[1]!, '0']]);
    const fourth = await cx.runJson('penalties');
    expect(fourth.summary.counts).toMatchObject({ read: 1, conflict: 1, unchanged: 0 });
    expect(await fx.warehouse('records').where({ status: 'withdrawn' })).toHaveLength(2);
  });

  it('withdrawal and data for one key: loaded when current; for a withdrawn record a conflict, and the message says so', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    const withdrawnKey = rows[1]![NUMBER]!;
    drop.deliver('both-for-one-key.csv', header, [
      [...rows[1]!, '1'],
      [...rows[1]!, '0'],
      [...rows[2]!, '撤销'],
      [...rows[2]!, '0'],
    ]);
    const run = await cx.runJson('penalties');
    expect(run.code, run.stderr).toBe(0);
    expect(run.summary.counts).toMatchObject({
      read: 4,
      rejected: 2,
      conflict: 1,
      unchanged: 1,
      withdrawn: 0,
    });
    expect(outcomeSum(run.summary.counts)).toBe(run.summary.counts.read);
    expect(run.summary.errorsByCode).toEqual({ 'withdrawal-with-data': 2 });
    const rejections = await fx
      .warehouse('rejections')
      .where({ run_id: run.summary.runId })
      .orderBy('row_number');
    const [again, current] = rejections.map((rejection) => rejection.errors[0]);
    // The withdrawn record's data row is not loaded: a conflict, kept for the platform; nothing withdrawn again.
    const [record] = await fx
      .warehouse('records')
      .where('business_key', 'like', `%${normalizeDocumentNumber(withdrawnKey)}%`);
    expect(record!.status).toBe('withdrawn');
    const [lineage] = await fx
      .warehouse('record_sources')
      .where({ run_id: run.summary.runId, record_id: record!.id, row_number: 3 });
    expect(lineage!.outcome).toBe('conflict');
    expect(again).toMatchObject({
      code: 'withdrawal-with-data',
      value: normalizeDocumentNumber(withdrawnKey),
    });
    expect(again.message).toContain('同一批数据第3行');
    expect(again.message).toContain(`该记录（记录 ${record!.id}）此前已撤销`);
    expect(again.message).toContain('已作为冲突数据保留，由平台核查');
    expect(again.message).toContain('撤销未再次办理');
    expect(again.message).not.toContain('已按正常数据入库');
    // A current record: the data row is loaded (here unchanged), the withdrawal is not applied.
    expect(current.message).toContain('同一批数据第5行');
    expect(current.message).toContain('已按正常数据入库，撤销未办理');
    expect(await withdrawEntries(fx)).toHaveLength(2);

    // A record a procedure superseded (filed against the wrong subject): the same, and the message names it.
    const [wrong] = await fx
      .warehouse('records')
      .where('business_key', 'like', `%${normalizeDocumentNumber(rows[4]![NUMBER]!)}%`);
    const moved = await cx.cli([
      ...['procedure', 'reattribute', String(wrong!.id), '--subject', makeUscc('91', '370102', 4_040_001)],
      ...['--basis', '鲁信复〔2026〕2号', '--reason', '主体误录，依法更正', '--json'],
    ]);
    expect(moved.code, moved.stderr).toBe(0);
    drop.deliver('both-for-superseded.csv', header, [
      [...rows[4]!, '0'],
      [...rows[4]!, '1'],
    ]);
    const next = await cx.runJson('penalties');
    expect(next.summary.counts).toMatchObject({ read: 2, rejected: 1, conflict: 1, withdrawn: 0 });
    const [refused] = await fx.warehouse('rejections').where({ run_id: next.summary.runId });
    expect(refused!.row_number).toBe(3);
    const message = refused!.errors[0].message as string;
    expect(message).toContain(`同一批数据第2行`);
    expect(message).toContain(`该记录（记录 ${wrong!.id}）此前已依法定程序被另一记录取代`);
    expect(message).toContain('已作为冲突数据保留，由平台核查');
    expect(message).not.toContain('已按正常数据入库');
    expect(await fx.warehouse('records').where({ id: wrong!.id }).first()).toMatchObject({
      status: 'superseded',
    });
  });

  it('a record a legal procedure corrected is withdrawn by the provider only once it delivered the correction', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    const CONTENT = PENALTY_HEADER.indexOf('处罚内容');
    const key = rows[0]![NUMBER]!;
    const [record] = await fx
      .warehouse('records')
      .where('business_key', 'like', `%${normalizeDocumentNumber(key)}%`);
    const corrected = await cx.cli([
      'procedure',
      'correct',
      String(record!.id),
      '--set',
      '处罚内容=罚款人民币一千元（依法更正）',
      '--basis',
      '鲁信复〔2026〕1号',
      '--reason',
      '异议核实',
      '--json',
    ]);
    expect(corrected.code, corrected.stderr).toBe(0);
    const procedure = JSON.parse(corrected.stdout).id as number;

    drop.deliver('fifth.csv', header, [[...rows[0]!, '1']]);
    const refused = await cx.runJson('penalties');
    expect(refused.summary.counts).toMatchObject({ read: 1, rejected: 1, withdrawn: 0 });
    expect(refused.summary.errorsByCode).toEqual({ 'withdrawal-not-provider-record': 1 });
    const [rejection] = await fx.warehouse('rejections').where({ run_id: refused.summary.runId });
    expect(rejection!.errors[0].message).toContain(`已依法更正（程序 #${procedure}）`);
    expect(rejection!.errors[0].message).not.toContain('不是本单位报送');

    // The provider delivers the corrected content (its own now), then withdraws it.
    const caughtUp = rows[0]!.map((cell, i) => (i === CONTENT ? '罚款人民币一千元（依法更正）' : cell));
    drop.deliver('sixth.csv', header, [[...caughtUp, '0']]);
    expect((await cx.runJson('penalties')).summary.counts).toMatchObject({ read: 1, unchanged: 1 });
    drop.deliver('seventh.csv', header, [[...caughtUp, '1']]);
    expect((await cx.runJson('penalties')).summary.counts).toMatchObject({ read: 1, withdrawn: 1 });
    expect(await fx.warehouse('records').where({ id: record!.id }).first()).toMatchObject({
      status: 'withdrawn',
    });
  });

  it('当前状态 异议: the row is data, and the provider objection it reports marks the record, once', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    drop.deliver('fifth.csv', header, [[...rows[5]!, '2']]);
    const fifth = await cx.runJson('penalties');
    expect(fifth.summary.counts).toMatchObject({ read: 1, unchanged: 1 });
    expect(fifth.summary.files[0].providerObjections).toEqual({ opened: 1, known: 0 });
    const objections = await fx.warehouse('objections').select('record_id', 'channel', 'provider_code');
    const withdrawn = await fx.warehouse('records').where({ status: 'withdrawn' }).pluck('id');
    expect(objections).toHaveLength(1);
    expect(objections[0]).toMatchObject({ channel: 'provider', provider_code: PROVIDER });
    expect(withdrawn).not.toContain(objections[0].record_id);
    drop.deliver('sixth.csv', header, [
      [...rows[5]!, '异议'],
      [...rows[0]!, '0'],
    ]);
    const sixth = await cx.runJson('penalties');
    expect(sixth.summary.files[0].providerObjections).toEqual({ opened: 0, known: 1 });
    expect(await fx.warehouse('objections')).toHaveLength(1);
  });
});

describe('full dumps: missing records are listed, a truncated dump is held back (real CLI)', () => {
  let cx: CliPipelineFixture;
  beforeAll(async () => {
    cx = await openCliFixture('full_dump');
  });
  afterAll(async () => cx?.fx.close());

  it('a dump missing a few keys loads and lists exactly those; one missing more than the share exits 3 with nothing applied', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    const drop = dropFolder(fx, 'dumps');
    cx.pipeline('nightly', { transport: drop.transport, fullDump: { maxMissingShare: 0.25 } });
    const rows = penaltyRows(10, 'dump');
    drop.deliver('dump-1.csv', PENALTY_HEADER, rows);
    const first = await cx.runJson('nightly');
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.files[0].fullDump).toMatchObject({ previousSourceFileId: null, exceeded: false });

    const kept = rows.filter((_, i) => i !== 2 && i !== 6);
    drop.deliver('dump-2.csv', PENALTY_HEADER, kept);
    const second = await cx.runJson('nightly');
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary.counts).toMatchObject({ read: 8, unchanged: 8 });
    expect(second.summary.files[0].fullDump).toMatchObject({
      previousKeys: 10,
      missingOfPrevious: 2,
      missingShare: 0.2,
      exceeded: false,
      missing: 2,
    });
    const report = second.summary.missingReport as string;
    const decisionNumbers = (keys: string[]) =>
      keys.map((key) => key.split('|').find((part) => part.includes('DUMP-'))).sort();
    const expected = [rows[2]![NUMBER]!, rows[6]![NUMBER]!].map(normalizeDocumentNumber).sort();
    const lines = readFileSync(report, 'utf8').trim().split('\r\n').slice(1);
    expect(decisionNumbers(lines.map((line) => line.split(',')[3]!))).toEqual(expected);
    const shown = JSON.parse((await cx.cli(['runs', 'show', String(second.summary.runId), '--json'])).stdout);
    expect(decisionNumbers(shown.missingFromFullDump.map((missing: { key: string }) => missing.key))).toEqual(
      expected,
    );

    // Missing from dump 2 and still missing, and 3 more of dump 2's 8: 3/8 = 37.5% > 25%.
    const versionsBefore = await fx.warehouse('record_sources').count<{ count: string }[]>('* as count');
    drop.deliver('dump-3.csv', PENALTY_HEADER, kept.slice(3));
    const third = await cx.runJson('nightly');
    expect(third.code).toBe(3);
    expect(third.summary.status).toBe('failed-threshold');
    expect(third.summary.files[0]).toMatchObject({
      status: 'failed-threshold',
      error: { code: 'truncated-dump' },
      fullDump: { previousKeys: 8, missingOfPrevious: 3, exceeded: true },
    });
    expect(await fx.warehouse('record_sources').count<{ count: string }[]>('* as count')).toEqual(
      versionsBefore,
    );
    expect(
      await fx.warehouse('full_dump_missing').where({ source_file_id: third.summary.files[0].sourceFileId }),
    ).toEqual([]);
  });
});

describe.each(SOURCE_KINDS)('a 前置库 table in %s with a soft-delete flag (real CLI)', (kind: SourceKind) => {
  let cx: CliPipelineFixture;
  let source: SourceDatabase;
  beforeAll(async () => {
    cx = await openCliFixture(`withdraw_table_${kind}`);
    source = await openSourceDatabase(kind, 'softdel');
  });
  afterAll(async () => {
    await source?.drop();
    await cx?.fx.close();
  });

  it('flagged rows withdraw their records; counts add up; verify is clean; a re-read adds no second entry', {
    timeout: 400_000,
  }, async () => {
    const { fx } = cx;
    await createPenaltyTable(source.db, 'xzcf_out');
    await source.db.schema.alterTable('xzcf_out', (t) => {
      t.string('del_flag', 1).notNullable().defaultTo('0');
    });
    const columns = penaltyColumns();
    let second = 0;
    const at = () => `2026-11-21 09:00:${String(++second).padStart(2, '0')}.000000`;
    const rows = penaltyRows(5, `qzk-${kind}`);
    await source.db('xzcf_out').insert(
      rows.map((row) => ({
        updated_at: at(),
        ...Object.fromEntries(columns.map((column, i) => [column, row[i] ?? ''])),
      })),
    );
    cx.pipeline('exchange', {
      transport: {
        type: 'table',
        urlEnv: 'QZK_URL',
        table: 'xzcf_out',
        columns: {
          ...Object.fromEntries(columns.map((column, i) => [column, PENALTY_HEADER[i]!])),
          del_flag: 'del_flag',
        },
        cursor: { column: 'updated_at', tieBreaker: 'id' },
      },
      withdrawals: { softDelete: { column: 'del_flag', values: ['1'] } },
    });
    const env = { QZK_URL: source.url };
    const first = await cx.runJson('exchange', env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.counts).toMatchObject({ read: 5, inserted: 5 });

    await source.db('xzcf_out').whereIn('id', [2, 4]).update({ del_flag: '1', updated_at: at() });
    const second_ = await cx.runJson('exchange', env);
    expect(second_.code, second_.stderr).toBe(0);
    expect(second_.summary.counts).toMatchObject({ read: 2, withdrawn: 2, rejected: 0 });
    expect(outcomeSum(second_.summary.counts)).toBe(2);
    const entries = await withdrawEntries(fx);
    expect(entries).toHaveLength(2);
    expect(entries.every((entry) => entry.basis.includes('del_flag=1'))).toBe(true);
    const keys = (await fx.warehouse('records').where({ status: 'withdrawn' }).select('business_key')).map(
      (record) => record.business_key as string,
    );
    expect(keys.map((key) => keyParts(key).find((part) => part.includes('QZK-'))).sort()).toEqual(
      [rows[1]![NUMBER]!, rows[3]![NUMBER]!].map(normalizeDocumentNumber).sort(),
    );
    expect((await cx.cli(['verify'])).code).toBe(0);

    // The integrator touches a deleted row again: read again, still withdrawn, no second entry.
    await source.db('xzcf_out').where({ id: 2 }).update({ updated_at: at() });
    const third = await cx.runJson('exchange', env);
    expect(third.summary.counts).toMatchObject({ read: 1, withdrawn: 1 });
    expect(await withdrawEntries(fx)).toHaveLength(2);
  });
});
