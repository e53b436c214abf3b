import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, PROVINCE_XZCF, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review finding: the engine's login (credit_etl_loader) could rewrite `watermarks.position` with one UPDATE, no
 * batch, run or file tied to it: a 前置库 table's rows skipped (forwards) or read again (backwards) silently.
 * Migration 061 takes a watermark only in the transaction that loads the batch it covers, and records that file.
 */
const SOURCE = 'table:qzk/xzcf_exchange';
const at = (cursor: string) => ({ cursor, tie: 7 });

describe('a watermark moves only with the batch it covers (061)', { timeout: 180_000 }, () => {
  let fx: WarehouseFixture;
  const position = async () =>
    fx.warehouse('watermarks').where({ source: SOURCE }).first('position', 'source_file_id');

  /** A batch as a table pipeline loads one: its rows and, just before commit, its watermark step. */
  const loadBatch = async (name: string, seed: number, from: unknown, to: unknown) => {
    const unit: SourceUnit = {
      ...(await localFileUnit(writeRows(fx.scratch, name, basePenalties(2, seed)))),
      beforeCommit: (commit) => commit.advanceWatermark(SOURCE, from, to),
    };
    const logger = createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false });
    const { catalogCode: catalog, providerCode, level } = PROVINCE_XZCF;
    const request = { units: [unit], catalog, providerCode, level, encoding: 'auto' as const };
    const summary = await ingestUnits(fx.warehouse, fx.catalog, request, logger);
    expect(summary.status, JSON.stringify(summary.files)).toBe('completed');
    return summary.files[0]!.sourceFileId;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('watermarks_with_batch');
  }, 120_000);
  afterAll(async () => fx?.close());

  it('the engine moves it with each batch; the database records which file moved it', async () => {
    const first = await loadBatch('b1.csv', 6101, undefined, at('2026-11-20 10:00:00'));
    expect(await position()).toEqual({ position: at('2026-11-20 10:00:00'), source_file_id: first });
    const second = await loadBatch('b2.csv', 6102, at('2026-11-20 10:00:00'), at('2026-11-21 09:00:00'));
    expect(await position()).toEqual({ position: at('2026-11-21 09:00:00'), source_file_id: second });
  });

  it('the loader may not move it outside a batch, forwards or backwards, nor save a new one', async () => {
    const before = await position();
    for (const cursor of ['2099-01-01 00:00:00', '2000-01-01 00:00:00']) {
      await expect(
        fx
          .warehouse('watermarks')
          .where({ source: SOURCE })
          .update({ position: at(cursor) }),
      ).rejects.toThrow('只能在载入其所覆盖批次的事务中移动');
    }
    await expect(
      fx.warehouse('watermarks').insert({ source: 'table:qzk/other', position: at('2099-01-01') }),
    ).rejects.toThrow('none is being loaded in this one');
    // Nor the owner, while triggers are on.
    await expect(
      fx
        .owner('watermarks')
        .where({ source: SOURCE })
        .update({ position: at('2099-01-01') }),
    ).rejects.toThrow('只能在载入其所覆盖批次的事务中移动');
    expect(await position()).toEqual(before);
    expect(await fx.warehouse('watermarks').count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('a file that was loaded and sealed does not stand in for a batch', async () => {
    const [sealed] = await fx.warehouse('source_files').orderBy('id').pluck('id');
    await expect(
      fx.warehouse.transaction(async (trx) => {
        expect(await trx('source_files').where({ id: sealed }).first('digest')).not.toEqual({ digest: null });
        await trx('watermarks')
          .where({ source: SOURCE })
          .update({ position: at('2099-01-01') });
      }),
    ).rejects.toThrow('只能在载入其所覆盖批次的事务中移动');
  });
});
