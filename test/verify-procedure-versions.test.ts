import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { syncCatalogEntries } from '../src/cli/sync-catalog-entries.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { createLogger, type Logger } from '../src/log/logger.ts';
import { correctRecord, type Grounds } from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import { compileEntry } from '../src/run/compiled-entry.ts';
import { storedEntry } from '../src/verify/stored-entry.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { recordCatalogEntry } from '../src/warehouse/catalog-entries-repository.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
  type NewObjection,
} from '../src/warehouse/objection-log-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕31号',
  reason: '提供单位书面确认原数据有误',
  operator: '张科员',
};
const today = todayInShanghai();
const monthsAgo = (months: number) => periodEnd(today, -months);
const USCC = '行政相对人代码_1(统一社会信用代码)';

/**
 * The procedure functions store what their caller hands them: an officer calling `procedure_correct` directly
 * (not through `credit-etl correct`, which validates the row) can store data the catalog refuses, file the record
 * under another subject or formation date than its data gives, or under an entry version the catalog never had.
 * verify checks each current version as a delivery's row would be checked, and names it (exit 4).
 */
describe('verify: a version a procedure function stored with what its data does not give', {
  timeout: 180_000,
}, () => {
  let fx: WarehouseFixture;
  let logger: Logger;
  const rows = basePenalties(8, 4343).filter((row) => row.行政相对人类别 !== '自然人');
  const decision = (i: number) => `鲁济市监罚〔2026〕3${String(i).padStart(2, '0')}号`;
  const penalty = (i: number) =>
    edit(rows[i] as PenaltyRow, {
      [USCC]: makeUscc('91', '370102', 4_343_001 + i),
      行政处罚决定书文号: decision(i),
      处罚类别: '罚款',
      处罚决定日期: monthsAgo(2),
      公示截止期: '',
    });
  const idOf = async (i: number) => {
    const found = await findRecords(fx.warehouse, decision(i));
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };
  const verify = () => verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
  const findingsOf = async (recordId: number) =>
    (await verify()).records
      .filter((finding) => finding.recordId === recordId)
      .map((finding) => [finding.problem, finding.detail]);
  const cli = (args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  const current = async (recordId: number) => {
    const { rows: found } = await fx.warehouse.raw(
      `SELECT v.id AS version_id, v.data, v.catalog_version, to_char(v.formation_date, 'YYYY-MM-DD') AS formation_date, r.subject_code
       FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
      [recordId],
    );
    return found[0] as {
      version_id: number;
      data: Record<string, unknown>;
      catalog_version: number;
      formation_date: string;
      subject_code: string;
    };
  };
  /** procedure_correct called as an officer, with the arguments of the caller's choosing. */
  const correctDirectly = async (
    recordId: number,
    change: {
      data?: Record<string, unknown>;
      catalogVersion?: number;
      formationDate?: string;
      subject?: string;
    },
  ) => {
    const now = await current(recordId);
    // A correction must change the content: by default the remark.
    const data = change.data ?? { ...now.data, BZ: '直接调用' };
    const entry = storedEntry(fx.catalog, 'xzcf', now.catalog_version)!;
    // The true hash and key of the data: only what the change names is wrong.
    const compiled = compileEntry(entry);
    // 040 added the id of the version the row was built on after the record's: the call fits either signature.
    const { rows: signature } = await fx.warehouse.raw(
      `SELECT max(pronargs) AS arguments FROM pg_proc WHERE proname = 'procedure_correct'`,
    );
    const basedOn = Number(signature[0].arguments) === 11 ? [now.version_id] : [];
    await asOfficer(fx.warehouse, (trx) =>
      trx.raw(
        `SELECT procedure_correct(${['?', ...basedOn.map(() => '?')].join(', ')}, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          recordId,
          ...basedOn,
          JSON.stringify(data),
          compiled.contentHash(data as never),
          change.catalogVersion ?? now.catalog_version,
          change.formationDate ?? now.formation_date,
          compiled.businessKey(data as never),
          change.subject ?? now.subject_code,
          GROUNDS.basis,
          '直接调用数据库函数',
          GROUNDS.operator,
        ],
      ),
    );
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_procedure_versions');
    logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    // As every command of the engine does at start: the procedures store only under a recorded entry version (040).
    await syncCatalogEntries(fx.warehouse, fx.catalog.entries);
    const loaded = await fx.ingest([writeRows(fx.scratch, 'd1.csv', [0, 1, 2, 3, 4].map(penalty))]);
    expect(loaded.counts).toMatchObject({ inserted: 5 });
    // A correction through the engine: validated, stored as a delivery's row would be.
    await correctRecord(fx.warehouse, fx.catalog, await idOf(4), ['备注=更正'], GROUNDS);
    const clean = await verify();
    expect([clean.status, clean.records]).toEqual(['completed', []]);
    expect(clean.counts.unchecked).toBeUndefined();
  });
  afterAll(async () => fx?.close());

  it('names data the catalog entry version refuses: a negative fine, a value outside the code list, a date that is none, a field it has not', async () => {
    const id = await idOf(0);
    const { data } = await current(id);
    await correctDirectly(id, {
      data: { ...data, CF_NR_FK: -5, CF_CFLB: '不存在的类别', CF_JDRQ: '2099-13-45', ZZZ: 'extra' },
    });
    const found = await findingsOf(id);
    expect(found.map(([problem]) => problem)).toContain('data-invalid');
    const [, detail] = found.find(([problem]) => problem === 'data-invalid')!;
    const { id: procedure } = await fx
      .warehouse('procedure_log')
      .where({ record_id: id })
      .orderBy('id', 'desc')
      .first('id');
    // Each fault as a delivery's row would be told it, in the provider's words.
    expect(detail).toMatch(
      new RegExp(
        `^its current version, written by procedure #${procedure}, fails xzcf v\\d+, which every delivered row passes: ZZZ: no field of xzcf v\\d+; `,
      ),
    );
    for (const fault of [
      'CF_CFLB: "处罚类别"的值"不存在的类别"不在代码表中',
      'CF_NR_FK: "罚款金额（万元）"的值"-5"不能为负数',
      'CF_JDRQ: "处罚决定日期"的值"2099-13-45"不是有效日期',
    ])
      expect(detail).toContain(fault);
    // Its formation date no longer comes from its data either (the date is none).
    expect(found.map(([problem]) => problem)).toContain('formation-date-differs');
    const out = await cli(['verify']);
    expect(out.code, out.stderr).toBe(4);
    expect(out.stdout).toMatch(new RegExp(`record ${id} \\(xzcf [^)]*\\) version 2: data-invalid: `));
  });

  it("names a version filed under another company's code, or another formation date, than its data gives", async () => {
    const id = await idOf(1);
    const other = await current(await idOf(2));
    const mine = await current(id);
    await correctDirectly(id, {
      data: { ...mine.data, BZ: '直接调用' },
      subject: other.subject_code,
      formationDate: '1999-01-01',
    });
    // The record sits in the other company's archive: its own row and its version agree, so only the data tells.
    expect((await fx.warehouse('records').where({ id }).first('subject_code')).subject_code).toBe(
      other.subject_code,
    );
    const { id: procedure } = await fx
      .warehouse('procedure_log')
      .where({ record_id: id })
      .orderBy('id', 'desc')
      .first('id');
    const found = await findingsOf(id);
    expect(found).toEqual([
      [
        'version-subject-differs',
        `its current version, written by procedure #${procedure}, is filed under subject ${other.subject_code}, its data (xzcf v${mine.catalog_version}) gives ${mine.subject_code}`,
      ],
      [
        'formation-date-differs',
        `its current version, written by procedure #${procedure}, has formation date 1999-01-01, its data (xzcf v${mine.catalog_version}) gives ${mine.formation_date} (处罚决定日期 CF_JDRQ)`,
      ],
    ]);
  });

  it('names a version stored under an entry version the catalog does not hold, instead of leaving it unchecked', async () => {
    const id = await idOf(3);
    // An entry version recorded in the warehouse (the procedure functions check that much since 040), whose file
    // catalog/ does not have.
    const v3 = storedEntry(fx.catalog, 'xzcf', 3)!;
    await recordCatalogEntry(fx.warehouse, {
      code: 'xzcf',
      version: 99,
      title: v3.title,
      effectiveFrom: v3.effectiveFrom,
      contentHash: 'forged-99',
      entry: { ...v3, version: 99 },
    });
    await correctDirectly(id, { catalogVersion: 99 });
    const unknown = (verified: Awaited<ReturnType<typeof verify>>) =>
      verified.records.filter((finding) => finding.recordId === id).map((f) => [f.problem, f.detail]);
    const recorded = await verify();
    expect(recorded.status).toBe('failed');
    expect(recorded.counts.unchecked).toBeUndefined();
    expect(unknown(recorded)).toEqual([
      [
        'catalog-version-unknown',
        'its current version was stored under xzcf v99, which catalog/ does not hold (the warehouse recorded it in catalog_entries): its data cannot be checked',
      ],
    ]);
    // As a warehouse written before 040 can hold it: an entry version nothing ever recorded.
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(`DELETE FROM catalog_entries WHERE code = 'xzcf' AND version = 99`);
    });
    expect(unknown(await verify())).toEqual([
      [
        'catalog-version-unknown',
        'its current version was stored under xzcf v99, which neither catalog/ nor the warehouse (catalog_entries) has: no delivery or procedure of the engine stores under it',
      ],
    ]);
    const out = await cli(['verify']);
    expect(out.code, out.stderr).toBe(4);
    expect(out.stdout).toContain(`record ${id} (xzcf`);
    expect(out.stdout).toContain('catalog-version-unknown');
    expect(out.stdout).not.toContain('not recomputed');
  });

  it('leaves a correction made through the engine alone', async () => {
    expect(await findingsOf(await idOf(4))).toEqual([]);
  });
});

/**
 * An objection deleted as a superuser (triggers off) leaves its steps in the log: verify names each step whose
 * objection is gone, by the record its opening step registered, and the chain past them still checks.
 */
describe('verify: an objection deleted behind the engine', { timeout: 180_000 }, () => {
  let fx: WarehouseFixture;
  let logger: Logger;
  let records: number[] = [];
  const verify = () => verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
  const asSuperuser = (sql: string, params: unknown[] = []) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: behind the engine's back
      await trx.raw(sql, params as never);
    });
  const opening = (recordId: number): NewObjection => ({
    recordId,
    applicant: '济南示例有限公司',
    reason: '处罚已撤销',
    receivedOn: today,
    dueOn: today,
    channel: 'platform',
    operator: '张科员',
  });
  const openAndClose = async (recordId: number) => {
    const objectionId = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(recordId)));
    await asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, objectionId, {
        action: 'close',
        result: 'rejected',
        basis: '鲁信用办函〔2026〕32号',
        operator: '张科员',
      }),
    );
    const steps = await fx
      .warehouse('objection_log')
      .where({ objection_id: objectionId })
      .orderBy('id')
      .pluck('id');
    return { objectionId, steps: steps as number[] };
  };
  const cli = (args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_objection_missing');
    logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    const rows = basePenalties(3, 4344).map((row, i) =>
      edit(row, {
        行政处罚决定书文号: `鲁济市监罚〔2026〕34${i}号`,
        处罚决定日期: monthsAgo(2),
        公示截止期: '',
      }),
    );
    await fx.ingest([writeRows(fx.scratch, 'o1.csv', rows)]);
    records = (await fx.warehouse('records').orderBy('id').pluck('id')) as number[];
  });
  afterAll(async () => fx?.close());

  it('names every step of an objection deleted from the middle of the log; the steps after it still link', async () => {
    const [a, b] = records as [number, number];
    const first = await openAndClose(a);
    await openAndClose(b);
    expect((await verify()).status).toBe('completed');
    await asSuperuser('DELETE FROM objections WHERE id = ?', [first.objectionId]);
    const found = await verify();
    expect(found.status).toBe('failed');
    expect(found.records.map((f) => [f.recordId, f.catalogCode, f.problem, f.detail])).toEqual([
      [
        a,
        'xzcf',
        'objection-missing',
        `objection #${first.objectionId} step #${first.steps[0]} (open): its objection is gone (deleted behind the engine); its opening step registered it on record ${a}`,
      ],
      [
        a,
        'xzcf',
        'objection-missing',
        `objection #${first.objectionId} step #${first.steps[1]} (close): its objection is gone (deleted behind the engine); its opening step registered it on record ${a}`,
      ],
    ]);
    const out = await cli(['verify']);
    expect(out.code, out.stderr).toBe(4);
    expect(out.stdout).toContain(
      `record ${a} (xzcf): objection-missing: objection #${first.objectionId} step`,
    );
  });

  it('keeps the newest step as the log head even when its objection is gone: cutting it back later is named', async () => {
    const [, , c] = records as [number, number, number];
    const last = await openAndClose(c);
    expect((await verify()).records.filter((f) => f.problem !== 'objection-missing')).toEqual([]);
    await asSuperuser('DELETE FROM objections WHERE id = ?', [last.objectionId]);
    const orphaned = await verify();
    expect(orphaned.records.filter((f) => f.recordId === c).map((f) => f.problem)).toEqual([
      'objection-missing',
      'objection-missing',
    ]);
    expect(orphaned.counts.logHeads?.objection_log).toMatchObject({ id: last.steps[1], recordId: c });
    // The evidence removed too: the steps at the end of the log go, the chain before them still checks.
    await asSuperuser('DELETE FROM objection_log WHERE objection_id = ?', [last.objectionId]);
    const cut = await verify();
    expect(cut.records.filter((f) => f.recordId === c).map((f) => [f.problem, f.catalogCode])).toEqual([
      ['log-cut-back', 'xzcf'],
    ]);
  });
});
