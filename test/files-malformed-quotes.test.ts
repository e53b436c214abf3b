import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { csvLine, generatePenalties, PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { writeRejectionReport } from '../src/report/write-rejection-report.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const AUTHORITY = PENALTY_HEADER.indexOf('处罚机关');
const LEGAL_ID = PENALTY_HEADER.indexOf('法定代表人证件号码');

/**
 * A UTF-8 penalty file whose data row `row` (2: the first) holds, in column `column` (past the header's last one:
 * an extra cell), its value with a stray quote: `"济南"市局`, a cell opened by a quote with text after the closing one.
 * Returns the generated rows and the cell as written.
 */
function strayQuoteFile(file: string, row: number, column: number): { rows: string[][]; written: string } {
  const { rows } = generatePenalties(8, { badShare: 0, seed: 911 });
  const value = rows[row - 2]?.[column] ?? '甲乙丙';
  const written = `"${value.slice(0, 2)}"${value.slice(2) || '丁'}`;
  const lines = [PENALTY_HEADER, ...rows].map((cells, i) => {
    if (i !== row - 1) return csvLine(cells);
    // csvLine would quote the stray quote into text: the cell goes in as a provider's tool wrote it.
    const placeholder = '\u2063STRAY\u2063';
    const withPlaceholder = [...cells];
    withPlaceholder[column] = placeholder;
    return csvLine(withPlaceholder).replace(placeholder, written);
  });
  writeFileSync(file, lines.join(''));
  return { rows, written };
}

describe('ingest: a CSV cell with text after its closing quote (malformed-quotes)', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('files_malformed_quotes');
  });
  afterAll(async () => fx?.close());

  it('rejects the row under the field of the column the quote is in, naming field, row and value', async () => {
    const file = path.join(fx.scratch, '处罚-引号.csv');
    const { written } = strayQuoteFile(file, 5, AUTHORITY);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((one) => one.status)).toEqual(['loaded']);
    expect(summary.counts).toMatchObject({ read: 8, rejected: 1, inserted: 7 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([[5, 'CF_CFJG', 'malformed-quotes']]);
    const stored = await fx.warehouse('rejections').where({ run_id: summary.runId }).first();
    expect(stored.errors[0]).toMatchObject({
      field: 'CF_CFJG',
      value: written,
      message: expect.stringContaining(
        `第5行“处罚机关”列（第${AUTHORITY + 1}列）的引号位置错误：「${written}」以引号开头`,
      ),
    });
  });

  it('masks a resident ID holding the stray quote in the report that leaves the platform, as its field says', async () => {
    const file = path.join(fx.scratch, '处罚-证件号码引号.csv');
    const { rows } = strayQuoteFile(file, 3, LEGAL_ID);
    const id = rows[1]?.[LEGAL_ID] ?? '';
    expect(id).toMatch(/^\d{17}[\dX]$/);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [3, 'CF_FR_ZJHM', 'malformed-quotes'],
    ]);
    const out = path.join(fx.scratch, 'rejections.json');
    await writeRejectionReport(fx.warehouse, fx.catalog, { kind: 'run', runId: summary.runId }, out, 'json');
    const report = readFileSync(out, 'utf8');
    expect(report).toContain('第3行“法定代表人证件号码”列');
    expect(report).not.toContain(id.slice(2, 14));
  });

  it('leaves a stray quote past the header’s last column to the row as a whole (*)', async () => {
    const file = path.join(fx.scratch, '处罚-多余列引号.csv');
    strayQuoteFile(file, 4, PENALTY_HEADER.length);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([[4, '*', 'malformed-quotes']]);
    const stored = await fx.warehouse('rejections').where({ run_id: summary.runId }).first();
    expect(stored.errors[0].message).toMatch(
      new RegExp(`^第4行第${PENALTY_HEADER.length + 1}列的引号位置错误`),
    );
  });
});
