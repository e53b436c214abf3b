import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { formatRecordView } from '../src/cli/commands/record-command.ts';
import { recordHistory } from '../src/records/record-history.ts';
import { recordView } from '../src/records/record-view.ts';
import { subjectArchive } from '../src/records/subject-archive.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { providerPeriodCounts } from '../src/warehouse/quality-repository.ts';
import { basePenalties, currentState, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
const CITY = { level: 'city', provider: '113701000000000000' } as const;
const day = (n: number) => new Date(`2026-11-${String(10 + n).padStart(2, '0')}T10:00:00+08:00`);

/**
 * The same deliveries through the compact path and through the full path (CREDIT_ETL_FULL_LINEAGE=1), into two
 * warehouses: nightly province dumps with a corrected row, a row dropped and back, and the city (a lower
 * channel) delivering equal and differing content in between; the city keeps re-delivering while the province
 * changes one of its records under it (the other channel changed the record since).
 */
function deliveries(): { name: string; channel: typeof PROVINCE | typeof CITY; rows: PenaltyRow[] }[] {
  const rows = basePenalties(30);
  const corrected = edit(rows[3]!, { 处罚内容: '罚款人民币2万元（更正）' });
  const cityRows = [rows[0]!, edit(rows[1]!, { 处罚内容: '罚款人民币9万元（市级）' }), rows[2]!];
  const provinceOverCity = edit(rows[2]!, { 处罚内容: '罚款人民币3万元（省级更正）' });
  const without = (list: PenaltyRow[], index: number) => list.filter((_, i) => i !== index);
  return [
    { name: 'p1.csv', channel: PROVINCE, rows },
    { name: 'p2.csv', channel: PROVINCE, rows: [...rows].reverse() },
    { name: 'c1.csv', channel: CITY, rows: cityRows },
    { name: 'c2.csv', channel: CITY, rows: [...cityRows].reverse() },
    // A corrected row among unchanged ones, one row missing from the dump.
    {
      name: 'p3.csv',
      channel: PROVINCE,
      rows: without(
        rows.map((row, i) => (i === 3 ? corrected : row)),
        7,
      ),
    },
    // Back: the missing row is delivered again (it must be written out: its run ended).
    { name: 'p4.csv', channel: PROVINCE, rows: rows.map((row, i) => (i === 3 ? corrected : row)).reverse() },
    // The province changes a record the city delivered; the city then re-delivers its old content.
    {
      name: 'p5.csv',
      channel: PROVINCE,
      rows: rows.map((row, i) => (i === 3 ? corrected : i === 2 ? provinceOverCity : row)),
    },
    { name: 'c3.csv', channel: CITY, rows: cityRows },
    {
      name: 'p6.csv',
      channel: PROVINCE,
      rows: rows.map((row, i) => (i === 3 ? corrected : i === 2 ? provinceOverCity : row)).reverse(),
    },
  ];
}

async function deliverAll(fx: WarehouseFixture): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  for (const [n, delivery] of deliveries().entries()) {
    const file = writeRows(
      fx.scratch,
      delivery.name,
      delivery.rows,
      n % 2 ? [...PENALTY_HEADER].reverse() : PENALTY_HEADER,
    );
    summaries.push(await fx.ingest([file], { ...delivery.channel, receivedAt: day(n) }));
  }
  return summaries;
}

/** Lineage rows that say something new: everything but plain `unchanged` rows, by file, row and outcome. */
async function contentLineage(fx: WarehouseFixture): Promise<string[]> {
  const { rows } = await fx.warehouse.raw<{ rows: { line: string }[] }>(
    `SELECT f.name || ':' || s.row_number || ':' || r.business_key || ':' || s.outcome || ':' || s.content_hash
       || ':' || COALESCE(v.version_no::text, '-') || ':' || COALESCE(s.late::text, 'pending') AS line
     FROM record_sources s JOIN source_files f ON f.id = s.source_file_id JOIN records r ON r.id = s.record_id
     LEFT JOIN record_versions v ON v.id = s.version_id
     WHERE s.outcome <> 'unchanged' ORDER BY 1`,
  );
  return rows.map((row) => row.line);
}

/** Per file, the business keys it delivered (what the full-dump check reads, delivered_records). */
async function deliveredKeys(fx: WarehouseFixture): Promise<Record<string, string[]>> {
  const { rows } = await fx.warehouse.raw<{ rows: { name: string; keys: string[] }[] }>(
    `SELECT f.name, array_agg(r.business_key ORDER BY r.business_key) AS keys
     FROM source_files f CROSS JOIN LATERAL delivered_records(f.id) d JOIN records r ON r.id = d
     GROUP BY f.name ORDER BY f.name`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.keys]));
}

/** The record of a row of the first load (p1.csv, one row per record, in the generated order). */
async function recordIdOf(fx: WarehouseFixture, index: number, firstFile = 'p1.csv'): Promise<number> {
  const { rows } = await fx.warehouse.raw<{ rows: { id: number }[] }>(
    `SELECT v.record_id AS id FROM record_versions v JOIN source_files f ON f.id = v.source_file_id
     WHERE f.name = ? ORDER BY v.row_number OFFSET ? LIMIT 1`,
    [firstFile, index],
  );
  return Number(rows[0]!.id);
}

/** Per channel of a record: files, re-deliveries, first and last file (not how they are stored). */
async function lineageAnswers(fx: WarehouseFixture, recordId: number) {
  const history = (await recordHistory(fx.warehouse, recordId))!;
  return recordView(history, undefined).deliveries.map(({ compacted: _, ...channel }) => ({
    ...channel,
    first: channel.first.fileName,
    last: channel.last.fileName,
  }));
}

describe('re-delivered rows: the compact path against the full path', () => {
  let compact: WarehouseFixture;
  let full: WarehouseFixture;
  let compactRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    [compact, full] = await Promise.all([
      openWarehouseFixture('compact_path'),
      openWarehouseFixture('full_path'),
    ]);
    compactRuns = await deliverAll(compact);
    process.env.CREDIT_ETL_FULL_LINEAGE = '1';
    try {
      fullRuns = await deliverAll(full);
    } finally {
      delete process.env.CREDIT_ETL_FULL_LINEAGE;
    }
  }, 120_000);
  afterAll(async () => Promise.all([compact?.close(), full?.close()]));

  it('gives every row the outcome the full path gives', () => {
    expect(compactRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(compactRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 30 },
      { unchanged: 30 },
      { merged: 2, conflict: 1 },
      { unchanged: 2, conflict: 1 },
      { updated: 1, unchanged: 28 },
      { unchanged: 30 },
      { updated: 1, unchanged: 29 },
      // The province changed row 2 since: the city's old content is now a conflict, not unchanged.
      { conflict: 2, unchanged: 1 },
      { unchanged: 30 },
    ]);
  });

  it('leaves the same records, versions and content lineage; only plain re-deliveries are compacted', async () => {
    expect(await currentState(compact.warehouse)).toEqual(await currentState(full.warehouse));
    expect(await contentLineage(compact)).toEqual(await contentLineage(full));
    const count = async (fx: WarehouseFixture) =>
      Number((await fx.warehouse('record_sources').count<{ count: string }[]>({ count: '*' }))[0]!.count);
    expect(await count(compact)).toBeLessThan((await count(full)) / 3);
    const { rows } = await compact.warehouse.raw<{ rows: { name: string; rows: number; absent: number }[] }>(
      `SELECT f.name, u.rows, u.absent FROM unchanged_deliveries u JOIN source_files f ON f.id = u.source_file_id
       ORDER BY f.id`,
    );
    expect(rows).toEqual([
      { name: 'p2.csv', rows: 30, absent: 0 },
      { name: 'c2.csv', rows: 2, absent: 0 },
      { name: 'p3.csv', rows: 28, absent: 1 },
      // Row 7 came back: its run had ended, so it is written out; the rest continue.
      { name: 'p4.csv', rows: 29, absent: 0 },
      { name: 'p5.csv', rows: 29, absent: 0 },
      // Row 2 is a conflict now (the province changed it since); row 1 was one before: neither continues a run.
      { name: 'c3.csv', rows: 1, absent: 0 },
      { name: 'p6.csv', rows: 30, absent: 0 },
    ]);
    expect(
      (await full.warehouse.raw<{ rows: unknown[] }>('SELECT 1 FROM unchanged_deliveries')).rows,
    ).toHaveLength(0);
  });

  it('answers which records each file delivered, as the full path does', async () => {
    const compactKeys = await deliveredKeys(compact);
    expect(compactKeys).toEqual(await deliveredKeys(full));
    expect(compactKeys['p3.csv']).toHaveLength(29);
    const missing = await compact
      .warehouse('records')
      .where('id', await recordIdOf(compact, 7))
      .first('business_key');
    expect(compactKeys['p3.csv']).not.toContain(missing.business_key);
    expect(compactKeys['p4.csv']).toContain(missing.business_key);
  });

  it('answers per record which channels delivered it, how often, first and last', async () => {
    for (const index of [0, 2, 3, 7]) {
      const compactId = await recordIdOf(compact, index);
      const fullId = await recordIdOf(full, index);
      expect(await lineageAnswers(compact, compactId)).toEqual(await lineageAnswers(full, fullId));
    }
    const answers = await lineageAnswers(compact, await recordIdOf(compact, 0));
    expect(answers).toEqual([
      {
        providerCode: PROVINCE.provider,
        level: 'province',
        files: 6,
        redeliveries: 5,
        first: 'p1.csv',
        last: 'p6.csv',
      },
      {
        providerCode: CITY.provider,
        level: 'city',
        files: 3,
        redeliveries: 2,
        first: 'c1.csv',
        last: 'c3.csv',
      },
    ]);
    // Row 7: missing from p3, so five province files.
    expect(await lineageAnswers(compact, await recordIdOf(compact, 7))).toMatchObject([
      { level: 'province', files: 5, redeliveries: 4, first: 'p1.csv', last: 'p6.csv' },
    ]);
    const id = await recordIdOf(compact, 0);
    const page = formatRecordView(
      recordView((await recordHistory(compact.warehouse, id))!, undefined),
      undefined,
    );
    expect(page).toMatch(/deliveries by channel/);
    expect(page).toMatch(/deliveries by channel[\s\S]*province[^\n]*p1\.csv[^\n]*p6\.csv/);
  });

  it('keeps the quality counts, the subject archive and every file digest true', async () => {
    const period = ['2026-11-01', '2026-11-30'] as const;
    expect(await providerPeriodCounts(compact.warehouse, ...period, undefined)).toEqual(
      await providerPeriodCounts(full.warehouse, ...period, undefined),
    );
    const subjectOf = async (fx: WarehouseFixture) =>
      (
        await fx
          .warehouse('records')
          .where('id', await recordIdOf(fx, 0))
          .first('subject_code')
      ).subject_code as string;
    const archive = async (fx: WarehouseFixture) =>
      (await subjectArchive(fx.warehouse, fx.catalog, await subjectOf(fx), '2026-11-30')).groups.flatMap(
        (group) => group.records.map(({ recordId: _, updatedAt: __, ...record }) => record),
      );
    expect(await archive(compact)).toEqual(await archive(full));
    for (const fx of [compact, full]) {
      const { rows } = await fx.warehouse.raw<{ rows: { ok: boolean }[] }>(
        `SELECT digest = source_file_digest(id) AS ok FROM source_files WHERE status = 'loaded'`,
      );
      expect(rows.map((row) => row.ok)).toEqual(Array(9).fill(true));
    }
  });

  it('refuses to change a summary afterwards', async () => {
    await expect(compact.owner.raw('UPDATE unchanged_deliveries SET rows = rows + 1')).rejects.toThrow(
      /append-only/,
    );
    await expect(compact.owner.raw('DELETE FROM unchanged_delivery_absences')).rejects.toThrow(/append-only/);
  });
});

describe('an incremental file between full dumps', () => {
  let compact: WarehouseFixture;
  let full: WarehouseFixture;

  beforeAll(async () => {
    [compact, full] = await Promise.all([
      openWarehouseFixture('compact_incremental'),
      openWarehouseFixture('full_incremental'),
    ]);
  });
  afterAll(async () => Promise.all([compact?.close(), full?.close()]));

  it('is written out whole and ends every run; the next dumps compact again; both paths agree', async () => {
    const rows = basePenalties(20);
    const files: [string, PenaltyRow[]][] = [
      ['dump1.csv', rows],
      ['increment.csv', rows.slice(0, 2)],
      ['dump2.csv', [...rows].reverse()],
      // Not dump1's bytes (the sha256 ledger would skip it whole): its columns in another order.
      ['dump3.csv', rows],
    ];
    const load = async (fx: WarehouseFixture) => {
      const counts = [];
      for (const [n, [name, list]] of files.entries()) {
        const columns = name === 'dump3.csv' ? [...PENALTY_HEADER].reverse() : PENALTY_HEADER;
        const file = writeRows(fx.scratch, name, list, columns);
        counts.push((await fx.ingest([file], { ...PROVINCE, receivedAt: day(n) })).counts);
      }
      return counts;
    };
    const compactCounts = await load(compact);
    process.env.CREDIT_ETL_FULL_LINEAGE = '1';
    try {
      expect(await load(full)).toEqual(compactCounts);
    } finally {
      delete process.env.CREDIT_ETL_FULL_LINEAGE;
    }
    const { rows: summaries } = await compact.warehouse.raw<{ rows: { name: string; rows: number }[] }>(
      `SELECT f.name, u.rows FROM unchanged_deliveries u JOIN source_files f ON f.id = u.source_file_id ORDER BY f.id`,
    );
    // The increment held 2 of 20 standing records: no summary. dump2 continues only the increment's two runs.
    expect(summaries).toEqual([
      { name: 'dump2.csv', rows: 2 },
      { name: 'dump3.csv', rows: 20 },
    ]);
    expect(await deliveredKeys(compact)).toEqual(await deliveredKeys(full));
    expect(await contentLineage(compact)).toEqual(await contentLineage(full));
    for (const index of [0, 5]) {
      expect(await lineageAnswers(compact, await recordIdOf(compact, index, 'dump1.csv'))).toEqual(
        await lineageAnswers(full, await recordIdOf(full, index, 'dump1.csv')),
      );
    }
  }, 120_000);
});
