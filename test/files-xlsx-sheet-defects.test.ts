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
 * 3,000-row penalty workbooks whose sheet Excel could not have written, the defect past the first batch of rows
 * (2,000): two rows numbered 2802 (the stage's rows were joined on their number: the load crashed as an
 * internal error), a shared string that is not in the table (read as blank: an optional field lost its text),
 * a cell written twice (the last value won). Each fails whole as not-a-workbook, naming where; the file beside
 * them loads.
 */
describe('ingest: a workbook whose sheet Excel could not have written loads nothing', () => {
  let fx: WarehouseFixture;
  const files: string[] = [];
  let goodFile: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_sheet_defects');
    const whole = path.join(fx.scratch, 'whole.xlsx');
    await writePenaltyWorkbook(whole, 3000, { seed: 513 });
    const edits: [string, (sheet: string) => string][] = [
      ['处罚-行号重复.xlsx', (sheet) => sheet.replace('<row r="2803"', '<row r="2802"')],
      ['处罚-共享字符串.xlsx', (sheet) => sheet.replace(/(<c r="AD2900" t="s"><v>)\d+/, '$1999999')],
      ['处罚-单元格重复.xlsx', (sheet) => sheet.replace('<c r="C2950"', '<c r="B2950"')],
    ];
    for (const [name, edit] of edits) {
      const bytes = await repackWorkbook(readFileSync(whole), {
        edit: (part, text) => {
          if (part !== 'xl/worksheets/sheet1.xml') return undefined;
          const edited = edit(text);
          expect(edited).not.toBe(text);
          return edited;
        },
      });
      files.push(path.join(fx.scratch, name));
      writeFileSync(files.at(-1) as string, bytes);
    }
    goodFile = writePenaltyCsv(fx.scratch, 'good.csv', 10, { seed: 514 }).file;
  });
  afterAll(async () => fx?.close());

  it('fails each file as not-a-workbook naming the row or cell, none of its rows stored', async () => {
    const units = [];
    for (const file of [...files, goodFile]) units.push(await localFileUnit(file, RECEIVED));
    const summary = await ingestDelivery(fx, units);
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['处罚-行号重复.xlsx', 'failed', 'not-a-workbook'],
      ['处罚-共享字符串.xlsx', 'failed', 'not-a-workbook'],
      ['处罚-单元格重复.xlsx', 'failed', 'not-a-workbook'],
      ['good.csv', 'loaded', undefined],
    ]);
    const sheet = '文件不是有效的 Excel 工作簿（.xlsx）：工作表「行政处罚」（xl/worksheets/sheet1.xml）中';
    const reasons = [
      `${sheet}第2802行的行号重复：有两行都标为第2802行`,
      `${sheet}单元格 AD2900 引用的共享字符串 999999 不存在`,
      `${sheet}单元格 B2950 出现了两次`,
    ];
    reasons.forEach((reason, i) => {
      expect(summary.files[i]?.error?.message).toContain(reason);
    });
    for (const [i, reason] of reasons.entries()) {
      await expectWorkbookFailedWhole(fx, path.basename(files[i] as string), reason);
    }
    // Only the CSV's ten rows reached the warehouse.
    expect(Number((await fx.warehouse('records').count({ n: '*' }))[0]?.n)).toBe(10);
  });
});
