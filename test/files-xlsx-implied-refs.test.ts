import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repackWorkbook } from '../connectors/formats/xlsx-repack.test-support.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

/**
 * The sheet as a legacy or Java exporter writes it: no `r` on any `<row>` or `<c>` (OOXML lets a row's and a cell's
 * place be implied by their order), every cell written, an empty one as `<c/>`. Excel opens it; it was refused as
 * not-a-workbook (exceljs could not place a cell without its reference).
 */
function withoutReferences(sheet: string): string {
  const data = /<sheetData>([\s\S]*)<\/sheetData>/.exec(sheet)?.[1] ?? '';
  const rows = data.replace(
    /<row\b([^>]*?)(\/?)>([\s\S]*?)(<\/row>|$)/g,
    (row, attributes: string, empty: string) => {
      const cells = /^<row[^>]*>([\s\S]*)<\/row>$/.exec(row)?.[1] ?? '';
      let next = 1;
      const written = cells.replace(
        /<c r="([A-Z]+)\d+"([^>]*?)(\/>|>[\s\S]*?<\/c>)/g,
        (_cell, letters: string, rest: string, body: string) => {
          const column = [...letters].reduce((n, char) => n * 26 + char.charCodeAt(0) - 64, 0);
          const gap = '<c/>'.repeat(column - next);
          next = column + 1;
          return `${gap}<c${rest}${body}`;
        },
      );
      const tag = `<row${attributes.replace(/\sr="\d+"/, '')}`;
      return empty ? `${tag}/>` : `${tag}>${written}</row>`;
    },
  );
  return sheet.replace(data, rows);
}

describe('ingest: a workbook whose rows and cells have no reference (r)', () => {
  let fx: WarehouseFixture;
  let generated: Awaited<ReturnType<typeof writePenaltyWorkbook>>;
  let file: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_implied_refs');
    const whole = path.join(fx.scratch, 'whole.xlsx');
    generated = await writePenaltyWorkbook(whole, 2500, { badShare: 0.02, seed: 731 });
    const bytes = await repackWorkbook(readFileSync(whole), {
      edit: (part, text) => {
        if (part !== 'xl/worksheets/sheet1.xml') return undefined;
        const edited = withoutReferences(text);
        expect(edited).not.toMatch(/<(row|c)\s[^>]*\br="/);
        expect(edited).toContain('<c/>');
        return edited;
      },
    });
    file = path.join(fx.scratch, '处罚-无单元格引用.xlsx');
    writeFileSync(file, bytes);
  });
  afterAll(async () => fx?.close());

  it('loads it, each row at the number its order implies and each rejection on its field', async () => {
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((one) => [one.status, one.error?.code])).toEqual([['loaded', undefined]]);
    const rejected = generated.expected.length;
    expect(summary.counts).toMatchObject({ read: 2500, inserted: 2500 - rejected, rejected });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(
      generated.expected.map((bad) => [bad.row + generated.titleRows, bad.field, bad.code]),
    );
  });

  it('puts every value in its own column (the empty cells between keep their places)', async () => {
    const stored = await fx.warehouse.raw(
      `SELECT rs.row_number, rv.data ->> 'CF_XDR_MC' AS name, rv.data ->> 'CF_SY' AS facts,
              rv.data ->> 'CF_CFJG' AS authority
       FROM record_sources rs JOIN record_versions rv ON rv.id = rs.version_id ORDER BY 1`,
    );
    const bad = new Set(generated.expected.map((one) => one.row + generated.titleRows));
    const expected = generated.rows
      .map((row, i) => ({ row_number: i + 3, name: row[0], facts: row[15], authority: row[25] }))
      .filter((row) => !bad.has(row.row_number));
    expect(stored.rows.length).toBe(expected.length);
    expect(stored.rows).toEqual(expected);
  });
});
