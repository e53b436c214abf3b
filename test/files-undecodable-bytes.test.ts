import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { csvLine, generatePenalties, PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { writeRejectionReport } from '../src/report/write-rejection-report.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const AUTHORITY = PENALTY_HEADER.indexOf('处罚机关');
const LEGAL_ID = PENALTY_HEADER.indexOf('法定代表人证件号码');
/** A byte no GB18030 (nor GBK) character uses. */
const BAD = Buffer.from([0xff]);

/**
 * A GBK/GB18030 penalty file, `BAD` written into the cell of a column on line `line` (1: the header), after the
 * cell's first two characters.
 */
function gbkFile(file: string, line: number, column: number): string[][] {
  const { rows } = generatePenalties(8, { badShare: 0, seed: 907 });
  const lines = [PENALTY_HEADER, ...rows].map((cells, i) => {
    if (i !== line - 1) return iconv.encode(csvLine(cells), 'gb18030');
    const before = [...cells.slice(0, column), (cells[column] ?? '').slice(0, 2)];
    const after = [(cells[column] ?? '').slice(2), ...cells.slice(column + 1)];
    return Buffer.concat([
      // csvLine ends the record (CRLF): the bad byte goes inside it.
      iconv.encode(csvLine(before).slice(0, -2), 'gb18030'),
      BAD,
      iconv.encode(csvLine(after), 'gb18030'),
    ]);
  });
  writeFileSync(file, Buffer.concat(lines));
  return rows;
}

describe('ingest: bytes a GBK/GB18030 file cannot decode', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('files_undecodable_bytes');
  });
  afterAll(async () => fx?.close());

  it('rejects the row under the field of the column the bytes are in, naming field, row and value', async () => {
    const file = path.join(fx.scratch, '处罚-坏字节.csv');
    const rows = gbkFile(file, 5, AUTHORITY);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((one) => [one.status, one.encoding])).toEqual([['loaded', 'gb18030']]);
    expect(summary.counts).toMatchObject({ read: 8, rejected: 1, inserted: 7 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([[5, 'CF_CFJG', 'undecodable-bytes']]);
    const stored = await fx.warehouse('rejections').where({ run_id: summary.runId }).first();
    const authority = rows[3]?.[AUTHORITY] ?? '';
    const shown = `${authority.slice(0, 2)}\uFFFD${authority.slice(2)}`;
    expect(stored.errors[0]).toMatchObject({
      field: 'CF_CFJG',
      value: shown,
      message: expect.stringMatching(
        new RegExp(
          `^第5行“处罚机关”列（第${AUTHORITY + 1}列）含有无法按 gb18030 编码解码的字节（显示为 �），该行未入库：值为「${shown}」。请将文件另存为 UTF-8 或 GB18030 编码后重新报送`,
        ),
      ),
    });
  });

  it('masks a resident ID holding them in the report that leaves the platform, as its field says', async () => {
    const file = path.join(fx.scratch, '处罚-证件号码坏字节.csv');
    const rows = gbkFile(file, 3, LEGAL_ID);
    const id = rows[1]?.[LEGAL_ID] ?? '';
    expect(id).toMatch(/^\d{17}[\dX]$/);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [3, 'CF_FR_ZJHM', 'undecodable-bytes'],
    ]);
    const out = path.join(fx.scratch, 'rejections.json');
    await writeRejectionReport(fx.warehouse, fx.catalog, { kind: 'run', runId: summary.runId }, out, 'json');
    const report = readFileSync(out, 'utf8');
    expect(report).toContain('第3行“法定代表人证件号码”列');
    expect(report).not.toContain(id.slice(2, 14));
  });

  it('fails a file whose header line holds them as undecodable-bytes, naming the header line, not as unknown columns', async () => {
    const file = path.join(fx.scratch, '处罚-表头坏字节.csv');
    gbkFile(file, 1, AUTHORITY);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((one) => [one.status, one.error?.code])).toEqual([
      ['failed', 'undecodable-bytes'],
    ]);
    expect(summary.files[0]?.error?.message).toMatch(
      new RegExp(
        `^表头（第1行）第${AUTHORITY + 1}列「处罚\uFFFD机关」含有无法按 gb18030 编码解码的字节（显示为 �），列名无法与目录对照，整个文件未入库`,
      ),
    );
    const stored = await fx.warehouse('source_files').where({ run_id: summary.runId }).first();
    expect(stored).toMatchObject({ status: 'failed', error_code: 'undecodable-bytes' });
    expect(
      Number(
        (await fx.warehouse('record_sources').where({ source_file_id: stored.id }).count({ n: '*' }))[0]?.n,
      ),
    ).toBe(0);
  });
});
