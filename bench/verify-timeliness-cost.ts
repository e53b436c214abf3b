import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { verifyTimeliness } from '../src/verify/verify-timeliness.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { connectWarehouse, migrateWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { openBenchServer } from './bench-database.ts';
import { writePenaltyCsv } from './write-penalty-csv.ts';

/**
 * What verify's timeliness recompute costs: a first load and a full correction of `--rows` rows (2 × rows lineage
 * rows), then `verify` whole and its timeliness pass alone, `--rounds` times.
 * `DATABASE_URL=… npx tsx bench/verify-timeliness-cost.ts --rows 150000 --rounds 2`.
 */
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '150000' }, rounds: { type: 'string', default: '2' } },
});
const rows = Number(values.rows);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-verify-timeliness-'));
const logger = createLogger({ logFile: path.join(scratch, 'bench.log'), console: false });
const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
const server = await openBenchServer(process.env.DATABASE_URL);
const step = (text: string) =>
  console.error(`[verify-timeliness ${new Date().toISOString().slice(11, 19)}] ${text}`);
try {
  const url = await server.freshDatabase('verify_timeliness');
  await migrateWarehouse(url);
  const warehouse = connectWarehouse(url);
  for (const [name, version] of [
    ['first.csv', 1],
    ['corrected.csv', 2],
  ] as const) {
    const file = path.join(scratch, name);
    await writePenaltyCsv(file, rows, { badShare: 0, encoding: 'utf8', version });
    const unit = await localFileUnit(file, new Date('2026-11-20T10:00:00+08:00'));
    const summary = await ingestUnits(
      warehouse,
      catalog,
      {
        units: [unit],
        catalog: 'xzcf',
        providerCode: '113700000000000000',
        level: 'province',
        encoding: 'auto',
      },
      logger,
    );
    step(`${name}: ${JSON.stringify(summary.counts)}`);
  }
  const [{ n }] = (await warehouse.raw('SELECT count(*)::int AS n FROM record_sources')).rows;
  step(`lineage rows: ${n}`);
  for (let round = 1; round <= Number(values.rounds); round++) {
    let started = Date.now();
    const verified = await verifyWarehouse(warehouse, catalog, {}, logger);
    const whole = Date.now() - started;
    started = Date.now();
    let checked = 0;
    let findings = 0;
    for await (const page of verifyTimeliness(warehouse, catalog, {})) {
      checked += page.rows;
      findings += page.findings.length;
    }
    const pass = Date.now() - started;
    step(
      `round ${round}: verify ${whole} ms (${verified.status}, ${verified.records.length} findings); timeliness pass ${pass} ms over ${checked} rows (${findings} findings), ${((pass * 1000) / checked).toFixed(1)} µs a row`,
    );
  }
  await warehouse.destroy();
} finally {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}
