import path from 'node:path';
import type { FormatOptions, SourceUnit } from '../../connectors/contracts.ts';
import { createLogger } from '../../src/log/logger.ts';
import { ingestUnits, type RunSummary } from '../../src/run/ingest-files.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/** One run over the given units into the fixture's warehouse, as `credit-etl ingest` does it. */
export function ingestDelivery(
  fx: WarehouseFixture,
  units: SourceUnit[],
  formatOptions: Omit<FormatOptions, 'encoding'> = {},
): Promise<RunSummary> {
  const logger = createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false });
  return ingestUnits(
    fx.warehouse,
    fx.catalog,
    {
      units,
      catalog: 'xzcf',
      providerCode: '113700000000000000',
      level: 'province',
      encoding: 'auto',
      formatOptions,
    },
    logger,
  );
}
