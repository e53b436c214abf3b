import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

interface Appended {
  id: string;
  chain_hash: string;
  defined: string;
  /** The time written reached the chain (not the clock's stamp). */
  as_written: boolean;
}

describe('version chain: the trigger hashes the text version_chain_hash() defines (027)', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('version_chain_text');
  });
  afterAll(async () => {
    await fx?.close();
  });

  /**
   * Appends versions as the owner in a session of another time zone and date style (the trigger must depend on
   * neither), then recomputes each version's hash with the defining function from its predecessor, as `verify`
   * does. A version's time is the database's clock since 041 (record_versions_stamp): for the times below to reach
   * the chain's text, the owner switches that stamp off for this transaction only (ALTER TABLE is transactional),
   * and 052's and 054's checks too: the versions name files that were never loaded and procedures never run.
   */
  const appendAndRecompute = (versions: Record<string, unknown>[]) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw(`SET LOCAL TimeZone = 'Asia/Shanghai'`);
      await trx.raw(`SET LOCAL DateStyle = 'SQL, DMY'`);
      await trx.raw(
        `ALTER TABLE record_versions DISABLE TRIGGER record_versions_stamp,
           DISABLE TRIGGER record_versions_file_being_loaded, DISABLE TRIGGER record_versions_procedure_logged`,
      );
      await trx('record_versions').insert(versions);
      await trx.raw(
        `ALTER TABLE record_versions ENABLE TRIGGER record_versions_stamp,
           ENABLE TRIGGER record_versions_file_being_loaded, ENABLE TRIGGER record_versions_procedure_logged`,
      );
      const { rows } = await trx.raw<{ rows: Appended[] }>(
        `SELECT v.id, v.chain_hash,
                version_chain_hash(COALESCE(lag(v.chain_hash) OVER (PARTITION BY v.record_id ORDER BY v.version_no), ''), v)
                  AS defined, v.created_at <> now() AS as_written
         FROM record_versions v WHERE v.record_id = ANY(?::bigint[]) ORDER BY v.id`,
        [[...new Set(versions.map((version) => Number(version.record_id)))]],
      );
      return rows;
    });

  const base = {
    data: { 行政相对人名称: '济南某某有限公司', 处罚内容: '罚款人民币1万元' },
    content_hash: 'jRwwkbCC9J05dkspIzfL-lxbVD2TU1v4gHJDSq84qDE',
    catalog_version: 1,
  };

  it('gives the same hash for every shape of row: nulls, escapes, both origins, whole and fractional seconds', async () => {
    const rows = await appendAndRecompute([
      // A delivered version with every key, a subject needing JSON escapes, a whole second.
      {
        ...base,
        record_id: 900001,
        version_no: 1,
        formation_date: '2026-06-05',
        source_file_id: 7,
        row_number: 2,
        subject_code: 'a"b\\c\u0001统一',
        created_at: '2026-12-03 08:00:00+08',
      },
      // Its successor: chained to it, no subject, no formation date, microseconds with trailing zeros.
      {
        ...base,
        record_id: 900001,
        version_no: 2,
        source_file_id: 8,
        row_number: 1,
        created_at: '2026-12-03 23:59:59.120000+08',
      },
      // A legal procedure's version: no file, no row, a procedure id.
      {
        ...base,
        record_id: 900002,
        version_no: 1,
        procedure_id: 3,
        created_at: '2026-12-03 12:34:56.000123+00',
      },
      // An early year, printed with its leading zero.
      { ...base, record_id: 900003, version_no: 1, procedure_id: 4, created_at: '0500-06-01 00:00:00+00' },
    ]);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toMatchObject({ chain_hash: row.defined, as_written: true });
    // The successor is chained: changing its predecessor's hash would change its own.
    expect(new Set(rows.map((row) => row.chain_hash)).size).toBe(4);
  });

  it('leaves times it does not print itself (infinity, BC) to the function', async () => {
    const rows = await appendAndRecompute([
      { ...base, record_id: 900004, version_no: 1, procedure_id: 5, created_at: 'infinity' },
      { ...base, record_id: 900005, version_no: 1, procedure_id: 6, created_at: '0044-03-15 12:00:00+00 BC' },
    ]);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ chain_hash: row.defined, as_written: true });
  });
});
