import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { syncCatalogEntries } from '../src/cli/sync-catalog-entries.ts';
import { createLogger, type RootLogger } from '../src/log/logger.ts';
import {
  correctRecord,
  type Grounds,
  reattributeRecord,
  supersedeRecord,
  withdrawRecord,
} from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import { compileEntry } from '../src/run/compiled-entry.ts';
import { storedEntry } from '../src/verify/stored-entry.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const GROUNDS: Grounds = {
  basis: '鲁监复〔2026〕1号',
  reason: '提供单位书面确认原数据有误',
  operator: '复核员',
};
const USCC = '行政相对人代码_1(统一社会信用代码)';

/**
 * A version a legal procedure wrote is in no file's digest: its chain links it to the record's other versions
 * only, so a superuser who rewrote it (triggers off) and recomputed its chain hash left nothing verify could see.
 * The procedure's log entry, hash-chained, recorded what it wrote (`after`) and the version it was based on
 * (`before`): verify now holds every procedure's version, and every version an entry names, to it.
 */
describe('verify: a version a legal procedure wrote or named, against its log entry', {
  timeout: 240_000,
}, () => {
  let fx: WarehouseFixture;
  let logger: RootLogger;
  const rows = basePenalties(12, 5252).filter((row) => row.行政相对人类别 !== '自然人');
  const decision = (i: number) => `鲁济市监罚〔2026〕52${String(i).padStart(2, '0')}号`;
  /** Penalty 5 is penalty 4's company under another decision number: what `supersede` takes (056). */
  const subjectOf = (i: number) => (i === 5 ? 4 : i);
  const penalty = (i: number) =>
    edit(rows[i] as PenaltyRow, {
      行政相对人名称: rows[subjectOf(i)]!.行政相对人名称!,
      法定代表人: rows[subjectOf(i)]!.法定代表人!,
      法定代表人证件号码: rows[subjectOf(i)]!.法定代表人证件号码!,
      [USCC]: makeUscc('91', '370102', 5_252_001 + subjectOf(i)),
      行政处罚决定书文号: decision(i),
    });
  const idOf = async (i: number, subject?: string) => {
    const found = (await findRecords(fx.warehouse, decision(i))).filter(
      (record) => subject === undefined || record.subjectCode === subject,
    );
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };
  const versionOf = async (recordId: number, versionNo: number) => {
    const { rows: found } = await fx.owner.raw(
      `SELECT id, data, catalog_version, procedure_id FROM record_versions WHERE record_id = ? AND version_no = ?`,
      [recordId, versionNo],
    );
    return found[0] as {
      id: number;
      data: Record<string, unknown>;
      catalog_version: number;
      procedure_id: number | null;
    };
  };
  /** Everything a superuser does here: in one transaction, triggers off (session_replication_role = replica). */
  const asSuperuser = (
    work: (sql: (text: string, params?: unknown[]) => Promise<unknown>) => Promise<void>,
  ) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await work((text, params = []) => trx.raw(text, params as never));
    });
  /**
   * The attack: version `versionNo` of the record rewritten with data and columns of the superuser's choosing, its
   * content hash the true hash of the new data (so nothing recomputed from the data differs), and the chain hash
   * of it and of every later version recomputed, link by link.
   */
  const rewrite = async (
    recordId: number,
    versionNo: number,
    change: (data: Record<string, unknown>) => Record<string, unknown>,
    columns: { formation_date?: string; content_hash?: string } = {},
  ) => {
    const version = await versionOf(recordId, versionNo);
    const data = change({ ...version.data });
    const compiled = compileEntry(storedEntry(fx.catalog, 'xzcf', version.catalog_version)!);
    await asSuperuser(async (sql) => {
      await sql(
        `UPDATE record_versions SET data = ?::jsonb, content_hash = ?, formation_date = COALESCE(?::date, formation_date)
         WHERE id = ?`,
        [
          JSON.stringify(data),
          columns.content_hash ?? compiled.contentHash(data as never),
          columns.formation_date ?? null,
          version.id,
        ],
      );
      await rechain(sql, recordId);
    });
  };
  const rechain = async (sql: (text: string, params?: unknown[]) => Promise<unknown>, recordId: number) => {
    const { rows: numbers } = (await sql(
      'SELECT version_no FROM record_versions WHERE record_id = ? ORDER BY version_no',
      [recordId],
    )) as { rows: { version_no: number }[] };
    for (const { version_no: no } of numbers)
      await sql(
        `UPDATE record_versions v SET chain_hash = version_chain_hash(COALESCE(
           (SELECT p.chain_hash FROM record_versions p WHERE p.record_id = v.record_id AND p.version_no = v.version_no - 1),
           ''), v)
         WHERE record_id = ? AND version_no = ?`,
        [recordId, no],
      );
  };
  const verify = () => verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
  const findingsOf = async (recordId: number) =>
    (await verify()).records
      .filter((finding) => finding.recordId === recordId)
      .map((finding) => [finding.problem, finding.versionNo, finding.detail] as const);

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_procedure_log_versions');
    logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    await syncCatalogEntries(fx.warehouse, fx.catalog.entries);
    const loaded = await fx.ingest([writeRows(fx.scratch, 'd1.csv', [0, 1, 2, 3, 4, 5, 6, 7].map(penalty))]);
    expect(loaded.counts).toMatchObject({ inserted: 8 });
  });
  afterAll(async () => {
    await logger?.close();
    await fx?.close();
  });

  it('is clean after every kind of procedure done through the engine', async () => {
    // correct (twice: a field set, then cleared), reattribute, withdraw (of a corrected record), supersede.
    await correctRecord(fx.warehouse, fx.catalog, await idOf(0), ['CF_NR_FK=0.6'], GROUNDS);
    await correctRecord(fx.warehouse, fx.catalog, await idOf(1), ['备注=更正'], GROUNDS);
    await correctRecord(fx.warehouse, fx.catalog, await idOf(1), ['备注='], GROUNDS);
    await reattributeRecord(
      fx.warehouse,
      fx.catalog,
      await idOf(2),
      makeUscc('91', '370102', 5_252_902),
      [],
      GROUNDS,
    );
    await correctRecord(fx.warehouse, fx.catalog, await idOf(3), ['备注=撤销前更正'], GROUNDS);
    await withdrawRecord(fx.warehouse, await idOf(3), GROUNDS);
    await supersedeRecord(fx.warehouse, await idOf(4), await idOf(5), GROUNDS);
    await correctRecord(fx.warehouse, fx.catalog, await idOf(6), ['备注=第一次更正'], GROUNDS);
    await correctRecord(fx.warehouse, fx.catalog, await idOf(6), ['备注=第二次更正'], GROUNDS);
    const clean = await verify();
    expect([clean.status, clean.records, clean.files]).toEqual(['completed', [], []]);
  });

  it('names a corrected version rewritten with a true content hash and a recomputed chain (the review case)', async () => {
    const id = await idOf(0);
    const corrected = await versionOf(id, 2);
    expect(corrected.data.CF_NR_FK).toBe(0.6);
    await rewrite(id, 2, (data) => ({ ...data, CF_NR_FK: 0.7 }));
    const findings = await findingsOf(id);
    expect(findings).toEqual([
      [
        'version-differs-from-procedure',
        2,
        expect.stringMatching(
          new RegExp(
            `^the version procedure #${corrected.procedure_id} \\(correct\\) wrote \\(id ${corrected.id}\\) differs from its log entry: content hash logged [\\w-]{16}…, stored [\\w-]{16}…; set field\\(s\\) CF_NR_FK no longer hold the logged value$`,
          ),
        ),
      ],
    ]);
    expect((await verify()).status).toBe('failed');
    // --catalog scopes it with the rest: another entry's verify is clean.
    const other = await verifyWarehouse(fx.warehouse, fx.catalog, { catalogCode: 'xzqz' }, logger);
    expect(other.records).toEqual([]);
  });

  it('names a field the log does not set changed, and a reattributed version with another formation date', async () => {
    // The corrected record 1 (v3 cleared 备注): 处罚内容 rewritten, the logged hash kept.
    const one = await idOf(1);
    const logged = (
      await fx.owner.raw('SELECT content_hash FROM record_versions WHERE record_id = ? AND version_no = 3', [
        one,
      ])
    ).rows[0].content_hash as string;
    await rewrite(one, 3, (data) => ({ ...data, CF_NR: '事后改写的处罚内容' }), { content_hash: logged });
    expect(
      (await findingsOf(one)).filter(([problem]) => problem === 'version-differs-from-procedure'),
    ).toEqual([
      [
        'version-differs-from-procedure',
        3,
        expect.stringMatching(
          /: field\(s\) CF_NR differ from version 2 it was based on, and the log does not set them$/,
        ),
      ],
    ]);

    // The record reattribute created: its decision day and formation date moved together, hash and key true.
    const created = await idOf(2, makeUscc('91', '370102', 5_252_902));
    await rewrite(created, 1, (data) => ({ ...data, CF_JDRQ: '2026-01-05' }), {
      formation_date: '2026-01-05',
    });
    expect(await findingsOf(created)).toEqual([
      [
        'version-differs-from-procedure',
        1,
        expect.stringMatching(
          /\(reattribute\) wrote .*: content hash logged .*; formation date logged \d{4}-\d\d-\d\d, stored 2026-01-05; field\(s\) CF_JDRQ differ from version 1 it was based on/,
        ),
      ],
    ]);
  });

  it('names a version claiming an entry that names another, and an entry whose version was deleted', async () => {
    // Record 6 was corrected twice (v2, v3): v3 repointed at the first correction's entry.
    const six = await idOf(6);
    const [second, third] = [await versionOf(six, 2), await versionOf(six, 3)];
    await asSuperuser(async (sql) => {
      await sql('UPDATE record_versions SET procedure_id = ? WHERE id = ?', [second.procedure_id, third.id]);
      await rechain(sql, six);
    });
    expect(await findingsOf(six)).toEqual(
      expect.arrayContaining([
        [
          'version-without-procedure',
          3,
          `version id ${third.id} claims procedure #${second.procedure_id} (correct), whose log entry names version ${second.id}: the procedure did not write this one`,
        ],
      ]),
    );

    // Record 3 was corrected (v2), then withdrawn: the withdrawal names v2. v2 deleted, the record put back on v1.
    const three = await idOf(3);
    const [first, corrected] = [await versionOf(three, 1), await versionOf(three, 2)];
    const { rows: entries } = await fx.owner.raw(
      `SELECT id FROM procedure_log WHERE record_id = ? AND kind = 'withdraw'`,
      [three],
    );
    await asSuperuser(async (sql) => {
      await sql('DELETE FROM record_versions WHERE id = ?', [corrected.id]);
      await sql('UPDATE records SET current_version_id = ? WHERE id = ?', [first.id, three]);
    });
    expect(await findingsOf(three)).toEqual(
      expect.arrayContaining([
        [
          'procedure-version-missing',
          2,
          `procedure #${entries[0].id} (withdraw) names as the record's current version then version id ${corrected.id} of record ${three}, which is not there: deleted behind the engine`,
        ],
      ]),
    );
  });

  it("names a delivered version a withdrawal's entry logged that was rewritten since", async () => {
    // Record 7, delivered, withdrawn: the entry logged v1's content hash. v1 rewritten (its file's digest says so too).
    const seven = await idOf(7);
    await withdrawRecord(fx.warehouse, seven, GROUNDS);
    await rewrite(seven, 1, (data) => ({ ...data, CF_NR: '撤销后改写' }));
    const findings = await findingsOf(seven);
    expect(findings).toEqual(
      expect.arrayContaining([
        [
          'version-differs-from-procedure',
          1,
          expect.stringMatching(
            /^the version procedure #\d+ \(withdraw\) names as the record's current version then \(id \d+\) differs from its log entry: content hash logged [\w-]{16}…, stored [\w-]{16}…$/,
          ),
        ],
      ]),
    );
  });
});
