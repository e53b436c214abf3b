import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repackWorkbook } from '../connectors/formats/xlsx-repack.test-support.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { expectWorkbookFailedWhole } from './support/failed-workbook.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

/**
 * A 3,000-row penalty workbook whose sheet XML stops in the middle of row 2802 (the zip sound, the part's CRC-32
 * fitting what is left): exceljs handed over the 2,799 data rows before the cut, a batch of them was staged, and
 * the file loaded as if that were all of it. It fails whole now, and the file beside it loads.
 */
describe('ingest: a workbook whose sheet is cut short loads nothing', () => {
  let fx: WarehouseFixture;
  let cutFile: string;
  let goodFile: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_cut_short');
    const whole = path.join(fx.scratch, 'whole.xlsx');
    await writePenaltyWorkbook(whole, 3000, { seed: 511 });
    const bytes = await repackWorkbook(readFileSync(whole), {
      edit: (name, text) => {
        if (name !== 'xl/worksheets/sheet1.xml') return undefined;
        const at = text.indexOf('<row r="2802"');
        expect(at).toBeGreaterThan(0);
        return text.slice(0, at + 200);
      },
    });
    cutFile = path.join(fx.scratch, '处罚-截断.xlsx');
    writeFileSync(cutFile, bytes);
    goodFile = writePenaltyCsv(fx.scratch, 'good.csv', 10, { seed: 512 }).file;
  });
  afterAll(async () => fx?.close());

  it('fails the file as not-a-workbook naming the sheet and the last whole row, none of its rows stored', async () => {
    const summary = await ingestDelivery(fx, [
      await localFileUnit(cutFile, RECEIVED),
      await localFileUnit(goodFile, RECEIVED),
    ]);
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['处罚-截断.xlsx', 'failed', 'not-a-workbook'],
      ['good.csv', 'loaded', undefined],
    ]);
    const reason =
      '文件不是有效的 Excel 工作簿（.xlsx）：工作表「行政处罚」（xl/worksheets/sheet1.xml）不完整，在第2801行之后中断';
    expect(summary.files[0]?.error?.message).toContain(reason);

    await expectWorkbookFailedWhole(fx, '处罚-截断.xlsx', reason);
    // Only the CSV's ten rows reached the warehouse.
    expect(Number((await fx.warehouse('records').count({ n: '*' }))[0]?.n)).toBe(10);
    expect((await fx.warehouse('runs').where({ id: summary.runId }).first()).status).toBe('failed');
  });
});
