import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { outcomeSum } from './support/cli-pipeline-fixture.ts';
import { PENALTY_HEADER } from './support/penalty-delivery.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';
const DECIDED = '处罚决定日期';

interface Summary {
  status: string;
  counts: Record<string, number>;
  files: { name: string; status: string; counts: Record<string, number>; fastRows?: number }[];
}
interface Finding {
  problem: string;
  detail: string;
}

/**
 * A row formed after the day the platform received it (处罚决定日期 after a back-dated --received-at, a backfill)
 * is rejected, `date-in-future`, naming the field, the value and that day: it was accepted and counted on time
 * (0 working days) while the check compared with today. A re-delivery's fast path does not take it either, a row
 * stored before the check is named by verify, and a provider's 异议 is not opened before the decision it is about.
 */
describe('a decision date after the day received', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  const env = () => ({
    DATABASE_URL: fx.url,
    CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
  });
  const ingest = async (
    file: string,
    receivedAt: string,
    more: NodeJS.ProcessEnv = {},
    [provider, level] = [PROVINCE, 'province'],
  ) => {
    const result = await runCli(
      [
        'ingest',
        file,
        '--catalog',
        'xzcf',
        '--provider',
        provider,
        '--level',
        level,
        '--received-at',
        receivedAt,
        '--json',
      ],
      { ...env(), ...more },
    );
    return { ...result, summary: JSON.parse(result.stdout) as Summary };
  };
  const verify = async () => {
    const result = await runCli(['verify', '--json'], env());
    return {
      code: result.code,
      stderr: result.stderr,
      findings: (JSON.parse(result.stdout) as { records: Finding[] }).records,
    };
  };
  const rejectionsOf = (file: string) =>
    fx
      .warehouse('rejections as j')
      .join('source_files as f', 'f.id', 'j.source_file_id')
      .where('f.name', file)
      .orderBy('j.row_number')
      .select('j.row_number', 'j.errors');
  const lineageOf = (file: string) =>
    fx
      .warehouse('record_sources as s')
      .join('source_files as f', 'f.id', 's.source_file_id')
      .where('f.name', file)
      .orderBy('s.row_number')
      .select('s.row_number', 's.outcome', 's.late', 's.working_days');

  beforeAll(async () => {
    fx = await openWarehouseFixture('received_before_formation');
  });
  afterAll(async () => fx?.close());

  it('ingest --received-at before 处罚决定日期: the row is rejected naming field, value and the day received', async () => {
    // The reviewer's reproduction: the fixture's header and row 1 (decided 2026-10-12), and its row 2 decided on
    // the day received (on time, 0 working days).
    const text = readFileSync(path.join(PROJECT_ROOT, 'fixtures/xzcf/utf8-bom/input.csv'), 'utf8').replace(
      /^\uFEFF/,
      '',
    );
    const [header = [], first = [], second = []] = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
    const at = header.indexOf(DECIDED);
    expect(first[at]).toBe('2026-10-12');
    const onTheDay = second.map((cell, i) => (i === at ? '2026-10-01' : cell));
    const file = path.join(fx.scratch, 'a.csv');
    writeFileSync(file, toCsv(header, [first, onTheDay]));

    const loaded = await ingest(file, '2026-10-01');
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.summary.counts).toMatchObject({ read: 2, inserted: 1, rejected: 1, late: 0 });
    expect(outcomeSum(loaded.summary.counts)).toBe(loaded.summary.counts.read);
    expect(await rejectionsOf('a.csv')).toEqual([
      {
        row_number: 2,
        errors: [
          {
            field: 'CF_JDRQ',
            code: 'date-in-future',
            value: '2026-10-12',
            message:
              '"处罚决定日期"的值"2026-10-12"晚于平台接收该数据的日期 2026-10-01：决定/形成日期不能晚于报送日期，请核对日期',
          },
        ],
      },
    ]);
    expect(await lineageOf('a.csv')).toEqual([
      { row_number: 3, outcome: 'inserted', late: false, working_days: 0 },
    ]);
    const report = readFileSync(path.join(fx.scratch, 'reports', 'run-1-rejections.csv'), 'utf8');
    expect(report).toContain('a.csv,2,xzcf,CF_JDRQ,处罚决定日期,date-in-future,');
    expect(report).toContain('晚于平台接收该数据的日期 2026-10-01');
    const verified = await verify();
    expect([verified.code, verified.findings], verified.stderr).toEqual([0, []]);
  });

  it('a back-dated re-delivery: the fast path leaves a row formed after that day to the full path, which rejects it', async () => {
    const jinan: [string, string] = ['11370100MB28174284', 'city'];
    const rows = basePenalties(3, 5101).map((row, i) =>
      edit(row, { [DECIDED]: `2026-09-2${7 + i}`, 行政处罚决定书文号: `鲁市监罚〔2026〕51${i}号` }),
    );
    const first = await ingest(writeRows(fx.scratch, 'b1.csv', rows), '2026-10-05', {}, jinan);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.counts).toMatchObject({ read: 3, inserted: 3 });
    // The same rows (other bytes: the ledger takes a file once), received 2026-09-28: the last was decided 09-29.
    const again = writeRows(fx.scratch, 'b2.csv', rows);
    writeFileSync(again, `${readFileSync(again, 'utf8')}\r\n`);
    const second = await ingest(again, '2026-09-28', {}, jinan);
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary.counts).toMatchObject({ read: 3, unchanged: 2, rejected: 1 });
    expect(outcomeSum(second.summary.counts)).toBe(3);
    expect(second.summary.files[0]?.fastRows).toBe(2);
    expect(
      (await rejectionsOf('b2.csv')).map(
        (row: { errors: { code: string; message: string }[] }) => row.errors[0],
      ),
    ).toEqual([
      expect.objectContaining({
        code: 'date-in-future',
        message: expect.stringContaining('的值"2026-09-29"晚于平台接收该数据的日期 2026-09-28'),
      }),
    ]);
  });

  it('verify names a row stored before the check (formed after it was received, counted on time)', async () => {
    const [row] = basePenalties(1, 5201);
    const file = writeRows(fx.scratch, 'c.csv', [
      edit(row as PenaltyRow, { [DECIDED]: '2026-10-12', 行政处罚决定书文号: '鲁市监罚〔2026〕520号' }),
    ]);
    const loaded = await ingest(file, '2026-10-13');
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(await lineageOf('c.csv')).toEqual([
      { row_number: 2, outcome: 'inserted', late: false, working_days: 1 },
    ]);
    // The lineage row as the loader before the check stored one received 2026-10-01: on time, 0 working days
    // (written here behind the engine: a catalog copy without x-notFuture is refused as an edited copy).
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(
        `UPDATE record_sources SET received_at = '2026-10-01T10:00:00+08', late = false, working_days = 0
         WHERE source_file_id = (SELECT id FROM source_files WHERE name = 'c.csv')`,
      );
    });
    const found = await verify();
    expect(found.code, found.stderr).toBe(4);
    // (The rewrite is also the file digest's finding: only the row's timeliness is asked about here.)
    const timeliness = found.findings.filter((finding) => finding.problem === 'timeliness-differs');
    expect(timeliness).toHaveLength(1);
    expect(timeliness[0]?.detail).toMatch(
      /^file \d+ \(c\.csv\) row 2 \(formed 2026-10-12, received 2026-10-01\): stored on time \(0 working days\), but it was formed after the day it was received/,
    );
  });

  it("a provider's 异议 on a record decided after the day received opens no objection, and says so", async () => {
    const STATUS = '当前状态';
    const [row] = basePenalties(1, 5301);
    const decision = edit(row as PenaltyRow, { 行政处罚决定书文号: '鲁市监罚〔2026〕530号' });
    // The province's record, decided 2026-10-12 and received the next day.
    const province = await fx.ingest(
      [writeRows(fx.scratch, 'd1.csv', [edit(decision, { [DECIDED]: '2026-10-12' })])],
      { provider: '113700000000000000', receivedAt: new Date('2026-10-13T10:00:00+08:00') },
    );
    expect(province.counts).toMatchObject({ inserted: 1 });
    // A city's back-dated delivery of the same decision, decided (it says) 09-30, with 当前状态 异议: a conflict row
    // beside the province's version, received 10-01, before the record's decision date.
    const city = await fx.ingest(
      [
        writeRows(
          fx.scratch,
          'd2.csv',
          [edit(decision, { [DECIDED]: '2026-09-30', [STATUS]: '异议' })],
          [...PENALTY_HEADER, STATUS],
        ),
      ],
      {
        provider: '113701000000000000',
        level: 'city',
        receivedAt: new Date('2026-10-01T10:00:00+08:00'),
        withdrawals: { status: { column: STATUS, values: ['1', '撤销'], objection: ['2', '异议'] } },
      },
    );
    expect(city.counts).toMatchObject({ read: 1, conflict: 1 });
    const recordId = Number(
      (await fx.warehouse('records').where('business_key', 'like', '%530%').first('id')).id,
    );
    expect(city.files[0]?.providerObjections).toEqual({
      opened: 0,
      known: 0,
      beforeDecision: [{ recordId, rowNumber: 2, decidedOn: '2026-10-12', receivedOn: '2026-10-01' }],
    });
    expect(await fx.warehouse('objections').where({ record_id: recordId })).toEqual([]);
  });
});
