import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
/** An 18-digit code typed into a General column: Excel keeps 15 significant digits of it. */
const TYPED_AS_NUMBER = Number('913701020000123456');

describe('a 2,000-row penalty workbook as people fill it in', () => {
  let fx: WarehouseFixture;
  let generated: Awaited<ReturnType<typeof writePenaltyWorkbook>>;
  let file: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx');
    file = path.join(fx.scratch, '处罚.xlsx');
    generated = await writePenaltyWorkbook(file, 2000, {
      badShare: 0.02,
      edit: (rows) => {
        // The first data row's USCC was typed into a General column.
        (rows[0] as unknown[])[2] = TYPED_AS_NUMBER;
      },
    });
  });
  afterAll(async () => fx?.close());

  it('rejects exactly the bad rows, by the row numbers Excel shows, and the code stored as a number', async () => {
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.status).toBe('completed');
    const rejected = generated.expected.length + 1;
    expect(summary.counts).toMatchObject({ read: 2000, inserted: 2000 - rejected, rejected });
    const shifted = generated.expected.map((bad) => [bad.row + generated.titleRows, bad.field, bad.code]);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [3, 'CF_XDR_SHDM', 'code-stored-as-number'],
      ...shifted,
    ]);
    const source = await fx.warehouse('source_files').where({ run_id: summary.runId }).first();
    expect(source).toMatchObject({ format: 'xlsx', encoding: 'xlsx', status: 'loaded' });
  });

  it('tells the provider to format the column as text', async () => {
    const rejection = await fx.warehouse('rejections').where({ row_number: 3 }).first();
    expect(rejection.errors[0].message).toContain('设置为"文本"格式');
    expect(rejection.errors[0].value).toBe('913701020000123000');
  });

  it('stores the same ISO decision date whether typed as text, a date cell or a serial', async () => {
    const dates = await fx.warehouse.raw(
      `SELECT rs.row_number, rv.data ->> 'CF_JDRQ' AS date FROM record_sources rs
       JOIN record_versions rv ON rv.id = rs.version_id WHERE rs.row_number IN (4, 5, 6) ORDER BY 1`,
    );
    const expected = [1, 2, 3].map((i) => (generated.rows[i] as string[])[22]?.replace(/\//g, '-'));
    expect(dates.rows.map((row: { date: string }) => row.date)).toEqual(
      expected.map((text) => text?.replace(/-(\d)(?=-|$)/g, '-0$1')),
    );
  });

  it('a workbook whose unit fails after it was opened (the title row taken as header) leaves no temporary copy', async () => {
    // exceljs names its temporary files tmp-<pid>-…; each test file runs in a process of its own.
    const left = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith(`tmp-${process.pid}-`));
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED), { headerRow: 1 });
    expect(summary.files[0]?.error?.code).toBe('unknown-columns');
    await vi.waitFor(() => expect(left()).toEqual([]));
  });
});
