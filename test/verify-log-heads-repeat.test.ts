import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { correctRecord, type Grounds, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import type { VerifySummary } from '../src/verify/verify-warehouse.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { asOfficer, insertObjection } from '../src/warehouse/objection-log-repository.ts';
import { procedureLogPayload } from '../src/warehouse/procedure-log-chain.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review findings: (1) verify reported a procedure_log entry cut back, or entries deleted before the head, once:
 * each run recorded the log as it found it, and the next compared with that alone, so the next run was clean. It
 * now compares with every head any earlier run saw: the finding repeats until the entries are put back, and an
 * honest log, which only grows, passes. (2) verify printed a finding's business key with the stored U+001F
 * separators; it shows it as `record` does, parts joined by `|`, an ID part masked and a USCC not.
 */
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕41号',
  reason: '提供单位书面确认重复归集',
  operator: '张科员',
};

async function setUp(label: string, rows = 4): Promise<{ fx: WarehouseFixture; records: number[] }> {
  const fx = await openWarehouseFixture(label);
  await fx.ingest([writeRows(fx.scratch, 'v1.csv', basePenalties(rows, 2201))], {
    receivedAt: at('2026-11-02'),
  });
  return { fx, records: (await fx.warehouse('records').orderBy('id').pluck('id')) as number[] };
}

/** `credit-etl verify` as the nightly job runs it: its exit code and the lines naming what it found. */
async function cliVerify(fx: WarehouseFixture, ...args: string[]) {
  const result = await runCli(['verify', ...args], {
    DATABASE_URL: fx.url,
    CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
  });
  const found = result.stdout.split('\n').filter((line) => line.startsWith('✗ '));
  return { ...result, found };
}

/** Behind the engine: a superuser's transaction with every trigger off. */
const asSuperuser = (fx: WarehouseFixture, statements: [string, unknown[]?][]) =>
  fx.owner.transaction(async (trx) => {
    await trx.raw('SET LOCAL session_replication_role = replica');
    for (const [sql, params] of statements) await trx.raw(sql, (params ?? []) as never);
  });

describe('verify names a procedure entry cut back on every run until it is put back', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('log_heads_cut_repeat'));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('log-cut-back on two runs in a row and after the log grew again; clean once the entry is back', async () => {
    const [a, b, c, d] = records as [number, number, number, number];
    const logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    await correctRecord(fx.warehouse, fx.catalog, a, ['备注=更正'], GROUNDS);
    const withdrawn = await withdrawRecord(fx.warehouse, b, GROUNDS);
    const seen = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect([seen.status, seen.counts.logHeads?.procedure_log?.id]).toEqual([
      'completed',
      withdrawn.procedureId,
    ]);

    // The withdrawal's entry deleted (a backup of it kept), the record put back: the chain that is left checks.
    await fx.owner.raw('CREATE TABLE procedure_log_backup AS SELECT * FROM procedure_log WHERE id = ?', [
      withdrawn.procedureId,
    ]);
    await asSuperuser(fx, [
      ['DELETE FROM procedure_log WHERE id = ?', [withdrawn.procedureId]],
      [`UPDATE records SET status = 'current', status_procedure_id = NULL WHERE id = ?`, [b]],
    ]);
    const named = `✗ record ${b} (xzcf): log-cut-back: procedure_log entry #${withdrawn.procedureId} (hash`;
    for (const run of [1, 2]) {
      const cut = await cliVerify(fx);
      expect(cut.code, `run ${run}: ${cut.stderr}`).toBe(4);
      expect(cut.found, `run ${run}`).toEqual([expect.stringContaining(named)]);
      expect(cut.found[0]).toContain(`the newest verify run ${seen.runId} saw of 2, is gone`);
    }

    // Dealt with: the entry put back from the backup as it was, and the record's state the log says.
    await asSuperuser(fx, [
      ['INSERT INTO procedure_log SELECT * FROM procedure_log_backup'],
      [
        `UPDATE records SET status = 'withdrawn', status_procedure_id = ? WHERE id = ?`,
        [withdrawn.procedureId, b],
      ],
    ]);
    expect((await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger)).status).toBe('completed');

    // Cut back again, then the log grows honestly past the cut: the entry the runs saw is still asked for.
    const again = await withdrawRecord(fx.warehouse, c, GROUNDS);
    expect((await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger)).status).toBe('completed');
    await asSuperuser(fx, [
      ['DELETE FROM procedure_log WHERE id = ?', [again.procedureId]],
      [`UPDATE records SET status = 'current', status_procedure_id = NULL WHERE id = ?`, [c]],
    ]);
    const cut = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    await withdrawRecord(fx.warehouse, d, GROUNDS);
    for (const summary of [cut, await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger)]) {
      expect(summary.records.map((finding) => [finding.problem, finding.recordId])).toEqual([
        ['log-cut-back', c],
      ]);
      expect(summary.records[0]!.detail).toContain(`procedure_log entry #${again.procedureId} `);
    }
    await logger.close();
  }, 180_000);
});

describe('verify names entries deleted before the head on every run, though the chain was relinked', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('log_heads_deleted_repeat'));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('log-entries-deleted on two runs in a row, exit 4 both times', async () => {
    const [a, b, c] = records as [number, number, number];
    const first = await correctRecord(fx.warehouse, fx.catalog, a, ['备注=更正'], GROUNDS);
    const deleted = await withdrawRecord(fx.warehouse, b, GROUNDS);
    const head = await withdrawRecord(fx.warehouse, c, GROUNDS);
    const clean = await cliVerify(fx);
    expect([clean.code, clean.found]).toEqual([0, []]);
    const seenRun = Number(/verify run (\d+): clean/.exec(clean.stdout)?.[1]);

    // The earlier withdrawal deleted, its record put back, the head relinked to the entry before it and its hash
    // recomputed: the chain checks, and the head the last run saw is still there.
    const { rows } = await fx.owner.raw(
      `SELECT id, to_char(performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS performed_at_utc,
              kind, record_id, other_record_id, catalog_code, basis, reason, db_user, operator,
              before::text AS before_text, after::text AS after_text
       FROM procedure_log WHERE id = ?`,
      [head.procedureId],
    );
    const prev = (await fx.owner('procedure_log').where({ id: first.procedureId }).first('hash'))
      .hash as string;
    const hash = createHash('sha256')
      .update(procedureLogPayload({ ...rows[0], prev_hash: prev }), 'utf8')
      .digest('hex');
    await asSuperuser(fx, [
      ['DELETE FROM procedure_log WHERE id = ?', [deleted.procedureId]],
      [`UPDATE records SET status = 'current', status_procedure_id = NULL WHERE id = ?`, [b]],
      ['UPDATE procedure_log SET prev_hash = ?, hash = ? WHERE id = ?', [prev, hash, head.procedureId]],
    ]);
    for (const run of [1, 2]) {
      const cut = await cliVerify(fx);
      expect(cut.code, `run ${run}: ${cut.stderr}`).toBe(4);
      // Relinked, the head holds another hash than the run saw: that is named as well.
      expect(cut.found, `run ${run}`).toEqual([
        expect.stringContaining(
          `log-head-rewritten: procedure_log entry #${head.procedureId}, the newest verify run ${seenRun} saw, had hash`,
        ),
        expect.stringContaining(
          `log-entries-deleted: procedure_log holds 2 entries up to #${head.procedureId}, the newest verify run ${seenRun} saw, which counted 3: 1 deleted`,
        ),
      ]);
    }
  }, 180_000);
});

describe('verify names the newest entry rewritten with its hash recomputed, on every run', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('log_heads_rewritten', 2));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('log-head-rewritten on two runs in a row, exit 4 both times; the chain alone cannot see it', async () => {
    const [a] = records as [number];
    const head = await withdrawRecord(fx.warehouse, a, GROUNDS);
    const clean = await cliVerify(fx);
    expect([clean.code, clean.found]).toEqual([0, []]);
    const seenRun = Number(/verify run (\d+): clean/.exec(clean.stdout)?.[1]);

    // Its reason rewritten and its hash recomputed over the new content: every link of the chain still checks.
    const { rows } = await fx.owner.raw(
      `SELECT id, to_char(performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS performed_at_utc,
              kind, record_id, other_record_id, catalog_code, basis, reason, db_user, operator, prev_hash,
              before::text AS before_text, after::text AS after_text
       FROM procedure_log WHERE id = ?`,
      [head.procedureId],
    );
    const rewritten = { ...rows[0], reason: '另一理由' };
    const hash = createHash('sha256').update(procedureLogPayload(rewritten), 'utf8').digest('hex');
    await asSuperuser(fx, [
      ['UPDATE procedure_log SET reason = ?, hash = ? WHERE id = ?', ['另一理由', hash, head.procedureId]],
    ]);
    for (const run of [1, 2]) {
      const found = await cliVerify(fx);
      expect(found.code, `run ${run}: ${found.stderr}`).toBe(4);
      expect(found.found, `run ${run}`).toEqual([
        expect.stringContaining(
          `log-head-rewritten: procedure_log entry #${head.procedureId}, the newest verify run ${seenRun} saw, had hash`,
        ),
      ]);
    }
  }, 180_000);
});

describe('an honest history passes: the logs only grow between runs', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('log_heads_honest', 5));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('is clean on every run, the heads recorded moving on as entries are appended', async () => {
    const [a, b, c, d, e] = records as [number, number, number, number, number];
    const logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    const verify = async (): Promise<VerifySummary> => {
      const summary = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
      expect(summary.records).toEqual([]);
      expect(summary.status).toBe('completed');
      return summary;
    };
    expect((await verify()).counts.logHeads).toEqual({});
    const first = await correctRecord(fx.warehouse, fx.catalog, a, ['备注=更正'], GROUNDS);
    expect((await verify()).counts.logHeads?.procedure_log).toMatchObject({
      id: first.procedureId,
      entries: 1,
    });
    await verify();
    await withdrawRecord(fx.warehouse, b, GROUNDS);
    await correctRecord(fx.warehouse, fx.catalog, c, ['备注=再更正'], GROUNDS);
    await asOfficer(fx.warehouse, (trx) =>
      insertObjection(trx, {
        recordId: d,
        applicant: '济南示例有限公司',
        reason: '处罚已撤销',
        receivedOn: '2026-11-02',
        dueOn: '2026-11-05',
        channel: 'platform',
        operator: '张科员',
      }),
    );
    const last = await withdrawRecord(fx.warehouse, e, GROUNDS);
    const grown = await verify();
    expect(grown.counts.logHeads?.procedure_log).toMatchObject({ id: last.procedureId, entries: 4 });
    expect(grown.counts.logHeads?.objection_log).toMatchObject({ entries: 1 });
    await verify();
    expect((await cliVerify(fx)).code).toBe(0);
    await logger.close();
  }, 180_000);
});

describe('verify prints a business key as `record` shows it', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('verify_shown_key', 8));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('parts joined by |, never U+001F; a resident ID part masked, a USCC shown', async () => {
    const rows = basePenalties(8, 2201);
    const [company, person] = [rows[6]!, rows[7]!];
    const keyOf = async (id: number) =>
      (await fx.warehouse('records').where({ id }).first('business_key')).business_key as string;
    const byDecision = async (decision: string) => {
      for (const id of records) if ((await keyOf(id)).includes(decision)) return id;
      throw new Error(`no record of ${decision}`);
    };
    const [companyRecord, personRecord] = [
      await byDecision(company.行政处罚决定书文号!),
      await byDecision(person.行政处罚决定书文号!),
    ];
    expect(person.证件类型).toBe('身份证');
    const id = person.证件号码!;
    // Both keys altered behind the engine: each stored key no longer what its current version gives.
    await asSuperuser(fx, [
      [
        `UPDATE records SET business_key = replace(business_key, '〔2026〕', '〔2025〕') WHERE id IN (?, ?)`,
        [companyRecord, personRecord],
      ],
    ]);
    const out = await cliVerify(fx);
    expect(out.code, out.stderr).toBe(4);
    const decision = (row: typeof person) => row.行政处罚决定书文号!.replace('〔2026〕', '〔2025〕');
    const uscc = company['行政相对人代码_1(统一社会信用代码)']!;
    expect(out.found).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `✗ record ${companyRecord} (xzcf ${company.处罚机关统一社会信用代码}|${decision(company)}|${uscc}|) version 1: key-differs`,
        ),
        expect.stringContaining(
          `✗ record ${personRecord} (xzcf ${person.处罚机关统一社会信用代码}|${decision(person)}||${id.slice(0, 4)}**********${id.slice(-4)}) version 1: key-differs`,
        ),
      ]),
    );
    expect(out.stdout).not.toContain('\u001f');
    expect(out.stdout).not.toContain(id);
    const json = await cliVerify(fx, '--json');
    const summary = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as VerifySummary;
    expect(summary.records.find((finding) => finding.recordId === personRecord)?.businessKey).toBe(
      `${person.处罚机关统一社会信用代码}|${decision(person)}||${id.slice(0, 4)}**********${id.slice(-4)}`,
    );
  }, 180_000);
});
