import type { Catalog } from '../catalog/load-catalog.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import type { LoadedPipelines, TransportRegistry } from '../pipelines/load-pipelines.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { ConsoleSettings } from './console-settings.ts';

/**
 * What every page gets: the open warehouse (SQL only through src/warehouse/ repositories), configuration, the
 * catalog, the logger, and the pipelines. `serve` builds it inside withWarehouse (src/cli/with-warehouse.ts), a
 * test from a warehouse fixture (test/support/console-fixture.ts).
 */
export interface ConsoleDeps {
  warehouse: Warehouse;
  config: Config;
  catalog: Catalog;
  logger: Logger;
  settings: ConsoleSettings;
  /** The pipeline files as they are now (read on each call: an edited file shows without a restart). */
  loadPipelines(): Promise<LoadedPipelines>;
  /** For a retried run: the transports, and where they keep downloads in progress. */
  transports: TransportRegistry;
  stagingDir: string;
  /** Aborted when the console stops: a retry under way finishes its current file and starts no other. */
  signal?: AbortSignal;
  /** How long a direct-report upload may take to arrive; UPLOAD_TIMEOUTS (direct-report-limit.ts) unless a test says. */
  uploadTimeouts?: UploadTimeouts;
}

/** A direct-report upload is given up when no byte of it arrives for `idleMs`, or it is not whole after `totalMs`. */
export interface UploadTimeouts {
  idleMs: number;
  totalMs: number;
}
