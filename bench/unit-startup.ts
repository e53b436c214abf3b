import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SourceUnit } from '../connectors/contracts.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { connectWarehouse, migrateWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { openBenchServer } from './bench-database.ts';

/**
 * What isolating a unit costs: one run over `--files` small CSVs (20 rows each), each loaded in a worker thread.
 * A unit's own work is its `durationMs` (measured inside the worker); the rest of its wall time is the worker's
 * start-up (cold: the first unit, or the first after a failure) or hand-over (warm: a worker kept between units).
 */
const { values } = parseArgs({ options: { files: { type: 'string', default: '10' } } });
const count = Number(values.files);
const server = await openBenchServer(process.env.DATABASE_URL);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-unit-startup-'));
const url = await server.freshDatabase('unit_startup');
await migrateWarehouse(url);
const warehouse = connectWarehouse(url);
try {
  const units: SourceUnit[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(scratch, `small-${i}.csv`);
    writeFileSync(file, toCsv(PENALTY_HEADER, generatePenalties(20, { seed: i }).rows));
    units.push(await localFileUnit(file));
  }
  const started = new Map<string, number>();
  const overheadMs: number[] = [];
  const summary = await ingestUnits(
    warehouse,
    await loadCatalog(path.join(PROJECT_ROOT, 'catalog')),
    {
      units,
      catalog: 'xzcf',
      providerCode: '113700000000000000',
      level: 'province',
      encoding: 'auto',
      onUnitStart: (unit) => started.set(unit.name, performance.now()),
      onUnitDone: async (unit, result) => {
        overheadMs.push(performance.now() - (started.get(unit.name) ?? 0) - result.durationMs);
      },
    },
    createLogger({ logFile: path.join(scratch, 'bench.log'), console: false }),
  );
  const [cold = 0, ...warm] = overheadMs;
  const median = [...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)] ?? 0;
  console.log(`${count} units, ${summary.status}: start-up of a cold worker ${cold.toFixed(0)} ms;`);
  console.log(`  a warm worker's hand-over, median of ${warm.length}: ${median.toFixed(0)} ms`);
  console.log(
    `  work inside the worker, median: ${summary.files.map((f) => f.durationMs).sort((a, b) => a - b)[Math.floor(count / 2)]} ms`,
  );
} finally {
  await warehouse.destroy();
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}
