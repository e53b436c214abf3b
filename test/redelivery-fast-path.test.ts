import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSkimmedCsv } from '../connectors/formats/csv-skim.ts';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { seededRandom } from '../fixtures/generate/seeded-random.ts';
import { calendar, createCalendar, useCalendar } from '../src/calendar/working-days.ts';
import { correctRecord, type Grounds, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import type { Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { shippedHolidays } from './support/holiday-files.ts';
import { basePenalties, currentState, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { warehouseState as canonicalState } from './support/warehouse-state.ts';
import { withEnv } from './support/with-env.ts';

const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
const CITY = { level: 'city', provider: '113701000000000000' } as const;
const day = (n: number) => new Date(`2026-11-${String(10 + n).padStart(2, '0')}T10:00:00+08:00`);
const CONTENT = '处罚内容';
const USCC = '行政相对人代码_1(统一社会信用代码)';
const PILOT_USCC = '91350100M0001TGQXM';
const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕17号',
  reason: '提供单位书面确认原数据有误',
  operator: '张科员',
};

type Channel = typeof PROVINCE | typeof CITY;

/**
 * A file of the sequence (a run of its own), several files in one run, or a legal procedure run between two
 * files (on records named by the rank of their row in the first file).
 */
type Step =
  | {
      name: string;
      channel: Channel;
      rows: PenaltyRow[];
      columns?: readonly string[];
      receivedAt?: Date;
      ignoreColumns?: readonly string[];
      /** Environment for this file's ingest only (in both warehouses). */
      env?: Record<string, string>;
      /** Written as a workbook (a format the fast path does not read: its cells may be dates, not text). */
      xlsx?: boolean;
      /** The CSV text as written, changed by hand (quoting no writer would choose). */
      edit?: (csv: string) => string;
    }
  | { channel: Channel; files: { name: string; rows: PenaltyRow[] }[] }
  | { procedure: (fx: WarehouseFixture, recordOf: (index: number) => Promise<number>) => Promise<void> };

/**
 * Two warehouses get the same files, one through the default ingest (the fast path where it can) and one with
 * CREDIT_ETL_FAST_REDELIVERY=0 (the full path for every row); everything the warehouse keeps must come out the
 * same apart from ids and the fast path's own cache (issue #17).
 */
async function deliverBoth(
  label: string,
  steps: () => Step[],
): Promise<{
  fast: WarehouseFixture;
  full: WarehouseFixture;
  fastRuns: RunSummary[];
  fullRuns: RunSummary[];
}> {
  const [fast, full] = await Promise.all([
    openWarehouseFixture(`${label}_fast`),
    openWarehouseFixture(`${label}_full`),
  ]);
  try {
    const fastRuns = await deliverAll(fast, steps());
    const fullRuns = await withEnv({ CREDIT_ETL_FAST_REDELIVERY: '0' }, () => deliverAll(full, steps()));
    return { fast, full, fastRuns, fullRuns };
  } catch (error) {
    // The caller never gets the fixtures to close: their databases would outlive the run.
    await Promise.all([fast.close(), full.close()]);
    throw error;
  }
}

async function deliverAll(fx: WarehouseFixture, steps: Step[]): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (const step of steps) {
    if ('procedure' in step) {
      await step.procedure(fx, (index) => recordOfFirstLoad(fx.warehouse, index));
      continue;
    }
    // Every other file's header reversed: a reordered header must still be recognised. (A file repeating an
    // earlier one's bytes would be skipped by the sha256 ledger: the sequences reorder their rows where needed.)
    if ('files' in step) {
      const files = step.files.map(({ name, rows }, n) =>
        writeRows(fx.scratch, name, rows, n % 2 ? [...PENALTY_HEADER].reverse() : PENALTY_HEADER),
      );
      runs.push(await fx.ingest(files, { ...step.channel, receivedAt: day(runs.length) }));
      continue;
    }
    const columns = step.columns ?? (runs.length % 2 ? [...PENALTY_HEADER].reverse() : PENALTY_HEADER);
    const file = step.xlsx
      ? await writeWorkbook(fx.scratch, step.name, step.rows, columns)
      : writeRows(fx.scratch, step.name, step.rows, columns);
    if (step.edit) writeFileSync(file, step.edit(readFileSync(file, 'utf8')));
    runs.push(
      await withEnv(step.env ?? {}, () =>
        fx.ingest([file], {
          ...step.channel,
          receivedAt: step.receivedAt ?? day(runs.length),
          ...(step.ignoreColumns ? { ignoreColumns: step.ignoreColumns } : {}),
        }),
      ),
    );
  }
  return runs;
}

/**
 * The rows as a workbook's first sheet, every cell text. Built once per name: a workbook written twice differs in
 * its zip timestamps, and both warehouses must get the same bytes (source_files.sha256).
 */
const workbooks = new Map<string, Promise<Buffer>>();
async function writeWorkbook(
  dir: string,
  name: string,
  rows: PenaltyRow[],
  columns: readonly string[],
): Promise<string> {
  if (!workbooks.has(name)) {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Sheet1');
    sheet.addRow([...columns]);
    for (const row of rows) sheet.addRow(columns.map((column) => row[column] ?? ''));
    workbooks.set(
      name,
      book.xlsx.writeBuffer().then((bytes) => Buffer.from(bytes)),
    );
  }
  const file = path.join(dir, name);
  writeFileSync(file, await workbooks.get(name)!);
  return file;
}

/** The record of a row of the first file (one row per record, in the generated order). */
async function recordOfFirstLoad(warehouse: Warehouse, index: number): Promise<number> {
  const { rows } = await warehouse.raw<{ rows: { id: string }[] }>(
    `SELECT v.record_id AS id FROM record_versions v JOIN source_files f ON f.id = v.source_file_id
     WHERE f.id = (SELECT min(id) FROM source_files) ORDER BY v.row_number OFFSET ? LIMIT 1`,
    [index],
  );
  return Number(rows[0]!.id);
}

/** Another order of the same rows: a file repeating an earlier one's bytes would be skipped by the sha256 ledger. */
const rotate = <T>(list: T[], by: number) => [...list.slice(by), ...list.slice(0, by)];

const lines = async (warehouse: Warehouse, sql: string): Promise<unknown[]> =>
  (await warehouse.raw<{ rows: unknown[] }>(sql)).rows;

/**
 * Everything the warehouse keeps about the deliveries, with ids replaced by what they stand for (file names,
 * business keys, version numbers), each table ordered so that two warehouses compare line by line. Not compared:
 * the fast path's cache (redelivery_fingerprints, entry_generations), timestamps of the load itself, chain hashes
 * and digests (they hash ids and creation times; each warehouse checks its own digests instead).
 */
async function warehouseState(warehouse: Warehouse) {
  return {
    records: await lines(
      warehouse,
      `SELECT r.business_key, r.catalog_code, r.status, r.level, r.subject_code, v.version_no, v.content_hash,
         (SELECT s.business_key FROM records s WHERE s.id = r.superseded_by) AS superseded_by,
         r.status_procedure_id IS NOT NULL AS by_procedure
       FROM records r JOIN record_versions v ON v.id = r.current_version_id ORDER BY r.business_key`,
    ),
    versions: await lines(
      warehouse,
      `SELECT r.business_key, v.version_no, v.content_hash, v.data, v.catalog_version, v.formation_date::text,
         v.subject_code, f.name AS file, v.row_number, v.procedure_id IS NOT NULL AS by_procedure
       FROM record_versions v JOIN records r ON r.id = v.record_id LEFT JOIN source_files f ON f.id = v.source_file_id
       ORDER BY r.business_key, v.version_no`,
    ),
    lineage: await lines(
      warehouse,
      `SELECT f.name AS file, s.row_number, r.business_key, s.outcome, s.content_hash, v.version_no,
         s.provider_code, s.level, s.received_at, s.late, s.working_days, s.conflict_data, s.warnings,
         s.pending_formation_date::text, s.withdrawal_signal
       FROM record_sources s JOIN source_files f ON f.id = s.source_file_id JOIN records r ON r.id = s.record_id
       LEFT JOIN record_versions v ON v.id = s.version_id
       ORDER BY f.id, s.row_number, r.business_key, s.outcome`,
    ),
    summaries: await lines(
      warehouse,
      `SELECT f.name AS file, u.catalog_code, u.provider_code, u.level, u.rows, u.late, u.absent
       FROM unchanged_deliveries u JOIN source_files f ON f.id = u.source_file_id ORDER BY f.id`,
    ),
    absences: await lines(
      warehouse,
      `SELECT f.name AS file, r.business_key
       FROM unchanged_delivery_absences a JOIN source_files f ON f.id = a.source_file_id
       JOIN records r ON r.id = a.record_id ORDER BY f.id, r.business_key`,
    ),
    rejections: await lines(
      warehouse,
      `SELECT f.name AS file, j.row_number, j.catalog_code, j.provider_code, j.raw, j.errors
       FROM rejections j JOIN source_files f ON f.id = j.source_file_id ORDER BY f.id, j.row_number, j.id`,
    ),
    files: await lines(
      warehouse,
      `SELECT f.name, f.status, f.counts, f.blank_lines, f.error_code, f.catalog_code, f.catalog_version,
         f.provider_code, f.level, f.columns, f.received_at, f.sha256, f.forced, f.full_dump,
         (SELECT e.name FROM source_files e WHERE e.id = f.same_content_as) AS same_content_as
       FROM source_files f ORDER BY f.id`,
    ),
    runs: await lines(warehouse, `SELECT kind, status, counts, errors_by_code FROM runs ORDER BY id`),
    delivered: await lines(
      warehouse,
      `SELECT f.name, array_agg(r.business_key ORDER BY r.business_key) AS keys
       FROM source_files f CROSS JOIN LATERAL delivered_records(f.id) d JOIN records r ON r.id = d
       GROUP BY f.id, f.name ORDER BY f.id`,
    ),
  };
}

/** Each loaded file's stored digest is what its lineage and summary hash to now (nothing rewritten under it). */
async function digestsHold(warehouse: Warehouse): Promise<boolean[]> {
  const { rows } = await warehouse.raw<{ rows: { ok: boolean }[] }>(
    `SELECT digest = source_file_digest(id) AS ok FROM source_files WHERE status = 'loaded' ORDER BY id`,
  );
  return rows.map((row) => row.ok);
}

/** Per file of every run, in order: its rows recognised by fingerprint. */
const fastRows = (runs: RunSummary[]) => runs.flatMap((run) => run.files.map((unit) => unit.fastRows));

/** The result of the file of that name. */
function file(runs: RunSummary[], name: string) {
  const found = runs.flatMap((run) => run.files).find((unit) => unit.name === name);
  if (!found) throw new Error(`no file ${name} in the sequence`);
  return found;
}

const fastRowsOf = (runs: RunSummary[], name: string) => file(runs, name).fastRows;

/** Compares the two warehouses table by table, so a failure names the table that differs. */
function comparesWhole(both: () => { fast: WarehouseFixture; full: WarehouseFixture }) {
  it('leaves the same records, versions, lineage, summaries, rejections, files and runs', async () => {
    const { fast, full } = both();
    const [fastState, fullState] = await Promise.all([
      warehouseState(fast.warehouse),
      warehouseState(full.warehouse),
    ]);
    for (const table of Object.keys(fastState) as (keyof typeof fastState)[]) {
      expect(fastState[table], table).toEqual(fullState[table]);
    }
    // And every column of those tables but ids and times, as the other equivalence tests compare loads.
    expect(await canonicalState(fast.warehouse)).toEqual(await canonicalState(full.warehouse));
    const fastDigests = await digestsHold(fast.warehouse);
    expect(fastDigests.every(Boolean)).toBe(true);
    expect(await digestsHold(full.warehouse)).toEqual(fastDigests);
  });
}

describe('nightly re-deliveries: the fast path against the full path', () => {
  const all = basePenalties(46);
  // Row 20 carries a legally issued pilot-era code: loaded with a warning (uscc-pilot-check-digit) every night.
  // Rows 30–34 were decided the day before the first night: on time at first, late once the nights pass the
  // deadline (working days from the decision), so the summary's late count changes while the rows do not.
  const base = all
    .slice(0, 40)
    .map((row, i) =>
      i === 20
        ? edit(row, { [USCC]: PILOT_USCC })
        : i >= 30 && i < 35
          ? edit(row, { 处罚决定日期: '2026-11-09' })
          : row,
    );
  const [added, cityOnly, bad1, bad2, bad3] = all.slice(40) as PenaltyRow[];
  const correctedAt = [3, 13, 23, 33];
  // ~10% of the rows corrected, one new row.
  const second = [
    ...base.map((row, i) =>
      correctedAt.includes(i) ? edit(row, { [CONTENT]: `罚款人民币${i}万元（更正）` }) : row,
    ),
    added!,
  ];
  const cityRows = [
    second[0]!,
    edit(second[1]!, { [CONTENT]: '罚款人民币9万元（市级）' }),
    second[2]!,
    cityOnly!,
  ];
  // The province changes row 2 (the city delivered it equal) and takes over the city's own record.
  const third = [
    ...second.map((row, i) => (i === 2 ? edit(row, { [CONTENT]: '罚款人民币3万元（省级更正）' }) : row)),
    edit(cityOnly!, { [CONTENT]: '罚款人民币7万元（省级）' }),
  ];
  const without = (list: PenaltyRow[], index: number) => list.filter((_, i) => i !== index);
  const bad = [
    edit(bad1!, { 处罚决定日期: '2025-02-30' }),
    edit(bad2!, { 违法事实: '' }),
    edit(bad3!, { 处罚类别: '罚金' }),
  ];
  const steps = (): Step[] => [
    { name: 'p01-first.csv', channel: PROVINCE, rows: base },
    { name: 'p02-same.csv', channel: PROVINCE, rows: [...base].reverse() },
    { name: 'p03-corrected.csv', channel: PROVINCE, rows: second },
    { name: 'c01-city.csv', channel: CITY, rows: cityRows },
    // The city merged and inserted since: the province's cache may be stale.
    { name: 'p04-after-city.csv', channel: PROVINCE, rows: [...second].reverse() },
    { name: 'c02-city-same.csv', channel: CITY, rows: [...cityRows].reverse() },
    { name: 'p05-over-city.csv', channel: PROVINCE, rows: third },
    // The province changed two records the city stands in: its old content is a conflict now, not unchanged.
    { name: 'c03-city-old.csv', channel: CITY, rows: rotate(cityRows, 1) },
    { name: 'p06-dropped.csv', channel: PROVINCE, rows: without(third, 7) },
    { name: 'p07-back.csv', channel: PROVINCE, rows: [...third].reverse() },
    // Row 5 three times: a recognised row whose record another row of the file reaches.
    { name: 'p08-repeated.csv', channel: PROVINCE, rows: [...third, third[5]!, third[5]!] },
    // Row 6 corrected, and its old row too: two contents for one business key in one file.
    {
      name: 'p09-in-file-duplicate.csv',
      channel: PROVINCE,
      rows: [
        ...third.map((row, i) => (i === 6 ? edit(row, { [CONTENT]: '罚款人民币6万元（更正）' }) : row)),
        third[6]!,
      ],
    },
    {
      name: 'p10-bad-rows.csv',
      channel: PROVINCE,
      rows: [...third, ...bad, edit(third[8]!, { 处罚决定日期: '2026-13-01' })],
    },
    { name: 'p11-after-bad.csv', channel: PROVINCE, rows: rotate(third, 5) },
    {
      procedure: async (fx, recordOf) => {
        await correctRecord(
          fx.warehouse,
          fx.catalog,
          await recordOf(10),
          [`${CONTENT}=罚款人民币五千元`],
          GROUNDS,
        );
        await withdrawRecord(fx.warehouse, await recordOf(11), GROUNDS);
      },
    },
    // The procedures changed records under the province's cache: re-delivering the old content of both.
    { name: 'p12-after-procedures.csv', channel: PROVINCE, rows: rotate(third, 10) },
    { name: 'p13-settled.csv', channel: PROVINCE, rows: rotate(third, 15) },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_redelivery', steps));
  }, 240_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('loads every file both ways (no file skipped as a byte-for-byte repeat)', () => {
    for (const runs of [fastRuns, fullRuns]) {
      expect(runs.map((run) => [run.files[0]!.name, run.files[0]!.status])).toEqual(
        steps().flatMap((step) => ('name' in step ? [[step.name, 'loaded']] : [])),
      );
    }
  });

  it('gives every file the counts the full path gives', () => {
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.files[0]!.errorsByCode)).toEqual(
      fullRuns.map((run) => run.files[0]!.errorsByCode),
    );
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 40 },
      { unchanged: 40 },
      { updated: 4, inserted: 1, unchanged: 36 },
      { inserted: 1, merged: 2, conflict: 1 },
      { unchanged: 41 },
      { unchanged: 3, conflict: 1 },
      { updated: 2, unchanged: 40 },
      { unchanged: 1, conflict: 3 },
      { unchanged: 41 },
      { unchanged: 42 },
      // Row 5 three times: the same content, each occurrence counted unchanged.
      { unchanged: 44, rejected: 0 },
      // The corrected row 6 comes first and is applied; its old row later in the file is a duplicate key.
      { updated: 1, unchanged: 41, rejected: 1 },
      // Row 6's old content again (updated back), three new bad rows, row 8 spoiled.
      { updated: 1, unchanged: 41, rejected: 4 },
      { unchanged: 42 },
      // Row 10's old content against the procedure's correction (which stands); the withdrawn row 11, as it was
      // withdrawn, is a conflict too: a delivery never passes for a re-delivery of a record no longer current.
      { conflict: 2, unchanged: 40 },
      // The province still sends both: conflicts each night (row 11 never taken by its old fingerprint).
      { conflict: 2, unchanged: 40 },
    ]);
  });

  it('never takes the fast path under CREDIT_ETL_FAST_REDELIVERY=0', () => {
    expect(fastRows(fullRuns)).toEqual(Array(fullRuns.length).fill(0));
  });

  it('recognises the rows of a re-delivery the channel alone touched since its last file', () => {
    // First load: nothing to recognise.
    expect(fastRowsOf(fastRuns, 'p01-first.csv')).toBe(0);
    // All 40 rows, reversed and under a reversed header, but the warned row 20: it takes the full path.
    expect(fastRowsOf(fastRuns, 'p02-same.csv')).toBe(39);
    expect(file(fastRuns, 'p02-same.csv').counts).toMatchObject({
      unchanged: 40,
      warned: 1,
      inserted: 0,
      updated: 0,
    });
    // The rows neither corrected nor warned; the 4 corrected and the new one take the full path.
    expect(fastRowsOf(fastRuns, 'p03-corrected.csv')).toBe(35);
    expect(file(fastRuns, 'p03-corrected.csv').counts).toMatchObject({
      unchanged: 36,
      updated: 4,
      inserted: 1,
    });
    // Each right after a province file, nothing else loaded or changed in between.
    for (const name of ['p07-back.csv', 'p11-after-bad.csv', 'p13-settled.csv']) {
      expect(fastRowsOf(fastRuns, name), name).toBeGreaterThan(0);
    }
  });

  it('leaves a record reached by two rows of a file to the merge, as the full path does', () => {
    // Every row but those sharing a record stays fast (the fast one is staged again from its record's current
    // version for the merge to judge): not the warned row 20 nor row 5 (three times) in p08; not row 20, the
    // corrected row 6 nor its old row in p09.
    const taken: Record<string, number> = { 'p08-repeated.csv': 40, 'p09-in-file-duplicate.csv': 39 };
    for (const [name, fastRowsWithoutShared] of Object.entries(taken)) {
      expect(file(fastRuns, name).counts, name).toEqual(file(fullRuns, name).counts);
      expect(file(fastRuns, name).errorsByCode, name).toEqual(file(fullRuns, name).errorsByCode);
      expect(fastRowsOf(fastRuns, name), name).toBe(fastRowsWithoutShared);
    }
  });

  it('does not use a cache a legal procedure made stale', async () => {
    expect(file(fastRuns, 'p12-after-procedures.csv').counts).toEqual(
      file(fullRuns, 'p12-after-procedures.csv').counts,
    );
    // Both ways the same rows: the corrected record 10 keeps its correction, the withdrawn 11 stays withdrawn, and
    // the province's rows of both are conflicts, the night after the procedures and the night after that (when the
    // cache is used again, row 11's fingerprint of before the withdrawal takes nothing).
    for (const fx of [fast, full]) {
      const [corrected, withdrawn] = [
        await recordOfFirstLoad(fx.warehouse, 10),
        await recordOfFirstLoad(fx.warehouse, 11),
      ];
      for (const name of ['p12-after-procedures.csv', 'p13-settled.csv'])
        expect(
          await lines(
            fx.warehouse,
            `SELECT s.record_id::int AS record, s.outcome FROM record_sources s JOIN source_files f ON f.id = s.source_file_id
             WHERE f.name = '${name}' AND s.outcome <> 'unchanged' ORDER BY s.record_id`,
          ),
          name,
        ).toEqual(
          [
            { record: corrected, outcome: 'conflict' },
            { record: withdrawn, outcome: 'conflict' },
          ].sort((a, b) => a.record - b.record),
        );
      expect((await fx.warehouse('records').where('id', withdrawn).first('status')).status).toBe('withdrawn');
    }
    expect(fastRowsOf(fastRuns, 'p12-after-procedures.csv')).toBe(0);
    expect(fastRowsOf(fastRuns, 'p13-settled.csv')).toBeGreaterThan(0);
  });

  it('counts late rows per night as the full path does, on time at first and late later', () => {
    const late = fastRuns.map((run) => run.counts.late);
    expect(late).toEqual(fullRuns.map((run) => run.counts.late));
    const province = fastRuns.filter((run) => run.files[0]!.name.startsWith('p'));
    expect(province[0]!.counts).toMatchObject({ read: 40, late: 35 });
    expect(province.at(-1)!.counts).toMatchObject({ read: 42, late: 42 });
  });

  it('gives the city conflicts once the province changed its records, both ways', () => {
    const city = file(fastRuns, 'c03-city-old.csv');
    expect(city.counts).toEqual(file(fullRuns, 'c03-city-old.csv').counts);
    // Row 1 differed from the start; row 2 and the city's own record were changed by the province since.
    expect(city.counts).toMatchObject({ conflict: 3, unchanged: 1, merged: 0 });
  });

  it('rejects the bad rows both ways with the same error codes', async () => {
    const name = 'p10-bad-rows.csv';
    expect(file(fastRuns, name).counts).toMatchObject({ rejected: 4 });
    const codes = async (fx: WarehouseFixture) =>
      lines(
        fx.warehouse,
        `SELECT j.row_number, e->>'field' AS field, e->>'code' AS code
         FROM rejections j JOIN source_files f ON f.id = j.source_file_id
         CROSS JOIN LATERAL jsonb_array_elements(j.errors) e
         WHERE f.name = '${name}' ORDER BY 1, 2, 3`,
      );
    const fastCodes = (await codes(fast)) as { code: string }[];
    expect(fastCodes).toEqual(await codes(full));
    expect(fastCodes.map((row) => row.code).sort()).toEqual(
      ['invalid-date', 'invalid-date', 'missing-value', 'not-in-code-list'].sort(),
    );
  });

  comparesWhole(() => ({ fast, full }));
});

describe('several files of a channel in one run: each is recognised against the file before it', () => {
  const rows = basePenalties(20, 23);
  const corrected = rows.map((row, i) =>
    i % 10 === 4 ? edit(row, { [CONTENT]: `罚款人民币${i}万元（更正）` }) : row,
  );
  const steps = (): Step[] => [
    {
      channel: PROVINCE,
      files: [
        { name: 'r1.csv', rows },
        { name: 'r2-corrected.csv', rows: corrected },
        { name: 'r3-same.csv', rows: [...corrected].reverse() },
      ],
    },
    // The city, in a run between, takes nothing from the province's cache, and leaves it usable.
    { channel: CITY, files: [{ name: 'c1.csv', rows: [rows[0]!, rows[1]!] }] },
    {
      channel: PROVINCE,
      files: [
        { name: 'r4-same.csv', rows: rotate(corrected, 5) },
        { name: 'r5-dropped.csv', rows: corrected.slice(1) },
        { name: 'r6-back.csv', rows: rotate(corrected, 10) },
      ],
    },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_one_run', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('gives each file the counts the full path gives, and recognises the rows the file before kept', () => {
    const files = (runs: RunSummary[]) => runs.flatMap((run) => run.files);
    expect(files(fastRuns).map((unit) => unit.status)).toEqual(Array(7).fill('loaded'));
    expect(files(fastRuns).map((unit) => unit.counts)).toEqual(files(fullRuns).map((unit) => unit.counts));
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(files(fastRuns).map((unit) => unit.counts)).toMatchObject([
      { inserted: 20 },
      { updated: 2, unchanged: 18 },
      { unchanged: 20 },
      { merged: 2 },
      { unchanged: 20 },
      { unchanged: 19 },
      { unchanged: 20 },
    ]);
    expect(fastRowsOf(fastRuns, 'r2-corrected.csv')).toBe(18);
    expect(fastRowsOf(fastRuns, 'r3-same.csv')).toBe(20);
    expect(fastRowsOf(fastRuns, 'r5-dropped.csv')).toBe(19);
    expect(fastRows(fullRuns)).toEqual(Array(7).fill(0));
  });

  comparesWhole(() => ({ fast, full }));
});

describe('text typed otherwise (spaces, list order): the same content, rows of their own', () => {
  const rows = basePenalties(12, 31);
  const FACTS = '违法事实';
  const CATEGORY = '处罚类别';
  // Stored as typed, compared folded (content-hash.ts): neither is taken for a correction.
  const retyped = rows.map((row, i) =>
    i === 2
      ? edit(row, { [CATEGORY]: row[CATEGORY]!.split(/[;；]/).reverse().join(';') })
      : i === 3
        ? edit(row, { [FACTS]: ` ${row[FACTS]!.replaceAll('，', '， ')} ` })
        : row,
  );
  const steps = (): Step[] => [
    { name: 't1.csv', channel: PROVINCE, rows },
    // Row 2 retyped continues its run (compacted); row 3 is missing.
    { name: 't2-retyped.csv', channel: PROVINCE, rows: retyped.filter((_, i) => i !== 3) },
    // Row 3 back, retyped: written out (its run had ended).
    { name: 't3-retyped-back.csv', channel: PROVINCE, rows: rotate(retyped, 4) },
    { name: 't4-retyped-again.csv', channel: PROVINCE, rows: rotate(retyped, 8) },
    // Rows 2 and 3 corrected, then their retyped rows again (recognised by their fingerprints, if kept):
    // duplicate keys, rejected with the cells each row was delivered with.
    {
      name: 't5-duplicates.csv',
      channel: PROVINCE,
      rows: [
        edit(retyped[2]!, { [CONTENT]: '罚款人民币2万元（更正）' }),
        edit(retyped[3]!, { [CONTENT]: '罚款人民币3万元（更正）' }),
        ...retyped,
      ],
    },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_retyped', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('counts the retyped rows unchanged both ways, and recognises the others', () => {
    expect(retyped[2]![CATEGORY]).not.toBe(rows[2]![CATEGORY]);
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 12 },
      { unchanged: 11 },
      { unchanged: 12 },
      { unchanged: 12 },
      { updated: 2, unchanged: 10, rejected: 2 },
    ]);
    expect(fastRowsOf(fastRuns, 't2-retyped.csv')).toBe(10);
    // Recognised once the retyped cells are the ones the record was stored from; a row stored otherwise (folded
    // equal, typed otherwise) may also keep taking the full path.
    expect(fastRowsOf(fastRuns, 't4-retyped-again.csv')).toBeGreaterThanOrEqual(10);
  });

  it('rejects the duplicate with the cells of its own row, as the full path does', async () => {
    const raw = async (fx: WarehouseFixture) =>
      lines(
        fx.warehouse,
        `SELECT j.row_number, j.raw, j.errors->0->>'code' AS code FROM rejections j
         JOIN source_files f ON f.id = j.source_file_id WHERE f.name = 't5-duplicates.csv' ORDER BY 1`,
      );
    const fastRaw = (await raw(fast)) as { raw: Record<string, unknown> }[];
    expect(fastRaw).toEqual(await raw(full));
    expect(fastRaw).toHaveLength(2);
  });

  comparesWhole(() => ({ fast, full }));
});

describe('nights loaded otherwise in between (full path, full lineage): the cache stays true', () => {
  const rows = basePenalties(16, 41);
  const corrected = rows.map((row, i) =>
    i === 9 ? edit(row, { [CONTENT]: '罚款人民币9万元（更正）' }) : row,
  );
  const steps = (): Step[] => [
    { name: 'm1.csv', channel: PROVINCE, rows },
    // A night on the full path: it keeps the cache all the same (the channel's last loaded file).
    {
      name: 'm2-full-path.csv',
      channel: PROVINCE,
      rows: rotate(rows, 3),
      env: { CREDIT_ETL_FAST_REDELIVERY: '0' },
    },
    { name: 'm3.csv', channel: PROVINCE, rows: rotate(rows, 6) },
    // One lineage row for every delivered row: no compact summary, so nothing may be counted into one.
    {
      name: 'm4-full-lineage.csv',
      channel: PROVINCE,
      rows: corrected,
      env: { CREDIT_ETL_FULL_LINEAGE: '1' },
    },
    { name: 'm5.csv', channel: PROVINCE, rows: rotate(corrected, 2) },
    { name: 'm6.csv', channel: PROVINCE, rows: rotate(corrected, 4) },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_mixed', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('gives the counts the full path gives; recognises rows after a full-path night, none under full lineage', async () => {
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 16 },
      { unchanged: 16 },
      { unchanged: 16 },
      { updated: 1, unchanged: 15 },
      { unchanged: 16 },
      { unchanged: 16 },
    ]);
    expect(fastRowsOf(fastRuns, 'm2-full-path.csv')).toBe(0);
    expect(fastRowsOf(fastRuns, 'm3.csv')).toBe(16);
    expect(fastRowsOf(fastRuns, 'm4-full-lineage.csv')).toBe(0);
    expect(fastRowsOf(fastRuns, 'm6.csv')).toBe(16);
    const lineageRows = async (fx: WarehouseFixture) =>
      lines(
        fx.warehouse,
        `SELECT count(*)::int AS n FROM record_sources s JOIN source_files f ON f.id = s.source_file_id
         WHERE f.name = 'm4-full-lineage.csv'`,
      );
    expect(await lineageRows(fast)).toEqual([{ n: 16 }]);
  });

  comparesWhole(() => ({ fast, full }));
});

describe('a night in another format in between: the cache of the night before is not used', () => {
  const rows = basePenalties(16, 43);
  const steps = (): Step[] => [
    { name: 'x1.csv', channel: PROVINCE, rows },
    // Read by the full path only (no fingerprints kept), and row 5 missing: its run ends here.
    { name: 'x2.xlsx', channel: PROVINCE, rows: rows.filter((_, i) => i !== 5), xlsx: true },
    // Row 5 is back: written out as a new run, not counted as continuing one (which x1's cache would say).
    { name: 'x3.csv', channel: PROVINCE, rows: rotate(rows, 3) },
    { name: 'x4.csv', channel: PROVINCE, rows: rotate(rows, 6) },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_other_format', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('gives the counts and summaries the full path gives', async () => {
    expect(fastRuns.map((run) => run.files[0]!.status)).toEqual(Array(4).fill('loaded'));
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 16 },
      { unchanged: 15 },
      { unchanged: 16 },
      { unchanged: 16 },
    ]);
    const summaries = async (fx: WarehouseFixture) =>
      lines(
        fx.warehouse,
        `SELECT f.name, u.rows, u.absent FROM unchanged_deliveries u JOIN source_files f ON f.id = u.source_file_id
         ORDER BY f.id`,
      );
    expect(await summaries(fast)).toEqual([
      { name: 'x2.xlsx', rows: 15, absent: 1 },
      { name: 'x3.csv', rows: 15, absent: 0 },
      { name: 'x4.csv', rows: 16, absent: 0 },
    ]);
    expect(fastRowsOf(fastRuns, 'x2.xlsx')).toBe(0);
    expect(fastRowsOf(fastRuns, 'x4.csv')).toBe(16);
  });

  comparesWhole(() => ({ fast, full }));
});

describe('a record the byte-level skim leaves to the parser, a file without a final line break: recognised all the same', () => {
  const rows = basePenalties(12, 47);
  /** The first cell of data row `n` quoted with a space before its delimiter (the parser drops the space). */
  const spaceAfterQuote = (n: number) => (csv: string) =>
    csv
      .split('\n')
      .map((line, i) => (i === n ? line.replace(/^([^,"]*),/, '"$1" ,') : line))
      .join('\n');
  const steps = (): Step[] => [
    { name: 'k1.csv', channel: PROVINCE, rows },
    { name: 'k2.csv', channel: PROVINCE, rows: rotate(rows, 2), edit: spaceAfterQuote(4) },
    { name: 'k3.csv', channel: PROVINCE, rows: rotate(rows, 5), edit: (csv) => csv.replace(/\r?\n$/, '') },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_skim_declined', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('gives the counts the full path gives, every row recognised', () => {
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 12 },
      { unchanged: 12 },
      { unchanged: 12 },
    ]);
    expect(fastRows(fastRuns)).toEqual([0, 12, 12]);
  });

  comparesWhole(() => ({ fast, full }));
});

describe('a stray quote, and line endings that change midway: the skim and the parser read the same rows', () => {
  const rows = basePenalties(12, 53);
  const AUTHORITY = '处罚机关';
  const STRAY = 'STRAY-QUOTE';
  /** Data row 4 (file row 5) holds the placeholder its 处罚机关 is written over with: a quote Excel does not close. */
  const strayRows = rotate(rows, 2).map((row, i) => (i === 3 ? edit(row, { [AUTHORITY]: STRAY }) : row));
  const strayQuote = (csv: string) => csv.replace(STRAY, '"济南市"市场监督管理局');
  /** A corrected row, its line ending in a lone CR and followed by a known row and a blank LF line. */
  const mixedRows = rotate(rows, 5).map((row, i) =>
    i === 1 ? edit(row, { [CONTENT]: '警告（更正）' }) : row,
  );
  const mixedEndings = (csv: string) => {
    // The generated cells hold LF only, never CRLF: every CRLF ends a record.
    const [header, ...records] = csv.split('\r\n').slice(0, -1);
    const ending = (i: number) => (i === 1 ? '\r' : i === 2 ? '\n\n' : i < 6 ? '\r\n' : '\n');
    return `${header}\r\n${records.map((record, i) => record + ending(i)).join('')}`;
  };
  const steps = (): Step[] => [
    { name: 'q1.csv', channel: PROVINCE, rows },
    { name: 'q2.csv', channel: PROVINCE, rows: strayRows, edit: strayQuote },
    { name: 'q3.csv', channel: PROVINCE, rows: mixedRows, edit: mixedEndings },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_quotes_line_ends', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it("gives every row of each file one outcome, the stray quote's row alone rejected, as the full path does", async () => {
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { read: 12, inserted: 12 },
      { read: 12, unchanged: 11, rejected: 1 },
      { read: 12, unchanged: 11, updated: 1 },
    ]);
    for (const [runs, fx] of [
      [fastRuns, fast],
      [fullRuns, full],
    ] as const)
      expect(await flatRejections(fx.warehouse, runs[1]!.runId)).toEqual([
        [5, 'CF_CFJG', 'malformed-quotes'],
      ]);
    // q3: the corrected row takes the full path, and so does the row q2 rejected (its record left the cache).
    expect(fastRows(fastRuns)).toEqual([0, 11, 10]);
  });

  it("skims both files, leaving only the stray quote's record and the rows around the lone CR to the parser", async () => {
    for (const name of ['q2.csv', 'q3.csv']) {
      const bytes = readFileSync(path.join(fast.scratch, name));
      // As the fast path's cache would: every row known but q3's corrected row 3 (the record ending in a lone CR).
      const skimmed = await openSkimmedCsv(
        Readable.from([bytes]),
        { encoding: 'utf8' },
        PENALTY_HEADER.length,
        {
          take: (record) => name === 'q2.csv' || record.rowNumber !== 3,
        },
      );
      const parsed: number[] = [];
      for await (const batch of skimmed.rows.batches) parsed.push(...batch.map((row) => row.rowNumber));
      expect(skimmed.declined(), name).toBeUndefined();
      expect([name, skimmed.taken(), parsed]).toEqual(
        // Row 4 ends in LF after row 3's lone CR: cut out, it would make CRLF of that CR and the blank line's LF.
        name === 'q2.csv' ? [name, 11, [5]] : [name, 10, [3, 4]],
      );
    }
  });

  comparesWhole(() => ({ fast, full }));
});

describe('an incremental file between full dumps: few rows recognised, the summary decided as the full path does', () => {
  const rows = basePenalties(20, 47);
  const steps = (): Step[] => [
    { name: 'i1-dump.csv', channel: PROVINCE, rows },
    // Two of twenty standing records: no summary for this file, so nothing may be counted into one.
    { name: 'i2-increment.csv', channel: PROVINCE, rows: rows.slice(0, 2) },
    { name: 'i3-dump.csv', channel: PROVINCE, rows: rotate(rows, 5) },
    { name: 'i4-dump.csv', channel: PROVINCE, rows: rotate(rows, 10) },
    // An increment of half the dump less one: still too few for a summary.
    { name: 'i5-increment.csv', channel: PROVINCE, rows: rows.slice(0, 9) },
    { name: 'i6-dump.csv', channel: PROVINCE, rows: rotate(rows, 15) },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_incremental', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('gives the counts and summaries the full path gives, and recognises the next full dump', async () => {
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 20 },
      { unchanged: 2 },
      { unchanged: 20 },
      { unchanged: 20 },
      { unchanged: 9 },
      { unchanged: 20 },
    ]);
    const summaries = async (fx: WarehouseFixture) =>
      lines(
        fx.warehouse,
        `SELECT f.name, u.rows, u.absent FROM unchanged_deliveries u JOIN source_files f ON f.id = u.source_file_id
         ORDER BY f.id`,
      );
    expect(await summaries(fast)).toEqual(await summaries(full));
    expect(fastRowsOf(fastRuns, 'i4-dump.csv')).toBe(20);
  });

  comparesWhole(() => ({ fast, full }));
});

describe.each([
  ['on the fast path', {}],
  // The cache the next night uses is then the one the full path kept.
  ['on the full path', { CREDIT_ETL_FAST_REDELIVERY: '0' }],
])('a legal procedure committed while a re-delivery is loaded %s', (_, duringEnv: Record<string, string>) => {
  const rows = basePenalties(12, 53);
  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  /**
   * n3 is loaded while a correction of row 4's record is under way in another session: the procedure has changed
   * the record (not yet committed) when the load starts, and commits once the load waits for a lock that session
   * holds (on the full path, and on the fast path as it stands: writing the file's summary). n3 may be judged
   * before or after the correction (either is a serial order of the two), but n4 meets the corrected record: the
   * province's old content is a `conflict` there (a correction stands), on both paths.
   */
  async function load(fx: WarehouseFixture): Promise<RunSummary[]> {
    const ingest = (name: string, list: PenaltyRow[], n: number, env: Record<string, string> = {}) =>
      withEnv(env, () =>
        fx.ingest(
          [writeRows(fx.scratch, name, list, n % 2 ? [...PENALTY_HEADER].reverse() : PENALTY_HEADER)],
          {
            ...PROVINCE,
            receivedAt: day(n),
          },
        ),
      );
    const runs = [await ingest('n1.csv', rows, 0), await ingest('n2.csv', rotate(rows, 3), 1)];
    const record = await recordOfFirstLoad(fx.warehouse, 4);
    let loading: Promise<RunSummary> | undefined;
    await fx.owner.transaction(async (trx) => {
      await trx.raw('LOCK TABLE unchanged_deliveries IN EXCLUSIVE MODE');
      await correctRecord(trx, fx.catalog, record, [`${CONTENT}=罚款人民币四千元`], GROUNDS);
      loading = ingest('n3.csv', rotate(rows, 6), 2, duringEnv);
      let settled = false;
      void loading.finally(() => {
        settled = true;
      });
      // Commit once the load waits for this session (or has ended without).
      for (let waited = 0; !settled && waited < 30_000; waited += 50) {
        const { rows: waiting } = await fx.owner.raw<{ rows: unknown[] }>(
          `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE NOT l.granted AND a.datname = current_database()`,
        );
        if (waiting.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    runs.push(await loading!);
    runs.push(await ingest('n4.csv', rotate(rows, 9), 3));
    return runs;
  }

  beforeAll(async () => {
    [fast, full] = await Promise.all([
      openWarehouseFixture('fast_concurrent_fast'),
      openWarehouseFixture('fast_concurrent_full'),
    ]);
    fastRuns = await load(fast);
    fullRuns = await withEnv({ CREDIT_ETL_FAST_REDELIVERY: '0' }, () => load(full));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('keeps the correction against the province content by the next night, as the full path does', async () => {
    for (const runs of [fastRuns, fullRuns]) {
      // n3 in either serial order: before the correction (all unchanged) or after it (row 4 a conflict).
      const { conflict, unchanged, updated } = runs[2]!.counts;
      expect([
        { conflict: 0, unchanged: 12, updated: 0 },
        { conflict: 1, unchanged: 11, updated: 0 },
      ]).toContainEqual({ conflict, unchanged, updated });
      expect(runs[3]!.counts).toMatchObject({ conflict: 1, unchanged: 11, updated: 0 });
    }
    expect(await currentState(fast.warehouse)).toEqual(await currentState(full.warehouse));
    const corrected = await recordOfFirstLoad(full.warehouse, 4);
    const version = await full
      .warehouse('records as r')
      .join('record_versions as v', 'v.id', 'r.current_version_id')
      .where('r.id', corrected)
      .first('v.procedure_id');
    expect(version?.procedure_id).not.toBeNull();
    expect(fastRowsOf(fastRuns, 'n2.csv')).toBe(12);
  });
});

describe('the set of columns: a reordered header is recognised, another set of columns is not', () => {
  const rows = basePenalties(12, 17);
  const header = [...PENALTY_HEADER];
  const withoutRemark = PENALTY_HEADER.filter((column) => column !== '备注');
  // An integrator's bookkeeping column, ignored by the pipeline (ignoreColumns), its value new every night.
  const stamped = (night: number) =>
    rows.map((row, i) => ({ ...row, create_time: `2026-11-1${night} 0${i % 10}:00` }));
  const steps = (): Step[] => [
    { name: 'd1.csv', channel: PROVINCE, rows, columns: header },
    { name: 'd2-reordered.csv', channel: PROVINCE, rows, columns: [...header].reverse() },
    // A trailing column with no header and no values: mapped to no field, read by the full path as nothing.
    { name: 'd3-blank-column.csv', channel: PROVINCE, rows, columns: [...header, ''] },
    { name: 'd4.csv', channel: PROVINCE, rows: [...rows].reverse(), columns: header },
    {
      name: 'd5-reordered.csv',
      channel: PROVINCE,
      rows: [...rows.slice(6), ...rows.slice(0, 6)],
      columns: [...header].reverse(),
    },
    { name: 'd6-without-remark.csv', channel: PROVINCE, rows, columns: withoutRemark },
    {
      name: 'd7-ignored-column.csv',
      channel: PROVINCE,
      rows: stamped(7),
      columns: [...header, 'create_time'],
      ignoreColumns: ['create_time'],
    },
    {
      name: 'd8-ignored-column.csv',
      channel: PROVINCE,
      rows: stamped(8),
      columns: ['create_time', ...header].reverse(),
      ignoreColumns: ['create_time'],
    },
  ];

  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_columns', steps));
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('loads every file with the same counts both ways: all rows unchanged after the first', () => {
    expect(fastRuns.map((run) => run.files[0]!.status)).toEqual(Array(8).fill('loaded'));
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.slice(1).map((run) => run.counts)).toMatchObject(Array(7).fill({ unchanged: 12 }));
    expect(fastRows(fullRuns)).toEqual(Array(8).fill(0));
  });

  it('recognises rows under a reordered header', () => {
    expect(fastRowsOf(fastRuns, 'd2-reordered.csv')).toBe(12);
    expect(fastRowsOf(fastRuns, 'd5-reordered.csv')).toBe(12);
  });

  it('recognises none under another set of columns', () => {
    for (const name of ['d3-blank-column.csv', 'd6-without-remark.csv', 'd7-ignored-column.csv']) {
      expect(fastRowsOf(fastRuns, name), name).toBe(0);
    }
  });

  comparesWhole(() => ({ fast, full }));
});

describe('timeliness pending (a year without calendar data): those rows take the full path', () => {
  // Received in 2027 with a calendar that lacks 2026 too: the working days from the decision are unknown (with
  // 2026 known, a decision of 2026-10-30 would be late already). The decision date lies before today on any clock
  // this suite runs on (x-notFuture), without faked timers: the compiled validator keeps the clock it was compiled
  // with across the files of this suite.
  const rows = basePenalties(6, 29).map((row) => edit(row, { 处罚决定日期: '2026-10-30' }));
  const january = (n: number) => new Date(`2027-01-0${4 + n}T10:00:00+08:00`);
  const steps = (): Step[] =>
    [rows, [...rows].reverse(), [...rows.slice(3), ...rows.slice(0, 3)]].map((list, n) => ({
      name: `j${n}.csv`,
      channel: PROVINCE,
      rows: list,
      receivedAt: january(n),
    }));
  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    const shipped = calendar();
    const years = shippedHolidays();
    delete years.years['2026'];
    useCalendar(createCalendar(years));
    try {
      ({ fast, full, fastRuns, fullRuns } = await deliverBoth('fast_pending', steps));
    } finally {
      useCalendar(shipped);
    }
  }, 120_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('counts them pending and unchanged as the full path does, none recognised', () => {
    expect(fastRuns.map((run) => run.counts)).toEqual(fullRuns.map((run) => run.counts));
    expect(fastRuns.map((run) => run.counts)).toMatchObject([
      { inserted: 6, pending: 6 },
      { unchanged: 6, pending: 6 },
      { unchanged: 6, pending: 6 },
    ]);
    expect(fastRows(fastRuns)).toEqual([0, 0, 0]);
  });

  comparesWhole(() => ({ fast, full }));
});

/**
 * Sixteen steps drawn from a seed: mostly full dumps of the province (rows now and then dropped, corrected, or set
 * back to an earlier content; new records appearing), city files over some of the same records, incremental files,
 * rows repeated or duplicated within a file, bad rows, a row with a warning, text of tabs, quotes, backslashes and
 * line breaks (also typed otherwise, or with a NUL), two files in one run, other line breaks or a byte order mark,
 * and legal procedures between nights. What the hand-written sequences above do not think of, the draw may
 * (forty-three seeds were run when it was written, every one alike both ways).
 */
function randomNights(seed: number): Step[] {
  const next = seededRandom(seed);
  const chance = (p: number) => next() < p;
  const draw = (n: number) => Math.floor(next() * n);
  // One company's record carries a legally issued pilot-era code: loaded with a warning, never taken by fingerprint.
  const generated = basePenalties(36, seed);
  const pilot = generated.findIndex((row) => row[USCC] !== '');
  const rows = generated.map((row, i) => (i === pilot ? edit(row, { [USCC]: PILOT_USCC }) : row));
  // Record i in content k: 0 as generated, 1–3 corrected (a later night may set an earlier one back), 4 a text of
  // a tab, quotes, a backslash and a line break, 5 the same typed otherwise (a zero-width space, an ideographic one
  // at its start: the same content from other bytes), 6 with a NUL (rejected). A night in LF line breaks turns the
  // CRLF inside 4 and 5 into LF: the same content again from other bytes.
  const tricky = (i: number) => `罚款人民币\t${i}万元，"从重"\\处罚\r\n另责令改正`;
  const contents = [
    undefined,
    ...[1, 2, 3].map((k) => (i: number) => `罚款人民币${i}万元（第${k}版）`),
    tricky,
    (i: number) => `\u3000${tricky(i).replace('从重', '从\u200B重')}`,
    (i: number) => `${tricky(i)}\u0000`,
  ];
  const content = (i: number, k: number) =>
    k === 0 ? rows[i]! : edit(rows[i]!, { [CONTENT]: contents[k]!(i) });
  const cityRecords = [0, 1, 2, 3, 4, 5, 33, 34];
  const lastSent = { province: new Map<number, number>(), city: new Map<number, number>() };
  let provinceRecords = Array.from({ length: 30 }, (_, i) => i);
  const withdrawn = new Set<number>();
  const steps: Step[] = [{ name: `r${seed}-01-province.csv`, channel: PROVINCE, rows: rows.slice(0, 30) }];
  for (const i of provinceRecords) lastSent.province.set(i, 0);
  while (steps.length < 16) {
    const n = String(steps.length + 1).padStart(2, '0');
    if (chance(0.1)) {
      // A withdrawn record takes no further procedure.
      const index = draw(30);
      if (withdrawn.has(index)) continue;
      const withdraw = chance(0.4);
      if (withdraw) withdrawn.add(index);
      steps.push({
        procedure: async (fx, recordOf) => {
          const record = await recordOf(index);
          if (withdraw) await withdrawRecord(fx.warehouse, record, GROUNDS);
          else
            await correctRecord(fx.warehouse, fx.catalog, record, [`${CONTENT}=罚款人民币${n}元`], GROUNDS);
        },
      });
      continue;
    }
    const channel = chance(0.7) ? PROVINCE : CITY;
    const sent = lastSent[channel.level];
    if (channel === PROVINCE && provinceRecords.length < 36 && chance(0.2))
      provinceRecords = [...provinceRecords, provinceRecords.length];
    const records = channel === PROVINCE ? provinceRecords : cityRecords;
    const included = chance(0.1) ? records.filter(() => chance(0.15)) : records.filter(() => !chance(0.03));
    const night: PenaltyRow[] = included.map((i) => {
      const k = chance(0.85) && sent.has(i) ? sent.get(i)! : draw(contents.length);
      sent.set(i, k);
      return content(i, k);
    });
    if (night.length > 0 && chance(0.15)) night.push(night[draw(night.length)]!);
    if (included.length > 0 && chance(0.1)) {
      const i = included[draw(included.length)]!;
      night.push(content(i, (sent.get(i)! + 1) % contents.length));
    }
    if (chance(0.15)) night.push(edit(rows[records[draw(records.length)]!]!, { 处罚决定日期: '2026-02-30' }));
    for (let i = night.length - 1; i > 0; i--) {
      const j = draw(i + 1);
      [night[i], night[j]] = [night[j]!, night[i]!];
    }
    const name = `r${seed}-${n}-${channel.level}.csv`;
    if (channel === PROVINCE && chance(0.1)) {
      // Two files in one run: the second is recognised against the first.
      const again = [...night].reverse();
      steps.push({
        channel,
        files: [
          { name, rows: night },
          { name: name.replace('.csv', 'b.csv'), rows: again },
        ],
      });
      continue;
    }
    // Line feeds for CRLF, or a byte order mark: bytes the skim must read as the parser does.
    const text = [
      undefined,
      undefined,
      (csv: string) => csv.replaceAll('\r\n', '\n'),
      (csv: string) => `\uFEFF${csv}`,
    ];
    const retyped = text[draw(text.length)];
    steps.push({ name, channel, rows: night, ...(retyped ? { edit: retyped } : {}) });
  }
  return steps;
}

describe.each([71, 72, 73])('nights drawn from seed %i: the fast path against the full path', (seed) => {
  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: RunSummary[];
  let fullRuns: RunSummary[];

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBoth(`fast_random_${seed}`, () => randomNights(seed)));
  }, 240_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('gives every file the counts and errors the full path gives, and takes rows by fingerprint', () => {
    expect(fastRuns.map((run) => run.files.map((unit) => [unit.name, unit.status, unit.counts]))).toEqual(
      fullRuns.map((run) => run.files.map((unit) => [unit.name, unit.status, unit.counts])),
    );
    expect(fastRuns.map((run) => run.files[0]!.errorsByCode)).toEqual(
      fullRuns.map((run) => run.files[0]!.errorsByCode),
    );
    // The draw is not idle: the fast path served nights, and the full path saw corrections.
    expect(fastRows(fastRuns).filter((rows) => (rows ?? 0) > 0).length).toBeGreaterThan(3);
    expect(fastRuns.some((run) => run.counts.updated > 0)).toBe(true);
  });

  comparesWhole(() => ({ fast, full }));
});
