import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import type { TableTransportConfig } from '../connectors/transports/table-config.ts';
import { tableTransportFactory } from '../connectors/transports/table-transport.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { PENALTY_HEADER, penaltyRows, pollAndIngest, transportContext } from './support/penalty-delivery.ts';
import {
  createPenaltyTable,
  insertPenalties,
  penaltyColumns,
  type SourceDatabase,
} from './support/source-database.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { openXtabSource } from './support/xtab-source.ts';

const columns = Object.fromEntries(penaltyColumns().map((column, i) => [column, PENALTY_HEADER[i]!]));
const config = (extra: Partial<TableTransportConfig> = {}): TableTransportConfig => ({
  type: 'table',
  urlEnv: 'QZK_URL',
  table: 'xzcf_out',
  columns,
  cursor: { column: 'updated_at', tieBreaker: 'id' },
  batchSize: 50,
  pageSize: 10,
  ...extra,
});

// The default watermark names the pipeline: two pipelines reading tables of one name from two 前置库 databases
// keep two positions, and an upgraded deployment continues from the position saved under the old shared key.
describe('table watermarks are per pipeline (real MariaDB and PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let east: SourceDatabase;
  let west: SourceDatabase;
  let clock = 0;

  beforeAll(async () => {
    fx = await openWarehouseFixture('xtab_watermark_key');
    east = await openXtabSource('mariadb', 'key_east');
    west = await openXtabSource('postgres', 'key_west');
    for (const source of [east, west]) await createPenaltyTable(source.db, 'xzcf_out');
  });
  afterAll(async () => {
    await east?.drop();
    await west?.drop();
    await fx?.close();
  });

  const deliver = (source: SourceDatabase, count: number, tag: string) =>
    insertPenalties(
      source.db,
      'xzcf_out',
      penaltyRows(count, tag),
      `2026-11-20 10:00:${String(++clock).padStart(2, '0')}.000001`,
    );
  async function run(source: SourceDatabase, pipeline: string | undefined) {
    const context = { ...transportContext(fx, { QZK_URL: source.url }), ...(pipeline ? { pipeline } : {}) };
    const transport = tableTransportFactory.create(config(), context);
    try {
      return (await pollAndIngest(fx, transport)).summary?.counts.inserted ?? 0;
    } finally {
      await transport.close();
    }
  }
  const keys = async () => (await fx.warehouse('watermarks').orderBy('source').pluck('source')) as string[];

  it('an upgraded pipeline starts after the old `table:<table>` position once, then keeps its own', async () => {
    await deliver(east, 10, 'east-1');
    expect(await run(east, undefined)).toBe(10); // before the upgrade: the shared default key
    await deliver(east, 5, 'east-2');
    expect(await run(east, 'qzk-east')).toBe(5); // neither the 10 again nor nothing
    expect(await keys()).toEqual(['table:qzk-east:xzcf_out', 'table:xzcf_out']);
    await deliver(east, 3, 'east-3');
    expect(await run(east, 'qzk-east')).toBe(3);
  });

  it('a second pipeline reading a table of the same name elsewhere loads all of its own rows', async () => {
    await deliver(west, 120, 'west-1');
    expect(await run(west, 'qzk-west')).toBe(120);
    expect(await keys()).toContain('table:qzk-west:xzcf_out');
  });
});

describe('pipelines validate refuses pipelines sharing a watermark', () => {
  it('names both files and the shared key; pipelines with their own keys load', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'xtab-pipelines-'));
    const pipeline = (name: string, transport: Partial<TableTransportConfig>) =>
      writeFileSync(
        path.join(dir, `${name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider: '113700000000000000',
          level: 'city',
          transport: config(transport),
        }),
      );
    pipeline('a', { watermark: 'table:qzk/xzcf_out' });
    pipeline('b', { watermark: 'table:qzk/xzcf_out' });
    pipeline('c', {}); // default key table:c:xzcf_out
    pipeline('d', {}); // same table, own default key table:d:xzcf_out
    const loaded = await loadPipelines(dir, TRANSPORTS);
    expect(loaded.pipelines.map((p) => p.name)).toEqual(['c', 'd']);
    expect(loaded.problems.map((p) => [path.basename(p.file), p.path])).toEqual([
      ['a.json', '/transport/watermark'],
      ['b.json', '/transport/watermark'],
    ]);
    expect(loaded.problems[0]?.message).toContain('"table:qzk/xzcf_out" is also used by pipeline "b"');
  });
});
