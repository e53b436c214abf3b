import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixturePath,
  flatRejections,
  openWarehouseFixture,
  type WarehouseFixture,
} from './support/warehouse-fixture.ts';

// The day xzcf v2 (2016 layout) and v3 take effect: no version reads a file received before its effectiveFrom.
const RECEIVED = new Date('2026-12-05T10:00:00+08:00');
const FORMS = [
  ['utf8', 'input.csv', 'utf8'],
  ['gb18030', 'input.csv', 'gb18030'],
  ['xlsx', 'input.xlsx', undefined],
] as const;

describe.each(['xzcf', 'xzxk'])('the 2016 双公示 layout of %s', (entry) => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture(`legacy_${entry}`);
  });
  afterAll(async () => fx?.close());

  it.each(FORMS)(
    '%s: every row in its expected outcome, read by its 2016-layout version',
    async (form, file, encoding) => {
      const dir = `legacy-2016-${form}`;
      const expected = JSON.parse(readFileSync(fixturePath(entry, dir, 'expected.json'), 'utf8'));
      const before = Number(
        (await fx.warehouse('records').count<{ count: number }[]>({ count: '*' }))[0]?.count,
      );
      const summary = await fx.ingest([fixturePath(entry, dir, file)], {
        catalog: entry,
        receivedAt: RECEIVED,
        lookups: expected.lookups,
      });
      expect(summary.status).toBe('completed');
      if (encoding) expect(summary.files[0]?.encoding).toBe(encoding);
      // The first form inserts; the same decisions in the next forms are re-deliveries of identical content.
      const { inserted, ...others } = expected.counts;
      expect(summary.counts).toMatchObject(
        before === 0 ? expected.counts : { ...others, inserted: 0, unchanged: inserted },
      );
      expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(expected.rejections);
      const sourceFile = await fx.warehouse('source_files').where({ run_id: summary.runId }).first();
      expect(sourceFile.catalog_version).toBe(expected.version);
    },
  );

  it('stores the rows in the current model: one record per decision, versions marked with the 2016-layout version', async () => {
    const expected = JSON.parse(
      readFileSync(fixturePath(entry, 'legacy-2016-utf8', 'expected.json'), 'utf8'),
    );
    const versions = await fx.warehouse('record_versions').select('catalog_version', 'data');
    expect(versions.length).toBe(expected.counts.inserted);
    expect(new Set(versions.map((version) => version.catalog_version))).toEqual(new Set([expected.version]));
    // Source values (当前状态, 地方编码, 数据更新时间戳) are no part of the record.
    for (const { data } of versions)
      expect(Object.keys(data).filter((key) => !/^(CF|XK)_|^BZ$/.test(key))).toEqual([]);
  });

  it('a rejected row names the 2016 column in its message', async () => {
    const rejection = await fx
      .warehouse('rejections')
      .whereRaw('errors @> \'[{"code": "subject-code-not-allowed"}]\'')
      .first();
    expect(rejection.errors[0].message).toContain('行政相对人代码_1(统一社会信用代码)');
  });
});

describe('the same 行政处罚 decisions first in the 2016 layout, then in the 2021 layout', () => {
  let fx: WarehouseFixture;
  const lookups = JSON.parse(
    readFileSync(fixturePath('xzcf', 'legacy-2016-gb18030', 'expected.json'), 'utf8'),
  ).lookups;
  beforeAll(async () => {
    fx = await openWarehouseFixture('legacy_round');
  });
  afterAll(async () => fx?.close());

  it('one record each: the 2021 delivery is a new version of every decision, never a new record', async () => {
    const first = await fx.ingest([fixturePath('xzcf', 'legacy-2016-gb18030', 'input.csv')], {
      receivedAt: RECEIVED,
      lookups,
    });
    expect(first.counts).toMatchObject({ inserted: 4, rejected: 5 });
    const second = await fx.ingest([fixturePath('xzcf', 'legacy-2016-round', 'input.csv')], {
      receivedAt: RECEIVED,
    });
    expect(second.counts).toMatchObject({ read: 4, inserted: 0, updated: 4, unchanged: 0, rejected: 0 });
    const records = await fx.warehouse('records').select('id', 'current_version_id');
    expect(records.length).toBe(4);
    const versions = await fx.warehouse('record_versions').orderBy(['record_id', 'version_no']);
    // The 2016 file is read by xzcf v2 (the corrected 2016 layout), the 2021 one by v3 (in force on its day).
    expect(versions.map((version) => [version.version_no, version.catalog_version])).toEqual(
      records.flatMap(() => [
        [1, 2],
        [2, 3],
      ]),
    );
  });

  it('the 2021 version differs only by what the 2016 layout could not carry, and by a real correction', async () => {
    const versions = await fx.warehouse('record_versions').orderBy(['record_id', 'version_no']);
    const byRecord = new Map<number, Record<string, unknown>[]>();
    for (const version of versions)
      byRecord.set(version.record_id, [...(byRecord.get(version.record_id) ?? []), version.data]);
    const differences = [...byRecord.values()].map(([old, current]) =>
      Object.keys({ ...old, ...current })
        .filter((key) => JSON.stringify(old?.[key]) !== JSON.stringify(current?.[key]))
        .sort(),
    );
    const carriedIn2021Only = ['CF_SJLY', 'CF_SJLYDM', 'CF_YXQ'];
    expect(differences.filter((keys) => keys.join() === carriedIn2021Only.join()).length).toBe(3);
    expect(differences).toContainEqual([...carriedIn2021Only, 'CF_NR'].sort());
  });

  it('the 2016 layout again after the 2021 one: equal on what it carries is no new version; a real difference is', async () => {
    // The same decisions in the other 2016 file (other bytes: the ledger would skip the first file's own).
    const third = await fx.ingest([fixturePath('xzcf', 'legacy-2016-utf8', 'input.csv')], {
      receivedAt: RECEIVED,
      lookups,
    });
    // Three decisions equal the 2021 version on every 2016 field; the fourth's 处罚内容 the 2021 file corrected.
    expect(third.counts).toMatchObject({ read: 9, inserted: 0, unchanged: 3, updated: 1, rejected: 5 });
    expect(await fx.warehouse('records')).toHaveLength(4);
    const versions = await fx.warehouse('record_versions').select('record_id', 'catalog_version');
    expect(versions.length).toBe(4 * 2 + 1);
    // The unchanged rows re-deliver the 2021 versions, which stay current: they continue their channel's run and
    // are counted in the file's summary (compact lineage); only the corrected decision's version is a 2016 one.
    const summary = await fx.warehouse('unchanged_deliveries').where({ run_id: third.runId }).pluck('rows');
    expect(summary).toEqual([3]);
    const current = await fx
      .warehouse('records as r')
      .join('record_versions as v', 'v.id', 'r.current_version_id')
      .orderBy('v.catalog_version')
      .pluck('v.catalog_version');
    expect(current).toEqual([2, 3, 3, 3]);
  });
});

describe('the same 行政处罚 decisions first in the 2021 layout, then in the 2016 layout', () => {
  let fx: WarehouseFixture;
  const lookups = JSON.parse(
    readFileSync(fixturePath('xzcf', 'legacy-2016-gb18030', 'expected.json'), 'utf8'),
  ).lookups;
  beforeAll(async () => {
    fx = await openWarehouseFixture('legacy_round_back');
  });
  afterAll(async () => fx?.close());

  it('one record each; a new version only for the decision whose 2016 content really differs', async () => {
    const first = await fx.ingest([fixturePath('xzcf', 'legacy-2016-round', 'input.csv')], {
      receivedAt: RECEIVED,
    });
    expect(first.counts).toMatchObject({ read: 4, inserted: 4, rejected: 0 });
    const second = await fx.ingest([fixturePath('xzcf', 'legacy-2016-gb18030', 'input.csv')], {
      receivedAt: RECEIVED,
      lookups,
    });
    expect(second.counts).toMatchObject({ inserted: 0, unchanged: 3, updated: 1, rejected: 5 });
    expect(await fx.warehouse('records')).toHaveLength(4);
    const versions = await fx.warehouse('record_versions').orderBy(['record_id', 'version_no']);
    const perRecord = new Map<number, number[]>();
    for (const version of versions)
      perRecord.set(version.record_id, [
        ...(perRecord.get(version.record_id) ?? []),
        version.catalog_version,
      ]);
    expect([...perRecord.values()].sort((a, b) => a.length - b.length)).toEqual([[3], [3], [3], [3, 2]]);
    // The corrected one: the 2016 row differs in 处罚内容 only (besides what 2016 cannot carry).
    const [old, back] = [...perRecord.entries()]
      .filter(([, list]) => list.length === 2)
      .flatMap(([id]) => versions.filter((version) => version.record_id === id).map((v) => v.data));
    const differing = Object.keys({ ...old, ...back }).filter(
      (key) => back?.[key] !== undefined && JSON.stringify(old?.[key]) !== JSON.stringify(back?.[key]),
    );
    expect(differing).toEqual(['CF_NR']);
  });

  it("a 2016 file delivered by a city after the province's 2021 one merges where equal on its fields", async () => {
    const third = await fx.ingest([fixturePath('xzcf', 'legacy-2016-utf8', 'input.csv')], {
      receivedAt: RECEIVED,
      lookups,
      level: 'city',
      provider: '11370100MB28174284',
    });
    // The corrected decision's current version is the 2016 one now: equal, merged; the others equal the 2021.
    expect(third.counts).toMatchObject({ inserted: 0, merged: 4, updated: 0, conflict: 0, rejected: 5 });
    expect(await fx.warehouse('record_versions')).toHaveLength(5);
  });
});
