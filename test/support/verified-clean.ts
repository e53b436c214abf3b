import path from 'node:path';
import { expect } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { verifyWarehouse } from '../../src/verify/verify-warehouse.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/** `verify` over the fixture's warehouse completes and names no record and no file. */
export async function expectVerifiedClean(fx: WarehouseFixture): Promise<void> {
  const logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
  const verified = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
  expect([verified.status, verified.records, verified.files]).toEqual(['completed', [], []]);
}
