import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifySummary } from '../src/verify/verify-warehouse.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const PROVINCE = { level: 'province', provider: '113700000000000000', receivedAt: RECEIVED } as const;
const CITY = { level: 'city', provider: '113701000000000000', receivedAt: RECEIVED } as const;

/**
 * A file's v1 digest covers its lineage's rows, outcomes and content hashes: not who delivered it, when, in which
 * run, the ids its lineage names, its conflict data or its rejections. Since 043 `digest_v2` does, and verify names
 * a file whose delivery was rewritten behind the engine (`file-delivery-differs`).
 */
describe('verify: a rewritten delivery, lineage id, conflict or rejection is named (043 digest v2)', () => {
  let fx: WarehouseFixture;
  /** A superuser session with every trigger off: what an attacker with the server's keys can do. */
  let superuser: pg.Client;
  const rows = basePenalties(4, 4401);
  const row = (i: number) => rows[i] as PenaltyRow;
  let provinceFile = 0;
  let cityFile = 0;

  const verify = async () => {
    const result = await runCli(['verify', '--json'], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    });
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as VerifySummary;
    return {
      code: result.code,
      files: (summary.files ?? []).map((finding) => [finding.sourceFileId, finding.problem]),
      records: summary.records ?? [],
    };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_delivery_digest');
    superuser = new pg.Client({ connectionString: fx.url });
    await superuser.connect();
    await superuser.query('SET session_replication_role = replica');
    // The province's file: three rows and one rejected (an amount that is no number).
    const province = await fx.ingest(
      [
        writeRows(fx.scratch, 'province.csv', [
          ...rows.slice(0, 3),
          edit(row(3), { '罚款金额（万元）': '十万' }),
        ]),
      ],
      PROVINCE,
    );
    expect(province.counts).toMatchObject({ read: 4, inserted: 3, rejected: 1 });
    // The city's other content of row 0: a conflict (a lower channel may not change it), with its conflict data.
    const city = await fx.ingest(
      [writeRows(fx.scratch, 'city.csv', [edit(row(0), { 处罚内容: '罚款人民币9万元（市级）' })])],
      CITY,
    );
    expect(city.counts).toMatchObject({ read: 1, conflict: 1 });
    provinceFile = Number(province.files[0]?.sourceFileId);
    cityFile = Number(city.files[0]?.sourceFileId);
  }, 120_000);
  afterAll(async () => {
    await superuser?.end();
    await fx?.close();
  });

  it('sets the second digest with the first, which the loader cannot write itself', async () => {
    const files = await fx.owner('source_files').orderBy('id').select('id', 'digest', 'digest_v2');
    expect(files.map((file) => [Number(file.id), /^[0-9a-f]{64}$/.test(file.digest_v2 ?? '')])).toEqual([
      [provinceFile, true],
      [cityFile, true],
    ]);
    await expect(
      fx.warehouse('source_files').where({ id: provinceFile }).update({ digest_v2: 'forged' }),
    ).rejects.toThrow(/permission denied/);
    const { code, files: found, records } = await verify();
    expect([code, found, records]).toEqual([0, [], []]);
  });

  it('logs the second digest with the first, as the database stored them, to anchor it outside', async () => {
    const logged = readFileSync(path.join(fx.scratch, 'test.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string; sourceFileId?: number });
    const loaded = logged
      .filter((line) => / loaded$/.test(line.message))
      .map((line) => [Number(line.sourceFileId), line]);
    const files = await fx.owner('source_files').orderBy('id').select('id', 'digest', 'digest_v2');
    expect(loaded).toEqual(
      files.map((file) => [
        Number(file.id),
        expect.objectContaining({ digest: file.digest, digestV2: file.digest_v2 }),
      ]),
    );
    expect(files.every((file) => /^[0-9a-f]{64}$/.test(file.digest_v2 ?? ''))).toBe(true);
  });

  it("leaves a lineage row's timeliness out of the file's digest (calendar recompute settles it after the load): the timeliness check names a rewrite", async () => {
    const where = 'id = (SELECT min(id) FROM record_sources WHERE source_file_id = $1)';
    const { rows: saved } = await superuser.query<{ row: unknown }>(
      `SELECT to_jsonb(s) AS row FROM record_sources s WHERE ${where}`,
      [provinceFile],
    );
    await superuser.query(`UPDATE record_sources SET late = NOT late, working_days = 99 WHERE ${where}`, [
      provinceFile,
    ]);
    try {
      const { code, files, records } = await verify();
      expect(files).toEqual([]);
      expect(records.map((finding) => finding.problem)).toEqual(['timeliness-differs']);
      expect(code).toBe(4);
    } finally {
      await superuser.query(
        `UPDATE record_sources t SET late = s.late, working_days = s.working_days
         FROM jsonb_populate_record(NULL::record_sources, $1) s WHERE t.id = s.id`,
        [saved[0]?.row],
      );
    }
  });

  /** What is rewritten: the table, the column, the new value (SQL) and which of the file's rows ($1: the file). */
  const rewrites: Array<
    [what: string, file: () => number, table: string, column: string, value: string, where: string]
  > = [
    [
      "the file's provider",
      () => provinceFile,
      'source_files',
      'provider_code',
      `'113799999999999999'`,
      'id = $1',
    ],
    [
      "the file's received time",
      () => provinceFile,
      'source_files',
      'received_at',
      `received_at - interval '3 days'`,
      'id = $1',
    ],
    ["the file's run", () => cityFile, 'source_files', 'run_id', 'run_id - 1', 'id = $1'],
    [
      "a lineage row's record",
      () => provinceFile,
      'record_sources',
      'record_id',
      'record_id + 1',
      'id = (SELECT min(id) FROM record_sources WHERE source_file_id = $1)',
    ],
    [
      "a lineage row's received time",
      () => provinceFile,
      'record_sources',
      'received_at',
      `received_at - interval '1 day'`,
      'id = (SELECT max(id) FROM record_sources WHERE source_file_id = $1)',
    ],
    [
      "a conflict's data",
      () => cityFile,
      'record_sources',
      'conflict_data',
      `'{"处罚内容": "警告"}'`,
      `source_file_id = $1 AND outcome = 'conflict'`,
    ],
    [
      "a rejection's value",
      () => provinceFile,
      'rejections',
      'raw',
      `raw || '{"罚款金额（万元）": "10"}'`,
      'source_file_id = $1',
    ],
    [
      "a rejection's row number",
      () => provinceFile,
      'rejections',
      'row_number',
      'row_number + 10',
      'source_file_id = $1',
    ],
    ["a rejection's errors", () => provinceFile, 'rejections', 'errors', `'[]'`, 'source_file_id = $1'],
    // Stored by finishSourceFile, before the digest: the accounting (read = inserted + … + rejected) …
    [
      "the file's counts",
      () => provinceFile,
      'source_files',
      'counts',
      `counts || '{"read": 3, "rejected": 0}'`,
      'id = $1',
    ],
    // … the ledger that decides a re-sent file is skipped …
    ["the file's sha256", () => provinceFile, 'source_files', 'sha256', `repeat('0', 64)`, 'id = $1'],
    // … and how it was read.
    [
      "the file's encoding",
      () => cityFile,
      'source_files',
      'encoding',
      `CASE WHEN encoding = 'gb18030' THEN 'utf-8' ELSE 'gb18030' END`,
      'id = $1',
    ],
    ["the file's columns", () => cityFile, 'source_files', 'columns', 'columns - 0', 'id = $1'],
  ];

  it.each(rewrites)(
    'names the file when %s is rewritten behind the engine',
    async (_what, file, table, column, value, where) => {
      const { rows: saved } = await superuser.query<{ row: unknown }>(
        `SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${where}`,
        [file()],
      );
      const changed = await superuser.query(`UPDATE ${table} SET ${column} = ${value} WHERE ${where}`, [
        file(),
      ]);
      expect(changed.rowCount).toBeGreaterThan(0);
      try {
        const { code, files } = await verify();
        expect([code, files]).toEqual([4, [[file(), 'file-delivery-differs']]]);
      } finally {
        for (const { row } of saved)
          await superuser.query(
            `UPDATE ${table} t SET ${column} = s.${column} FROM jsonb_populate_record(NULL::${table}, $1) s
           WHERE t.id = s.id`,
            [row],
          );
      }
      const { code, files } = await verify();
      expect([code, files]).toEqual([0, []]);
    },
  );
});
