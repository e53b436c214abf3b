import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceUnit, Transport, TransportContext } from '../../connectors/contracts.ts';
import { generatePenalties, PENALTY_HEADER } from '../../fixtures/generate/penalty-rows.ts';
import { PROJECT_ROOT } from '../../src/config/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { ingestUnits, type RunSummary } from '../../src/run/ingest-files.ts';
import { ledgerReadingOf } from '../../src/run/reading-fingerprint.ts';
import { watermarkStore } from '../../src/run/watermark-ledger.ts';
import { isAlreadyLoaded } from '../../src/warehouse/source-files-repository.ts';
import { PROVINCE_XZCF, type WarehouseFixture } from './warehouse-fixture.ts';

export { PENALTY_HEADER };

/** Valid penalty rows whose decision numbers carry `tag`, so deliveries with different tags never share keys. */
export function penaltyRows(count: number, tag: string, version?: number): string[][] {
  const { rows } = generatePenalties(count, { seed: 7, ...(version ? { version } : {}) });
  const numberColumn = PENALTY_HEADER.indexOf('行政处罚决定书文号');
  return rows.map((row, i) =>
    row.map((cell, c) => (c === numberColumn ? `济市监罚〔2026〕${tag}-${i + 1}号` : cell)),
  );
}

/** Catalog field code per national header title (the column names a 前置库 table or JSON interface uses). */
export function penaltyFieldCodes(): string[] {
  const entry = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'catalog', 'xzcf.v1.json'), 'utf8'));
  const byTitle = new Map<string, string>(
    Object.entries(entry.schema.properties as Record<string, { title: string }>).map(([code, field]) => [
      field.title,
      code,
    ]),
  );
  return PENALTY_HEADER.map((title) => byTitle.get(title) ?? title);
}

/** The context a runner gives transports: staging in the fixture's scratch, watermarks from its warehouse. */
export function transportContext(fx: WarehouseFixture, env: NodeJS.ProcessEnv = {}): TransportContext {
  return {
    stagingDir: path.join(fx.scratch, 'staging'),
    env,
    watermarks: watermarkStore(fx.warehouse),
  };
}

export interface PulledRun {
  units: SourceUnit[];
  summary: RunSummary | undefined;
}

/** One scheduled run, as the pipeline runner does it: poll, load every unit through ingestUnits, settle each. */
export async function pollAndIngest(fx: WarehouseFixture, transport: Transport): Promise<PulledRun> {
  const units: SourceUnit[] = [];
  // As the pipeline runner checks: against how ingestAll reads the units.
  const reading = ledgerReadingOf(fx.catalog, { catalog: 'xzcf', encoding: 'auto' });
  const alreadyLoaded = (sha256: string) => isAlreadyLoaded(fx.warehouse, sha256, PROVINCE_XZCF, reading);
  for await (const unit of transport.poll({ alreadyLoaded })) units.push(unit);
  if (units.length === 0) return { units, summary: undefined };
  const summary = await ingestAll(fx, units);
  for (const [i, unit] of units.entries()) {
    await transport.settle(unit, summary.files[i]?.status === 'loaded' ? 'loaded' : 'failed');
  }
  return { units, summary };
}

/** Loads units as one run of the penalty catalog entry, as the province's push. */
export function ingestAll(fx: WarehouseFixture, units: SourceUnit[]): Promise<RunSummary> {
  const logger = createLogger({ logFile: path.join(fx.scratch, 'transport.log'), console: false });
  return ingestUnits(
    fx.warehouse,
    fx.catalog,
    { units, catalog: 'xzcf', providerCode: '113700000000000000', level: 'province', encoding: 'auto' },
    logger,
  );
}
