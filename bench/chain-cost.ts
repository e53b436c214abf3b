import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { connectWarehouse, migrateWarehouse, type Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { openBenchServer } from './bench-database.ts';
import { writePenaltyCsv } from './write-penalty-csv.ts';

/**
 * What tamper evidence costs the load (issue #15): the same first load and full correction, merged with the
 * version-chain trigger and file digest (011-version-chain) and with both switched off, alternating, and how
 * long `verify` takes over what was loaded. `npx tsx bench/chain-cost.ts --rows 100000 --rounds 2`.
 */
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '2' } },
});
const rows = Number(values.rows);
const rounds = Number(values.rounds);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-chain-cost-'));
const step = (text: string) =>
  console.error(`[chain-cost ${new Date().toISOString().slice(11, 19)}] ${text}`);
const logger = createLogger({ logFile: path.join(scratch, 'bench.log'), console: false });
const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
const server = await openBenchServer(process.env.DATABASE_URL);

/** The warehouse as it was before 011: no chain trigger, no digest work (neither v1 nor 043's v2). */
async function withoutChain(warehouse: Warehouse): Promise<void> {
  await warehouse.raw(`
    ALTER TABLE record_versions DISABLE TRIGGER zz_record_versions_chain;
    ALTER TABLE source_files DISABLE TRIGGER source_files_digest_v2;
    ALTER TABLE record_versions ALTER COLUMN chain_hash DROP NOT NULL;
    CREATE OR REPLACE FUNCTION source_file_digest(file_id bigint) RETURNS text LANGUAGE sql STABLE AS $$ SELECT ''::text $$;`);
}

async function load(warehouse: Warehouse, file: string) {
  const unit = await localFileUnit(file, new Date('2026-11-20T10:00:00+08:00'));
  const started = Date.now();
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
  return { ms: Date.now() - started, merge: summary.files[0]?.stageMs?.merge ?? 0, counts: summary.counts };
}

try {
  const first = path.join(scratch, 'first.csv');
  const corrected = path.join(scratch, 'corrected.csv');
  await writePenaltyCsv(first, rows, { badShare: 0, encoding: 'utf8' });
  await writePenaltyCsv(corrected, rows, { badShare: 0, encoding: 'utf8', version: 2 });
  const results: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ['chained', 'plain'] as const) {
      const url = await server.freshDatabase(`${mode}_${round}`);
      await migrateWarehouse(url);
      const warehouse = connectWarehouse(url);
      if (mode === 'plain') {
        // Switching the chain off is the owner's to do (migrations' rights); the loads run as the loader.
        const owner = connectWarehouse(url, { poolSize: 1, role: null });
        await withoutChain(owner).finally(() => owner.destroy());
      }
      const loaded = await load(warehouse, first);
      const updated = await load(warehouse, corrected);
      const line = `round ${round} ${mode}: first load ${loaded.ms} ms (merge ${loaded.merge}), correction ${updated.ms} ms (merge ${updated.merge}); inserted ${loaded.counts.inserted}, updated ${updated.counts.updated}`;
      step(line);
      results.push(line);
      if (mode === 'chained' && round === 1) {
        const started = Date.now();
        const verified = await verifyWarehouse(warehouse, catalog, {}, logger);
        const verifyLine = `verify: ${verified.counts.versions} versions, ${verified.counts.records} records, ${verified.counts.files} files in ${Date.now() - started} ms (${verified.status})`;
        step(verifyLine);
        results.push(verifyLine);
      }
      await warehouse.destroy();
    }
  }
  console.log(results.join('\n'));
} finally {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}
