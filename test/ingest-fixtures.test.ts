import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixturePath,
  flatRejections,
  openWarehouseFixture,
  type WarehouseFixture,
} from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

describe.each(['utf8-bom', 'gb18030'])('ingesting the %s penalty fixture', (name) => {
  let fx: WarehouseFixture;
  const expected = JSON.parse(readFileSync(fixturePath('xzcf', name, 'expected.json'), 'utf8'));
  const input = fixturePath('xzcf', name, 'input.csv');

  beforeAll(async () => {
    fx = await openWarehouseFixture(`fixture_${name}`);
  });
  afterAll(async () => fx?.close());

  it('ends every row in its expected outcome, with each bad row rejected for its exact reasons', async () => {
    const summary = await fx.ingest([input], { receivedAt: RECEIVED });
    expect(summary.status).toBe('completed');
    expect(summary.files[0]?.encoding).toBe(name === 'gb18030' ? 'gb18030' : 'utf8');
    expect(summary.counts).toMatchObject(expected.counts);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(expected.rejections);
  });

  it('stores one record and one version per valid key, with lineage for every accepted row', async () => {
    const records = await fx.warehouse('records').count<{ count: number }[]>({ count: '*' });
    const versions = await fx.warehouse('record_versions').count<{ count: number }[]>({ count: '*' });
    const sources = await fx.warehouse('record_sources').count<{ count: number }[]>({ count: '*' });
    expect(Number(records[0]?.count)).toBe(expected.counts.inserted);
    expect(Number(versions[0]?.count)).toBe(expected.counts.inserted);
    expect(Number(sources[0]?.count)).toBe(expected.counts.inserted + expected.counts.unchanged);
  });

  it('keeps the rejected row as received, with a Chinese message naming the field', async () => {
    const rejection = await fx.warehouse('rejections').where({ row_number: 8 }).first();
    expect(rejection.raw.CF_XDR_SHDM).toBe('91350100M000100Y44');
    expect(rejection.errors[0]).toMatchObject({
      field: 'CF_XDR_SHDM',
      code: 'uscc-check-digit',
      value: '91350100M000100Y44',
    });
    expect(rejection.errors[0].message).toContain('行政相对人代码_1(统一社会信用代码)');
  });

  it('re-ingesting the same file changes nothing: the ledger skips it, no version, lineage or rejection added', async () => {
    const sizes = async () =>
      Promise.all(
        ['record_versions', 'record_sources', 'rejections'].map(async (table) =>
          Number((await fx.warehouse(table).count<{ count: number }[]>({ count: '*' }))[0]?.count),
        ),
      );
    const before = await sizes();
    const again = await fx.ingest([input], { receivedAt: RECEIVED });
    expect(again.files.map((file) => file.status)).toEqual(['skipped']);
    expect(again.counts.read).toBe(0);
    expect(await sizes()).toEqual(before);
    expect(before[0]).toBe(expected.counts.inserted);
  });
});
