import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNotice } from '../src/report/notices.ts';
import { connectWarehouse, type Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const PROVINCE = { level: 'province', provider: '113700000000000000', receivedAt: RECEIVED } as const;

/** The ids a tampering statement aims at: a corrected record (v1 → v2) and another subject's record. */
interface Target {
  record: number;
  firstVersion: number;
  currentVersion: number;
  otherRecord: number;
  otherVersion: number;
  otherSubject: string;
  noticeId: number;
}

interface Tampering {
  what: string;
  sql: (target: Target) => string;
  /** As the engine (credit_etl_loader): refused by a missing privilege or by a trigger. */
  asLoader: RegExp;
  /** As the owner (a superuser here, which bypasses privileges): the trigger still refuses. */
  asOwner: RegExp;
}

const APPEND_ONLY = /append-only/;
const NO_PRIVILEGE = /permission denied/;
const BACKWARDS = /current version of record \d+ may only become a newer version of that record/;

/** Issue #15 item 4: every way a session could rewrite the record without trace. */
const TAMPERING: Tampering[] = [
  {
    what: 'point a corrected record back at its first version',
    sql: (t) => `UPDATE records SET current_version_id = ${t.firstVersion} WHERE id = ${t.record}`,
    asLoader: BACKWARDS,
    asOwner: BACKWARDS,
  },
  {
    what: "point a record at another record's version",
    sql: (t) => `UPDATE records SET current_version_id = ${t.otherVersion} WHERE id = ${t.record}`,
    asLoader: BACKWARDS,
    asOwner: BACKWARDS,
  },
  {
    what: "move a penalty into another subject's archive",
    sql: (t) => `UPDATE records SET subject_code = '${t.otherSubject}' WHERE id = ${t.record}`,
    asLoader: /record \d+ stays filed under its subject: only a legal procedure/,
    asOwner: /record \d+ stays filed under its subject: only a legal procedure/,
  },
  {
    what: 'give a record another business key',
    sql: (t) => `UPDATE records SET business_key = business_key || 'x' WHERE id = ${t.record}`,
    asLoader: NO_PRIVILEGE,
    asOwner: /keeps its id, catalog, business key and creation time forever/,
  },
  {
    what: 'give a record another id',
    sql: (t) => `UPDATE records SET id = id + 1000000 WHERE id = ${t.record}`,
    asLoader: NO_PRIVILEGE,
    asOwner: /keeps its id, catalog, business key and creation time forever/,
  },
  {
    what: 'move the time a record was created',
    sql: (t) => `UPDATE records SET created_at = created_at - interval '1 day' WHERE id = ${t.record}`,
    asLoader: NO_PRIVILEGE,
    asOwner: /keeps its id, catalog, business key and creation time forever/,
  },
  {
    what: 'rewrite the data of a version',
    sql: (t) => `UPDATE record_versions SET data = '{}' WHERE id = ${t.firstVersion}`,
    asLoader: NO_PRIVILEGE,
    asOwner: APPEND_ONLY,
  },
  {
    what: 'rewrite what a notice was issued for',
    sql: (t) => `UPDATE notices SET provider_code = 'X' WHERE id = ${t.noticeId}`,
    asLoader: NO_PRIVILEGE,
    asOwner: /a notice stays as it was issued/,
  },
  {
    what: 'move the deadline of a notice that was not provisional',
    sql: (t) => `UPDATE notices SET deadline = deadline + 30 WHERE id = ${t.noticeId}`,
    asLoader: /a notice stays as it was issued/,
    asOwner: /a notice stays as it was issued/,
  },
  ...[
    'notice_rows',
    'notices',
    'record_versions',
    'record_sources',
    'rejections',
    'records',
    'source_files',
    'runs',
  ].map(
    (table): Tampering => ({
      what: `DELETE FROM ${table}`,
      sql: () => `DELETE FROM ${table}`,
      asLoader: NO_PRIVILEGE,
      asOwner: table === 'notices' ? /a notice stays as it was issued/ : APPEND_ONLY,
    }),
  ),
  ...['notice_rows', 'notices', 'record_versions', 'records', 'calendar_recomputes'].map(
    (table): Tampering => ({
      what: `TRUNCATE ${table}`,
      sql: () => `TRUNCATE ${table} CASCADE`,
      asLoader: NO_PRIVILEGE,
      asOwner: APPEND_ONLY,
    }),
  ),
];

describe('least privilege: the engine cannot rewrite the record (010-roles)', () => {
  let fx: WarehouseFixture;
  let target: Target;
  let before: unknown;
  const rows = basePenalties(3, 15);
  const row = (i: number) => rows[i] as PenaltyRow;
  const snapshot = async () => ({
    records: await fx.owner('records').orderBy('id'),
    versions: await fx.owner('record_versions').orderBy('id').select('id', 'data'),
    counts: (
      await fx.owner.raw(`SELECT (SELECT count(*) FROM notice_rows) AS notice_rows,
        (SELECT count(*) FROM rejections) AS rejections, (SELECT count(*) FROM record_sources) AS lineage`)
    ).rows,
    notices: await fx.owner('notices').orderBy('id'),
  });

  beforeAll(async () => {
    fx = await openWarehouseFixture('least_privilege');
    const bad = edit(row(2), { 处罚决定日期: '2026-13-45' });
    const first = await fx.ingest([writeRows(fx.scratch, 'first.csv', [row(0), row(1), bad])], PROVINCE);
    expect(first.counts).toMatchObject({ inserted: 2, rejected: 1 });
    const corrected = edit(row(0), { 处罚内容: '罚款人民币3万元（更正）' });
    const second = await fx.ingest([writeRows(fx.scratch, 'second.csv', [corrected])], PROVINCE);
    expect(second.counts).toMatchObject({ updated: 1 });
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: PROVINCE.provider,
      scope: { kind: 'run', runId: first.runId },
      issuedOn: '2026-11-23',
    });
    expect(notice).toMatchObject({ rows: 1, provisional: false });

    const [correctedRecord, other] = await fx.owner
      .raw(
        `SELECT r.id, r.current_version_id, r.subject_code, min(v.id)::int AS first_version, count(v.id)::int AS versions
       FROM records r JOIN record_versions v ON v.record_id = r.id GROUP BY r.id ORDER BY count(v.id) DESC`,
      )
      .then((result: { rows: Record<string, number | string>[] }) => result.rows);
    expect(correctedRecord).toMatchObject({ versions: 2 });
    expect(other).toMatchObject({ versions: 1 });
    expect(other!.subject_code).not.toBe(correctedRecord!.subject_code);
    target = {
      record: Number(correctedRecord!.id),
      firstVersion: Number(correctedRecord!.first_version),
      currentVersion: Number(correctedRecord!.current_version_id),
      otherRecord: Number(other!.id),
      otherVersion: Number(other!.current_version_id),
      otherSubject: String(other!.subject_code),
      noticeId: notice.id,
    };
    before = await snapshot();
  });
  afterAll(async () => fx?.close());

  it.each(TAMPERING)('as the loader, refused: $what', async ({ sql, asLoader }) => {
    await expect(fx.warehouse.raw(sql(target))).rejects.toThrow(asLoader);
  });

  it.each(TAMPERING)(
    "as the loader, still refused after SET LOCAL credit_etl.legal_procedure = 'on': $what",
    async ({ sql, asLoader }) => {
      await expect(
        fx.warehouse.transaction(async (trx) => {
          await trx.raw(`SET LOCAL credit_etl.legal_procedure = 'on'`);
          await trx.raw(sql(target));
        }),
      ).rejects.toThrow(asLoader);
    },
  );

  it.each(TAMPERING)(
    "as the owner with the flag on, refused by the database's own triggers: $what",
    async ({ sql, asOwner }) => {
      await expect(
        fx.owner.transaction(async (trx) => {
          await trx.raw(`SET LOCAL credit_etl.legal_procedure = 'on'`);
          await trx.raw(sql(target));
        }),
      ).rejects.toThrow(asOwner);
    },
  );

  it('after all of it, nothing changed', async () => {
    expect(await snapshot()).toEqual(before);
  });

  it("the engine's connections act as credit_etl_loader", async () => {
    const [session] = (await fx.warehouse.raw('SELECT current_user AS role')).rows;
    expect(session).toEqual({ role: 'credit_etl_loader' });
  });

  /** Runs `work` in a transaction that is always rolled back: these show what is allowed, not keep it. */
  const thenRollBack = async (warehouse: Warehouse, work: (trx: Warehouse) => Promise<void>) => {
    const rolledBack = new Error('rolled back on purpose');
    await expect(
      warehouse.transaction(async (trx) => {
        await work(trx);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
  };
  const appendVersion = async (trx: Warehouse, level: string) => {
    // Into a file being loaded, as a unit's own: a finished file takes no more rows (052).
    const [delivered] = await trx('source_files')
      .where({ level })
      .select('catalog_code', 'provider_code')
      .limit(1);
    const [run] = await trx('runs').insert({ kind: 'ingest', status: 'running' }).returning('id');
    const [file] = await trx('source_files')
      .insert({
        run_id: run.id,
        name: 'loading.csv',
        catalog_code: delivered.catalog_code,
        provider_code: delivered.provider_code,
        level,
        received_at: new Date(),
        status: 'loaded',
        started_at: new Date(),
      })
      .returning('id');
    const [version] = await trx('record_versions')
      .insert({
        record_id: target.record,
        version_no: 3,
        data: '{}',
        content_hash: 'test',
        catalog_version: 1,
        source_file_id: file.id,
        row_number: 1,
        // Filed under the record's subject, as the merge files every version (055).
        subject_code: (await trx('records').where({ id: target.record }).first('subject_code')).subject_code,
      })
      .returning('id');
    return Number(version.id);
  };

  it('the loader may move a record forward, to a newer version of itself from the channel its level names', async () => {
    await thenRollBack(fx.warehouse, async (trx) => {
      const newer = await appendVersion(trx, 'province');
      await trx('records')
        .where({ id: target.record })
        .update({ current_version_id: newer, level: 'province' });
      expect(await trx('records').where({ id: target.record }).first()).toMatchObject({
        current_version_id: newer,
      });
    });
  });

  it('the loader may not take another subject along with a newer version: a subject changes by a legal procedure (055)', async () => {
    await expect(
      fx.warehouse.transaction(async (trx) => {
        const newer = await appendVersion(trx, 'province');
        await trx('records')
          .where({ id: target.record })
          .update({ current_version_id: newer, subject_code: target.otherSubject, level: 'province' });
      }),
    ).rejects.toThrow(/record \d+ stays filed under its subject: only a legal procedure/);
  });

  it('a statement that moves one record forward and another back fails whole: neither moves', async () => {
    await expect(
      fx.warehouse.transaction(async (trx) => {
        const newer = await appendVersion(trx, 'province');
        await trx.raw(
          'UPDATE records SET current_version_id = CASE id WHEN ? THEN ?::bigint ELSE ?::bigint END WHERE id IN (?, ?)',
          [target.record, newer, target.firstVersion, target.record, target.otherRecord],
        );
      }),
    ).rejects.toThrow(
      new RegExp(`current version of record ${target.otherRecord} may only become a newer version`),
    );
    const pointers = await fx
      .owner('records')
      .whereIn('id', [target.record, target.otherRecord])
      .select('id', 'current_version_id');
    expect(Object.fromEntries(pointers.map((r) => [Number(r.id), Number(r.current_version_id)]))).toEqual({
      [target.record]: target.currentVersion,
      [target.otherRecord]: target.otherVersion,
    });
  });

  it('a newer version does not let the record claim another channel, nor a level rise without lineage', async () => {
    await thenRollBack(fx.warehouse, async (trx) => {
      const newer = await appendVersion(trx, 'province');
      await expect(
        trx.raw('UPDATE records SET current_version_id = ?, level = ? WHERE id = ?', [
          newer,
          'city',
          target.record,
        ]),
      ).rejects.toThrow(/is not the channel \(province\) that delivered its new version/);
    });
    await thenRollBack(fx.warehouse, async (trx) => {
      await expect(
        trx('records').where({ id: target.otherRecord }).update({ level: 'county' }),
      ).rejects.toThrow(/level may become county only when that channel delivered its current version/);
    });
  });

  it('a function owned by credit_etl_procedure may move a record back, run by an officer, never by the loader', async () => {
    await fx.owner.raw(`
      CREATE FUNCTION test_restore_version(target bigint, version bigint) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public
        AS 'UPDATE records SET current_version_id = version WHERE id = target';
      ALTER FUNCTION test_restore_version(bigint, bigint) OWNER TO credit_etl_procedure;
      GRANT EXECUTE ON FUNCTION test_restore_version(bigint, bigint) TO credit_etl_officer;`);
    try {
      // New functions start closed to PUBLIC (010): the loader was never granted this one.
      await expect(
        fx.warehouse.raw('SELECT test_restore_version(?, ?)', [target.record, target.firstVersion]),
      ).rejects.toThrow(/permission denied for function test_restore_version/);
      await thenRollBack(fx.owner, async (trx) => {
        await trx.raw('SET LOCAL ROLE credit_etl_officer');
        await trx.raw('SELECT test_restore_version(?, ?)', [target.record, target.firstVersion]);
        const [moved] = (
          await trx.raw('SELECT current_version_id FROM records WHERE id = ?', [target.record])
        ).rows;
        expect(moved).toEqual({ current_version_id: target.firstVersion });
      });
    } finally {
      await fx.owner.raw('DROP FUNCTION test_restore_version(bigint, bigint)');
    }
  });
});

describe('a LOGIN user per duty (README: database roles)', () => {
  let fx: WarehouseFixture;
  let fresh: TestDatabase | undefined;
  const user = `credit_etl_test_nightly_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const as = (url: string) => {
    const parsed = new URL(url);
    parsed.username = user;
    parsed.password = password;
    return parsed.toString();
  };
  const cli = (url: string, args: string[]) =>
    runCli(args, { DATABASE_URL: as(url), CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });

  beforeAll(async () => {
    fx = await openWarehouseFixture('login_user');
    await fx.owner.raw(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
  });
  afterAll(async () => {
    await fresh?.drop();
    // Before the fixture closes its connections: roles are the server's, and one left behind outlives the test.
    await fx?.owner.raw(`DROP ROLE IF EXISTS ${user}`);
    await fx?.close();
  });

  it('a user that is not a member of credit_etl_loader is told which GRANT to run', async () => {
    const warehouse = connectWarehouse(as(fx.url), { poolSize: 1 });
    try {
      await expect(warehouse.raw('SELECT 1')).rejects.toThrow(
        `the warehouse user "${user}" may not act as credit_etl_loader: as the warehouse owner, run GRANT credit_etl_loader TO "${user}";`,
      );
      // The refused connection is closed, not left open in the pool's hands. Its backend, another process, ends
      // once it reads the close: on a loaded machine that can take longer than vi.waitFor's default second.
      await vi.waitFor(
        async () => {
          const [sessions] = (
            await fx.owner.raw('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ?', [user])
          ).rows;
          expect(sessions).toEqual({ n: 0 });
        },
        { timeout: 15_000 },
      );
    } finally {
      await warehouse.destroy();
    }
  });

  it('once granted credit_etl_loader, it runs the engine end to end', async () => {
    await fx.owner.raw(`GRANT credit_etl_loader TO ${user}`);
    const file = writeRows(fx.scratch, 'nightly.csv', basePenalties(5, 33));
    const ingest = await cli(fx.url, [
      'ingest',
      file,
      '--catalog',
      'xzcf',
      '--provider',
      '11370000MB2852362M',
      '--level',
      'province',
    ]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const [loaded] = (await fx.owner.raw('SELECT count(*)::int AS records FROM records')).rows;
    expect(loaded).toEqual({ records: 5 });
    const runs = await cli(fx.url, ['runs', 'list', '--json']);
    expect(runs.code, runs.stderr).toBe(0);
    // It could not tamper either: it holds exactly the loader's privileges.
    const warehouse = connectWarehouse(as(fx.url), { poolSize: 1, role: null });
    try {
      await expect(warehouse.raw('DELETE FROM records')).rejects.toThrow(NO_PRIVILEGE);
    } finally {
      await warehouse.destroy();
    }
  });

  it('it cannot migrate: `db migrate` tells it to run as the owner', async () => {
    fresh = await createTestDatabase('login_user_fresh');
    const result = await cli(fresh.url, ['db', 'migrate']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `"${user}" may not apply them: run \`credit-etl db migrate\` with DATABASE_URL naming the warehouse owner`,
    );
  });
});
