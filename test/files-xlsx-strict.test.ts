import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strictWorkbook } from '../connectors/formats/strict-workbook.test-support.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

/**
 * The workbook as Excel's "Strict Open XML Spreadsheet (*.xlsx)" saves it: the same parts under the strict
 * namespaces (`http://purl.oclc.org/ooxml/spreadsheetml/main`, relationship types under
 * `http://purl.oclc.org/ooxml/officeDocument/relationships/`), decision dates (column W) as ISO 8601 `t="d"` cells.
 * It loads as its transitional twin: every row, each rejection on its row and field, the dates as dates.
 */
describe('ingest: a workbook saved as Strict Open XML', () => {
  let fx: WarehouseFixture;
  let generated: Awaited<ReturnType<typeof writePenaltyWorkbook>>;
  let file: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_strict');
    const whole = path.join(fx.scratch, 'whole.xlsx');
    generated = await writePenaltyWorkbook(whole, 2500, { badShare: 0.02, seed: 734 });
    const bytes = await strictWorkbook(readFileSync(whole), ['W']);
    expect(bytes.toString('latin1')).toContain('http://purl.oclc.org/ooxml/spreadsheetml/main');
    file = path.join(fx.scratch, '处罚-严格格式.xlsx');
    writeFileSync(file, bytes);
  });
  afterAll(async () => fx?.close());

  it('loads it as its transitional twin: every row, each rejection on its row and field', async () => {
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((one) => [one.status, one.error?.code])).toEqual([['loaded', undefined]]);
    const rejected = generated.expected.length;
    expect(rejected).toBeGreaterThan(0);
    expect(summary.counts).toMatchObject({ read: 2500, inserted: 2500 - rejected, rejected });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(
      generated.expected.map((bad) => [bad.row + generated.titleRows, bad.field, bad.code]),
    );
  });
});
