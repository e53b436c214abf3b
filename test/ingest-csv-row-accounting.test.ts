import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { OUTCOMES, type OutcomeCounts } from '../src/warehouse/outcome-counts.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Every line of a CSV file a person sees in Excel ends in exactly one outcome, and the outcomes add up to the rows
 * read: a stray quote or a change of line endings midway through the file must not make rows vanish into another
 * one while the run ends `completed` (hostile-input audit).
 */

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const column = (title: string) => PENALTY_HEADER.indexOf(title);

/** Generated rows as CSV lines, no cell quoted (quotes, commas and line breaks taken out of the cells). */
function plainLines(count: number, seed: number): string[][] {
  return generatePenalties(count, { seed }).rows.map((row) =>
    row.map((cell) => cell.replace(/[",\r\n]/g, '')),
  );
}

/** The rows that ended in an outcome: each row read must end in exactly one. */
const outcomes = (counts: OutcomeCounts) => OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0);

describe('a CSV file with a stray quote or mixed line endings: every row accounted for', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('csv_row_accounting');
  });
  afterAll(async () => fx?.close());

  const write = (name: string, text: string) => {
    const file = path.join(fx.scratch, name);
    writeFileSync(file, text);
    return file;
  };

  it('rejects the row of a cell with text after its closing quote alone, and reads the 1,990 lines after it as rows', async () => {
    // Row 10's 处罚机关 is "济南市"市场监督管理局; the next quote in the file opens row 1500's quoted 违法事实.
    const rows = plainLines(2000, 4242);
    rows[8]![column('处罚机关')] = '"济南市"市场监督管理局';
    rows[1498]![column('违法事实')] = '"含逗号,的违法事实"';
    const file = write(
      'swallow-2000.csv',
      `${[PENALTY_HEADER.join(','), ...rows.map((row) => row.join(','))].join('\r\n')}\r\n`,
    );
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    const unit = summary.files[0]!;
    expect([summary.status, unit.status]).toEqual(['completed', 'loaded']);
    expect(unit.counts).toMatchObject({ read: 2000, inserted: 1999, rejected: 1 });
    expect(outcomes(unit.counts)).toBe(unit.counts.read);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([[10, 'CF_CFJG', 'malformed-quotes']]);
    const [rejection] = await fx.warehouse('rejections').where({ run_id: summary.runId });
    expect(rejection.errors[0].message).toMatch(
      /^第10行“处罚机关”列（第26列）的引号位置错误：「"济南市"市场监督管理局」以引号开头/,
    );
    expect(rejection.errors[0].value).toBe('"济南市"市场监督管理局');
    const violation = await fx
      .warehouse('records')
      .join('record_versions', 'record_versions.id', 'records.current_version_id')
      .whereRaw(`record_versions.data->>'CF_SY' LIKE '%含逗号,的违法事实%'`)
      .count({ n: '*' });
    expect(Number(violation[0]!.n)).toBe(1);
  });

  it('gives the rows after the stray quote their own row numbers', async () => {
    const rows = plainLines(10, 900);
    rows[1]![column('处罚机关')] = '"济南市"市场监督管理局';
    rows[8]![column('处罚决定日期')] = '2026-02-30';
    const file = write(
      'swallow-then-bad-row.csv',
      `${[PENALTY_HEADER, ...rows].map((row) => row.join(',')).join('\r\n')}\r\n`,
    );
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    const unit = summary.files[0]!;
    expect(unit.counts).toMatchObject({ read: 10, rejected: 2 });
    expect(outcomes(unit.counts)).toBe(10);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [3, 'CF_CFJG', 'malformed-quotes'],
      [10, 'CF_JDRQ', 'invalid-date'],
    ]);
  });

  it('reads rows appended with LF after CRLF rows, and LF rows under a CRLF header, each as a row', async () => {
    const tail = plainLines(200, 3).map((row) => row.join(','));
    const appended = write(
      'tail-lf-appended.csv',
      `${[PENALTY_HEADER.join(','), ...tail.slice(0, 195)].join('\r\n')}\r\n${tail.slice(195).join('\n')}\n`,
    );
    const rows = plainLines(10, 901).map((row) => row.join(','));
    const header = write('header-crlf-rows-lf.csv', `${PENALTY_HEADER.join(',')}\r\n${rows.join('\n')}\n`);
    const summary = await fx.ingest([appended, header], { receivedAt: RECEIVED });
    expect(
      summary.files.map((unit) => [unit.name, unit.status, unit.counts.read, outcomes(unit.counts)]),
    ).toEqual([
      ['tail-lf-appended.csv', 'loaded', 200, 200],
      ['header-crlf-rows-lf.csv', 'loaded', 10, 10],
    ]);
    expect(summary.counts).toMatchObject({ rejected: 0 });
  });

  it('fails the file, naming the line, when a quote opens a cell that only a later line closes', async () => {
    // Row 4's 备注 opens a quote its line never closes; row 6's quoted 违法事实 would close it, text after.
    const rows = plainLines(10, 902);
    rows[2]![column('备注')] = '"未闭合';
    rows[4]![column('违法事实')] = '"含逗号,的违法事实"';
    const file = write(
      'quote-never-closed-on-its-line.csv',
      `${[PENALTY_HEADER, ...rows].map((row) => row.join(',')).join('\n')}\n`,
    );
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    const unit = summary.files[0]!;
    expect([summary.status, unit.status, unit.error?.code]).toEqual([
      'failed',
      'failed',
      'unterminated-quote',
    ]);
    expect(unit.error?.message).toContain(
      '文件第4行（第4条记录）有一个以引号开头的单元格，到第6行才遇到下一个引号',
    );
    expect(unit.counts.read).toBe(0);
  });
});
