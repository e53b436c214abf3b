import path from 'node:path';
import type { FormatOptions, SourceUnit } from '../../connectors/contracts.ts';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import { type IngestRequest, ingestUnits, type RunSummary } from '../../src/run/ingest-files.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/** What a test may set of the run besides its units: limits, a progress callback. */
export type DeliveryOptions = Pick<IngestRequest, 'limits' | 'onProgress'>;

/**
 * One run over the given units into the fixture's warehouse, as `credit-etl ingest` does it. Its log goes to
 * `test.log` in the fixture's scratch folder unless a test passes a logger of its own (one it reads back).
 */
export function ingestDelivery(
  fx: WarehouseFixture,
  units: SourceUnit[],
  formatOptions: Omit<FormatOptions, 'encoding'> = {},
  logger: Logger = createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false }),
  options: DeliveryOptions = {},
): Promise<RunSummary> {
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
      ...options,
    },
    logger,
  );
}
