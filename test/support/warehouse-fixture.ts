import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localFileUnit } from '../../connectors/transports/local-file.ts';
import type { ChannelLevel } from '../../src/catalog/catalog-entry.ts';
import { type Catalog, loadCatalog } from '../../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../../src/config/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Lookups } from '../../src/normalize/derive-legacy-row.ts';
import { ingestUnits, type RunSummary } from '../../src/run/ingest-files.ts';
import type { WithdrawalSignals } from '../../src/run/withdrawal-signals.ts';
import type { ValidatorOptions } from '../../src/validate/compile-validator.ts';
import { connectWarehouse, migrateWarehouse, type Warehouse } from '../../src/warehouse/connect-warehouse.ts';
import type { Thresholds } from '../../src/warehouse/threshold-decision.ts';
import { createTestDatabase } from '../test-database.ts';

/** A migrated warehouse in a database of its own, a scratch directory, and a one-call ingest. */
export interface WarehouseFixture {
  url: string;
  /** As the engine: every connection is credit_etl_loader (SET ROLE). */
  warehouse: Warehouse;
  /**
   * As the login user, a superuser on the test server, with no SET ROLE: for a test that tampers on purpose,
   * or shows that a trigger holds even for the owner (superusers bypass grants, never triggers).
   */
  owner: Warehouse;
  catalog: Catalog;
  scratch: string;
  ingest(
    files: string[],
    options?: {
      level?: ChannelLevel;
      provider?: string;
      receivedAt?: Date;
      /** Catalog entry code or title (default xzcf). */
      catalog?: string;
      /** Another catalog than the shipped one (an entry with other settings, e.g. its precedence). */
      catalogs?: Catalog;
      validatorOptions?: ValidatorOptions;
      /** A pipeline's lookups for a legacy layout's derivations (e.g. authorityCodes). */
      lookups?: Lookups;
      /** A pipeline's integrator bookkeeping columns (create_time…), read by no field. */
      ignoreColumns?: readonly string[];
      /** A pipeline's thresholds: a file over them is held back whole. */
      thresholds?: Thresholds;
      /** A pipeline's withdrawal signals (a soft-delete flag, 当前状态 撤销). */
      withdrawals?: WithdrawalSignals;
    },
  ): Promise<RunSummary>;
  close(): Promise<void>;
}

export async function openWarehouseFixture(label: string): Promise<WarehouseFixture> {
  const database = await createTestDatabase(label);
  await migrateWarehouse(database.url);
  const warehouse = connectWarehouse(database.url);
  const owner = connectWarehouse(database.url, {
    poolSize: 2,
    applicationName: 'credit-etl test owner',
    role: null,
  });
  const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  const scratch = mkdtempSync(path.join(os.tmpdir(), `credit-etl-${label}-`));
  const logger = createLogger({ logFile: path.join(scratch, 'test.log'), console: false });
  return {
    url: database.url,
    warehouse,
    owner,
    catalog,
    scratch,
    async ingest(files, options = {}) {
      const units = await Promise.all(files.map((file) => localFileUnit(file, options.receivedAt)));
      return ingestUnits(
        warehouse,
        options.catalogs ?? catalog,
        {
          units,
          catalog: options.catalog ?? 'xzcf',
          providerCode: options.provider ?? '113700000000000000',
          level: options.level ?? 'province',
          encoding: 'auto',
          ...(options.validatorOptions ? { validatorOptions: options.validatorOptions } : {}),
          ...(options.lookups ? { lookups: options.lookups } : {}),
          ...(options.ignoreColumns ? { ignoreColumns: options.ignoreColumns } : {}),
          ...(options.thresholds ? { thresholds: options.thresholds } : {}),
          ...(options.withdrawals ? { withdrawals: options.withdrawals } : {}),
        },
        logger,
      );
    },
    async close() {
      await warehouse.destroy();
      await owner.destroy();
      await database.drop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** The channel the fixture's deliveries come from by default: the province's 行政处罚 push. */
export const PROVINCE_XZCF = {
  catalogCode: 'xzcf',
  providerCode: '113700000000000000',
  level: 'province',
} as const;

export const fixturePath = (...parts: string[]) => path.join(PROJECT_ROOT, 'fixtures', ...parts);

/** Rejections of a run as sorted `[row, field, code]` triples: short, exact assertions. */
export async function flatRejections(
  warehouse: Warehouse,
  runId: number,
): Promise<[number, string, string][]> {
  const rows = await warehouse('rejections')
    .where({ run_id: runId })
    .orderBy('row_number')
    .select('row_number', 'errors');
  return rows.flatMap((row: { row_number: number; errors: { field: string; code: string }[] }) =>
    row.errors.map((error) => [row.row_number, error.field, error.code] as [number, string, string]),
  );
}
