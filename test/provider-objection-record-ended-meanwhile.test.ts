import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { type CliPipelineFixture, openCliPipelineFixture } from './support/cli-pipeline-fixture.ts';
import { LEGACY_HEADER, statusRow, writeAuthorityLookups } from './support/legacy-status-rows.ts';
import { sheetValues } from './support/sheet-values.ts';
import { until } from './support/until.ts';

/**
 * A provider's row saying 异议 for a record a legal procedure ends while the unit loads (real CLI, real
 * PostgreSQL). The merge read the record current and loaded the row as `unchanged`; the procedure committed before
 * the objection step, which found the record withdrawn, counted the row `known` and opened nothing: the 异议 was
 * dropped with no word to anyone. Now the records the rows saying 异议 name are read under a lock before the merge
 * classifies: the row is a conflict on a withdrawn record, kept and reported in the review notice, exactly as
 * when the record was withdrawn before the run. The timing is held, not hoped for: the procedure runs in a
 * transaction of the test's, left open until the unit waits for it.
 */
const PROVINCE = '11370000MB2852362M';
const BASIS = '鲁信复〔2026〕9号';

describe('a 异议 row for a record a procedure ends while the unit loads', () => {
  let cx: CliPipelineFixture;
  let lookups: string;
  beforeAll(async () => {
    cx = await openCliPipelineFixture('provider_objection_record_ended');
    lookups = writeAuthorityLookups(cx.fx.scratch);
  });
  afterAll(async () => cx?.fx.close());

  const ingest = async (name: string, rows: string[][]) => {
    const file = path.join(cx.fx.scratch, name);
    writeFileSync(file, toCsv(LEGACY_HEADER, rows));
    const result = await cx.cli(
      ['ingest', file, '--catalog', 'xzcf', '--provider', PROVINCE, '--lookups', lookups, '--json'],
      { CREDIT_ETL_FROM_SOURCE: '1' },
    );
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  const recordOf = async (number: number) =>
    cx.fx.warehouse('records').where('business_key', 'like', `%济市监罚〔2026〕${number}号%`).first();
  const withdrawIn = (trx: Knex.Transaction, recordId: number) =>
    trx
      .raw('SET LOCAL ROLE credit_etl_officer')
      .then(() => trx.raw('SELECT procedure_withdraw(?, ?, ?, ?)', [recordId, BASIS, '依法撤销', '张科员']));
  /** What the run's review notice tells the provider about its one row. */
  const noticeText = async (runId: number) => {
    const out = path.join(cx.fx.scratch, `notice-${runId}.xlsx`);
    const issued = await cx.cli([
      ...['report', 'notice', '--provider', PROVINCE, '--run', String(runId), '--out', out],
      ...['--operator', '张科员'],
    ]);
    expect(issued.code, issued.stderr).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    return book.worksheets.flatMap((sheet) => sheetValues(sheet).flat()).filter((v) => typeof v === 'string');
  };
  /** Everything the provider and the platform see of a 异议 row on a withdrawn record. */
  const outcomeOf = async (summary: {
    runId: number;
    counts: object;
    files: { providerObjections?: object }[];
  }) => {
    const lineage = await cx.fx
      .warehouse('record_sources')
      .where({ run_id: summary.runId })
      .select('outcome');
    // A run with nothing to notify is refused a notice: then nothing was said to the provider.
    const conflicts = lineage.some((source) => source.outcome === 'conflict');
    const said = conflicts
      ? (await noticeText(summary.runId)).filter((text) => text.includes('该记录已依法定程序'))
      : [];
    return {
      counts: summary.counts,
      providerObjections: summary.files[0]!.providerObjections,
      lineage: lineage.map((source) => source.outcome),
      said,
    };
  };

  it('is the conflict it is when the record was withdrawn before the run: kept, reported, no objection', {
    timeout: 400_000,
  }, async () => {
    const w = cx.fx.warehouse;
    await ingest('first.csv', [statusRow(3, 920, '正常'), statusRow(4, 921, '正常')]);
    const before = (await recordOf(920))!;
    const meanwhile = (await recordOf(921))!;

    // Withdrawn before the run.
    await cx.fx.owner.transaction((trx) => withdrawIn(trx, before.id));
    const earlier = await outcomeOf(await ingest('before.csv', [statusRow(3, 920, '异议')]));
    expect(earlier.counts).toMatchObject({ read: 1, conflict: 1, unchanged: 0 });
    expect(earlier.providerObjections).toBeUndefined();
    expect(earlier.lineage).toEqual(['conflict']);
    expect(earlier.said).toContainEqual(
      expect.stringContaining(`该记录已依法定程序撤销（依据：${BASIS}），本次报送未采用`),
    );

    // Withdrawn while the unit loads: the procedure holds the record until the unit waits for it.
    const trx = await cx.fx.owner.transaction();
    let loading: ReturnType<typeof ingest> | undefined;
    try {
      await withdrawIn(trx, meanwhile.id);
      loading = ingest('meanwhile.csv', [statusRow(4, 921, '异议')]);
      await until('the unit waiting for the withdrawal', async () => {
        const { rows } = await cx.fx.owner.raw<{ rows: { query: string }[] }>(
          `SELECT query FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
        );
        return rows.length > 0 ? rows : undefined;
      });
      await trx.commit();
    } catch (error) {
      await trx.rollback();
      throw error;
    }
    const raced = await outcomeOf(await loading);
    expect(await w('records').where({ id: meanwhile.id }).first('status')).toEqual({ status: 'withdrawn' });
    // Not `unchanged` with a silently dropped objection (`known: 1`): what the provider is told before the run.
    expect(raced).toEqual(earlier);
    expect(await w('objections')).toHaveLength(0);
  });
});
