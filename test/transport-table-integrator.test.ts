import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { tableTransportFactory } from '../connectors/transports/table-transport.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { ledgerReadingOf } from '../src/run/reading-fingerprint.ts';
import { isAlreadyLoaded } from '../src/warehouse/source-files-repository.ts';
import { transportContext } from './support/penalty-delivery.ts';
import { openSourceDatabase, SOURCE_KINDS, type SourceDatabase } from './support/source-database.ts';
import { openWarehouseFixture, PROVINCE_XZCF, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** An integrator's bookkeeping columns: read by no field, declared ignorable by the pipeline. */
const BOOKKEEPING = [
  'id',
  'tenant_id',
  'create_time',
  'create_by',
  'update_time',
  'update_by',
  'version',
  'del_flag',
];
const AUTHORITY = makeUscc('11', '370100', 10001);

/** Three penalties with amounts a float would round, decision dates as DATE, validity as DATETIME. */
const PENALTIES = [
  { n: 1, amount: '12345678.123456', decided: '2026-10-12', until: '2099-12-31 00:00:00' },
  { n: 2, amount: '0.000001', decided: '2026-10-01', until: '2027-10-01 23:59:59' },
  { n: 3, amount: '100.100000', decided: '2026-01-01', until: '2027-01-01 00:00:00' },
];

/**
 * A 前置库 table as integrators build them: lower-case national codes, variant codes for the same fields
 * (`cf_xdr_shxym` for the USCC, `cf_fr_sfzh` for the legal representative's ID), typed columns (DATE,
 * DATETIME, DECIMAL(18,6)) and bookkeeping (id, tenant, create/update time and user, version, soft-delete flag).
 */
async function createIntegratorTable(source: SourceDatabase, table: string): Promise<void> {
  await source.db.schema.createTable(table, (t) => {
    t.increments('id').primary();
    t.string('tenant_id', 32);
    t.string('cf_xdr_mc', 200);
    t.string('cf_xdr_lb', 20);
    t.string('cf_xdr_shxym', 18);
    t.string('cf_frdb', 50);
    t.string('cf_fr_zjlx', 20);
    t.string('cf_fr_sfzh', 18);
    t.string('cf_wsh', 128);
    t.string('cf_wfxw', 200);
    t.string('cf_sy', 2000);
    t.string('cf_yj', 2000);
    t.string('cf_cflb', 100);
    t.string('cf_nr', 2000);
    t.decimal('cf_nr_fk', 18, 6);
    t.date('cf_jdrq');
    // A DATETIME (PostgreSQL: timestamp without time zone): the source's wall-clock time.
    t.datetime('cf_yxq', { precision: 0, useTz: false });
    t.string('cf_cfjg', 200);
    t.string('cf_cfjgdm', 18);
    t.string('cf_sjly', 200);
    t.string('cf_sjlydm', 18);
    t.datetime('create_time', { precision: 0 });
    t.string('create_by', 32);
    t.datetime('update_time', { precision: 6 }).notNullable();
    t.string('update_by', 32);
    t.integer('version');
    t.string('del_flag', 1);
  });
  await source.db(table).insert(
    PENALTIES.map(({ n, amount, decided, until }) => ({
      tenant_id: 't-370100',
      cf_xdr_mc: `济南示例餐饮有限公司${n}`,
      cf_xdr_lb: '法人及非法人组织',
      cf_xdr_shxym: makeUscc('91', '370102', 900 + n),
      cf_frdb: `王${n}`,
      cf_fr_zjlx: '身份证',
      cf_fr_sfzh: '11010519491231002X',
      cf_wsh: `济市监罚〔2026〕${300 + n}号`,
      cf_wfxw: '违反《中华人民共和国食品安全法》第三十四条',
      cf_sy: '经营超过保质期的食品',
      cf_yj: '《中华人民共和国食品安全法》第一百二十四条',
      cf_cflb: '罚款',
      cf_nr: '罚款',
      cf_nr_fk: amount,
      cf_jdrq: decided,
      cf_yxq: until,
      cf_cfjg: '济南市市场监督管理局',
      cf_cfjgdm: AUTHORITY,
      cf_sjly: '济南市市场监督管理局',
      cf_sjlydm: AUTHORITY,
      create_time: '2026-10-12 09:00:00',
      create_by: 'etl',
      update_time: `2026-11-20 10:00:0${n}.123456`,
      update_by: 'etl',
      version: 1,
      del_flag: '0',
    })),
  );
}

for (const kind of SOURCE_KINDS) {
  describe(`an integrator's 前置库 table on ${kind}`, () => {
    let fx: WarehouseFixture;
    let source: SourceDatabase;
    beforeAll(async () => {
      fx = await openWarehouseFixture(`integrator_${kind}`);
      source = await openSourceDatabase(kind, 'integrator');
      await createIntegratorTable(source, 'xzcf_exchange');
    });
    afterAll(async () => {
      await source?.drop();
      await fx?.close();
    });

    const pull = async (ignoreColumns: string[]) => {
      const transport = tableTransportFactory.create(
        {
          type: 'table',
          urlEnv: 'QZK_URL',
          table: 'xzcf_exchange',
          cursor: { column: 'update_time', tieBreaker: 'id' },
        },
        transportContext(fx, { QZK_URL: source.url }),
      );
      const units: SourceUnit[] = [];
      const reading = ledgerReadingOf(fx.catalog, { catalog: 'xzcf', encoding: 'auto', ignoreColumns });
      const alreadyLoaded = (sha256: string) => isAlreadyLoaded(fx.warehouse, sha256, PROVINCE_XZCF, reading);
      for await (const unit of transport.poll({ alreadyLoaded })) units.push(unit);
      const logger = createLogger({ logFile: path.join(fx.scratch, 'integrator.log'), console: false });
      try {
        return await ingestUnits(
          fx.warehouse,
          fx.catalog,
          {
            units,
            catalog: 'xzcf',
            providerCode: PROVINCE_XZCF.providerCode,
            level: 'province',
            encoding: 'auto',
            ignoreColumns,
          },
          logger,
        );
      } finally {
        await transport.close();
      }
    };

    it("typed columns arrive as the database's own text: DECIMAL with its scale, DATE as its day", async () => {
      const transport = tableTransportFactory.create(
        {
          type: 'table',
          urlEnv: 'QZK_URL',
          table: 'xzcf_exchange',
          cursor: { column: 'update_time', tieBreaker: 'id' },
        },
        transportContext(fx, { QZK_URL: source.url }),
      );
      try {
        const units: SourceUnit[] = [];
        for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
        const rows = await units[0]!.rows!();
        const cells: string[][] = [];
        for await (const batch of rows.batches) cells.push(...batch.map((row) => row.cells));
        const at = (name: string) => cells.map((row) => row[rows.header.indexOf(name)]);
        // A float would print 100.1: the text shows the value was never a float.
        expect(at('cf_nr_fk')).toEqual(PENALTIES.map((p) => p.amount));
        expect(at('cf_jdrq')).toEqual(PENALTIES.map((p) => p.decided));
        expect(at('cf_yxq')).toEqual(PENALTIES.map((p) => p.until));
        expect(rows.header).toEqual(expect.arrayContaining([...BOOKKEEPING, 'cf_xdr_shxym', 'cf_fr_sfzh']));
      } finally {
        await transport.close();
      }
    });

    it('without the bookkeeping declared ignorable, the batch fails naming the unknown columns', async () => {
      const summary = await pull([]);
      expect(summary.files[0]?.status).toBe('failed');
      expect(summary.files[0]?.error?.code).toBe('unknown-columns');
      expect(summary.files[0]?.error?.message).toContain('tenant_id');
      expect(summary.files[0]?.error?.message).not.toContain('cf_xdr_shxym');
    });

    it('with them ignorable, every row loads: lower-case and variant codes matched, amounts keep every decimal', async () => {
      const summary = await pull(BOOKKEEPING);
      expect(summary.counts).toMatchObject({ read: 3, inserted: 3, rejected: 0 });
      const versions = await fx.warehouse('record_versions').select('data').orderBy('id');
      expect(versions.map(({ data }) => String(data.CF_NR_FK))).toEqual(
        PENALTIES.map((p) => String(Number(p.amount))),
      );
      expect(versions.map(({ data }) => data.CF_NR_FK)).toEqual([12345678.123456, 0.000001, 100.1]);
      // DATE stays its day; DATETIME's day is the source's wall-clock day.
      expect(versions.map(({ data }) => [data.CF_JDRQ, data.CF_YXQ])).toEqual(
        PENALTIES.map((p) => [p.decided, p.until.slice(0, 10)]),
      );
      expect(versions.map(({ data }) => data.CF_XDR_SHDM)).toEqual(
        PENALTIES.map((p) => makeUscc('91', '370102', 900 + p.n)),
      );
      expect(versions.every(({ data }) => data.CF_FR_ZJHM === '11010519491231002X')).toBe(true);
      // Bookkeeping is no part of the record.
      expect(
        Object.keys(versions[0]!.data).some((key) => /del_flag|tenant|create|update|version/i.test(key)),
      ).toBe(false);
    });
  });
}
