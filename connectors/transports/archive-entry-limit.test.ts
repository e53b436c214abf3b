import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from '../../test/support/ingest-delivery.ts';
import { openWarehouseFixture, type WarehouseFixture } from '../../test/support/warehouse-fixture.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import { unitsForFile } from './archive-units.ts';
import { writeZip } from './zip-fixture.test-support.ts';

/**
 * `CREDIT_ETL_MAX_ARCHIVE_ENTRIES` end to end: a small zip of many files (2,000 header-only CSVs in 0.9 MB took
 * 303 s and left 2,000 source_files rows) is refused whole as one failed file, and the rest of the run goes on.
 */
const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const LIMITS = { ...DEFAULT_LIMITS, maxArchiveEntries: 3 };

describe('a zip of more files than CREDIT_ETL_MAX_ARCHIVE_ENTRIES', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('archive_entries');
  });
  afterAll(async () => fx?.close());

  /** A zip of `count` penalty CSVs of 5 rows each, in a folder (which does not count). */
  async function penaltyZip(name: string, count: number, seed: number): Promise<string> {
    const file = path.join(fx.scratch, name);
    const entries: Record<string, string> = { 'data/': '' };
    for (let i = 0; i < count; i++)
      entries[`data/处罚-${i}.csv`] = toCsv(PENALTY_HEADER, generatePenalties(5, { seed: seed + i }).rows);
    await writeZip(file, entries);
    return file;
  }

  const committedRows = async (runId: number) => {
    const { rows } = await fx.warehouse.raw(
      'SELECT (SELECT count(*) FROM record_sources WHERE run_id = ?) + (SELECT count(*) FROM rejections WHERE run_id = ?) AS n',
      [runId, runId],
    );
    return Number(rows[0].n);
  };
  const storedFiles = async (runId: number) =>
    (await fx.warehouse('source_files').where({ run_id: runId }).orderBy('id')).map(
      (file: { name: string; status: string; error_code: string | null }) => [
        file.name,
        file.status,
        file.error_code,
      ],
    );

  it('is refused as a whole, one failed file naming the count and the limit; nothing of it is loaded', async () => {
    const zip = await penaltyZip('2026-11-多.zip', 4, 100);
    const summary = await ingestDelivery(fx, await unitsForFile(zip, RECEIVED, LIMITS));
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['2026-11-多.zip', 'failed', 'decompression-limit'],
    ]);
    expect(summary.files[0]?.error?.message).toContain(
      '压缩包 2026-11-多.zip 中的文件超过 3 个（压缩包目录共列出 5 项；单个压缩包最多 3 个文件，文件夹不计），整个压缩包已拒收，其中的文件均未读取，未入库任何数据',
    );
    expect(await storedFiles(summary.runId)).toEqual([['2026-11-多.zip', 'failed', 'decompression-limit']]);
    expect(await committedRows(summary.runId)).toBe(0);
  });

  it('fails that file only: a zip of exactly the limit in the same run is read and loaded', async () => {
    const over = await penaltyZip('over.zip', 4, 200);
    const exact = await penaltyZip('exact.zip', 3, 300);
    const units = [
      ...(await unitsForFile(over, RECEIVED, LIMITS)),
      ...(await unitsForFile(exact, RECEIVED, LIMITS)),
    ];
    const summary = await ingestDelivery(fx, units);
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['over.zip', 'failed', 'decompression-limit'],
      ['exact.zip!data/处罚-0.csv', 'loaded', undefined],
      ['exact.zip!data/处罚-1.csv', 'loaded', undefined],
      ['exact.zip!data/处罚-2.csv', 'loaded', undefined],
    ]);
    expect(await committedRows(summary.runId)).toBe(15);
  });
});
