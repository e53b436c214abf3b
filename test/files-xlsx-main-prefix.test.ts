import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixedWorkbook } from '../connectors/formats/prefixed-workbook.test-support.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

/**
 * The workbook as the Open XML SDK (.NET) and some Java exporters write it: every part of the SpreadsheetML main
 * namespace with a prefix (`<x:worksheet xmlns:x="…/main"><x:sheetData><x:row r="3"><x:c r="A3" t="s">`,
 * `<x:workbook>…<x:sheet … r:id="rId1"/>`, `<x:sst><x:si><x:t>`). Excel opens it; it failed as `empty-file`
 * (工作簿中没有任何有内容的可见工作表), the sheet read as empty.
 */
describe('ingest: a workbook whose parts write the main namespace with a prefix', () => {
  let fx: WarehouseFixture;
  let generated: Awaited<ReturnType<typeof writePenaltyWorkbook>>;
  let file: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_main_prefix');
    const whole = path.join(fx.scratch, 'whole.xlsx');
    generated = await writePenaltyWorkbook(whole, 2500, { badShare: 0.02, seed: 733 });
    const bytes = await prefixedWorkbook(readFileSync(whole));
    file = path.join(fx.scratch, '处罚-带前缀.xlsx');
    writeFileSync(file, bytes);
  });
  afterAll(async () => fx?.close());

  it('loads it as its unprefixed twin: every row, each rejection on its row and field', async () => {
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((one) => [one.status, one.error?.code])).toEqual([['loaded', undefined]]);
    const rejected = generated.expected.length;
    expect(rejected).toBeGreaterThan(0);
    expect(summary.counts).toMatchObject({ read: 2500, inserted: 2500 - rejected, rejected });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(
      generated.expected.map((bad) => [bad.row + generated.titleRows, bad.field, bad.code]),
    );
    const stored = await fx.warehouse.raw(
      `SELECT rs.row_number, rv.data ->> 'CF_XDR_MC' AS name FROM record_sources rs
       JOIN record_versions rv ON rv.id = rs.version_id ORDER BY 1 LIMIT 1`,
    );
    const bad = new Set(generated.expected.map((one) => one.row + generated.titleRows));
    const first = generated.rows.findIndex((_row, i) => !bad.has(i + 3));
    expect(stored.rows).toEqual([{ row_number: first + 3, name: generated.rows[first]?.[0] }]);
  });
});
