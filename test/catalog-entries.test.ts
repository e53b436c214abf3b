import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncCatalogEntries } from '../src/cli/sync-catalog-entries.ts';
import {
  fixturePath,
  flatRejections,
  openWarehouseFixture,
  type WarehouseFixture,
} from './support/warehouse-fixture.ts';

// Every catalog entry's fixtures load through the real pipeline with the outcomes their expected.json states.
const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const CODES = ['xzcf', 'xzxk', 'frdj', 'yzsxmd', 'xzqz', 'zyzg'];
const CASES = CODES.flatMap((code) =>
  existsSync(fixturePath(code)) ? readdirSync(fixturePath(code)).map((name) => [code, name] as const) : [],
);

let fx: WarehouseFixture;
beforeAll(async () => {
  fx = await openWarehouseFixture('catalog_entries');
});
afterAll(async () => fx?.close());

it('every entry has at least one fixture', () => {
  expect(new Set(CASES.map(([code]) => code))).toEqual(new Set(CODES));
});

// The penalty fixtures share their keys (one file in two encodings): test/ingest-fixtures.test.ts loads each
// into a database of its own.
// The 2016-layout fixtures (UTF-8, GB18030, XLSX, with lookups) have their own test: ingest-legacy-layouts.test.ts.
describe.each(CASES.filter(([code, name]) => code !== 'xzcf' && !name.startsWith('legacy-2016')))(
  'fixture %s/%s',
  (code, name) => {
    const expected = JSON.parse(readFileSync(fixturePath(code, name, 'expected.json'), 'utf8'));

    it('ends every row in its expected outcome, rejected for its exact reasons, warnings kept', async () => {
      const summary = await fx.ingest([fixturePath(code, name, 'input.csv')], {
        catalog: code,
        receivedAt: RECEIVED,
      });
      expect(summary.files[0]?.error).toBeUndefined();
      expect(summary.counts).toMatchObject(expected.counts);
      expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(expected.rejections);
      const sources = await fx
        .warehouse('record_sources')
        .where({ run_id: summary.runId })
        .whereNotNull('warnings')
        .orderBy('row_number')
        .select('row_number', 'warnings');
      const warnings = sources.flatMap(
        (row: { row_number: number; warnings: { field: string; code: string }[] }) =>
          row.warnings.map((warning) => [row.row_number, warning.field, warning.code]),
      );
      expect(warnings).toEqual(expected.warnings ?? []);
      // The run summary counts the rows loaded with a warning, so an operator sees them without a query.
      expect(summary.counts.warned).toBe(sources.length);
      const file = await fx.warehouse('source_files').where({ run_id: summary.runId }).first();
      expect(file).toMatchObject({ catalog_code: code, catalog_version: 1 });
    });
  },
);

describe('pilot-era codes, placeholders and the catalog history', () => {
  it('an individual business under the placeholder is filed under its 工商注册号', async () => {
    const record = await fx
      .warehouse('records')
      .where({ catalog_code: 'xzxk' })
      .whereRaw(`business_key LIKE '%00000000000000000X%'`)
      .first();
    expect(record?.subject_code).toBe('440301103448669');
  });

  it('with allowPilotCodes a pilot-era code loads without a warning', async () => {
    const summary = await fx.ingest([fixturePath('xzxk', 'aliases-2016', 'input.csv')], {
      catalog: 'xzxk',
      receivedAt: RECEIVED,
      level: 'city',
      validatorOptions: { allowPilotCodes: true },
    });
    const warned = await fx
      .warehouse('record_sources')
      .where({ run_id: summary.runId })
      .whereNotNull('warnings')
      .count<{ count: number }[]>({ count: '*' });
    expect(Number(warned[0]?.count)).toBe(0);
    expect(summary.counts.warned).toBe(0);
    expect(summary.counts.merged).toBeGreaterThan(0);
  });

  it('catalog_entries records each version once by content hash; a changed version is refused, unrecorded', async () => {
    const first = await syncCatalogEntries(fx.warehouse, fx.catalog.entries);
    expect(first.added.sort()).toEqual(
      [...CODES.map((code) => `${code} v1`), 'xzcf v0', 'xzcf v2', 'xzcf v3', 'xzxk v0', 'yzsxmd v2'].sort(),
    );
    expect(await syncCatalogEntries(fx.warehouse, fx.catalog.entries)).toEqual({ added: [], changed: [] });
    const xzcf = fx.catalog.entries.find((entry) => entry.code === 'xzcf' && entry.version === 1)!;
    const edited = { ...xzcf, rules: xzcf.rules.slice(1) };
    await expect(syncCatalogEntries(fx.warehouse, [edited])).rejects.toThrow(
      /xzcf\.v1\.json（目录条目 xzcf v1，.*首次登记）.*A recorded catalog version is immutable/,
    );
    const rows = await fx
      .warehouse('catalog_entries')
      .where({ code: 'xzcf', version: 1 })
      .select('content_hash', 'entry');
    expect(rows).toHaveLength(1);
    await expect(fx.warehouse('catalog_entries').where({ code: 'xzcf' }).delete()).rejects.toThrow(
      /permission denied/,
    );
    // Even the owner, who may delete anything it was granted, is refused by the trigger.
    await expect(fx.owner('catalog_entries').where({ code: 'xzcf' }).delete()).rejects.toThrow(/append-only/);
  });
});
