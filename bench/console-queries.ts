import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import * as consoleIndexes from '../migrations/020-console-indexes.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { searchRecords } from '../src/records/record-search.ts';
import { connectWarehouse, migrateWarehouse, type Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { rejectionPage } from '../src/warehouse/rejection-browse-repository.ts';
import { openBenchServer } from './bench-database.ts';
import { fillConsoleWarehouse } from './console-warehouse.ts';

/*
 * The console's queries on a warehouse of a million records (issue #20: "pages answer fast"), with and without
 * the indexes of migrations/020-console-indexes.ts: each query's time (best of 3) and the plan's top node.
 * Synthetic rows written straight into the tables (the loader is measured by `npm run bench`, not here).
 *   npx tsx bench/console-queries.ts [--records 1000000] [--rejections 300000]
 */
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    rejections: { type: 'string', default: '300000' },
  },
});
const records = Number(values.records);
const rejections = Number(values.rejections);
const step = (text: string) =>
  console.error(`[console-bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const url = await server.freshDatabase('console');
  await migrateWarehouse(url);
  const owner = connectWarehouse(url, { role: null, poolSize: 2 });
  const warehouse = connectWarehouse(url, { role: 'credit_etl_reader', poolSize: 2 });
  step(`filling ${records} records, ${rejections} rejections`);
  await fillConsoleWarehouse(owner, { records, rejections });
  step('filled; measuring with the 020 indexes');
  const withIndexes = await measure(warehouse, url);
  await consoleIndexes.down(owner);
  await owner.raw('ANALYZE');
  step('measuring without them');
  const without = await measure(warehouse, url);
  console.log(
    `console queries on ${records} records, ${rejections} rejections (ms, best of 3; plan top node)`,
  );
  console.log('| query | with 020 | without 020 |');
  console.log('|---|---|---|');
  for (const [name, timed] of Object.entries(withIndexes)) {
    const other = without[name];
    console.log(`| ${name} | ${timed.ms} (${timed.plan}) | ${other?.ms} (${other?.plan}) |`);
  }
  await warehouse.destroy();
  await owner.destroy();
} finally {
  await server.close();
}

interface Timed {
  ms: number;
  plan: string;
}

async function measure(warehouse: Warehouse, url: string): Promise<Record<string, Timed>> {
  const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  const explain = new pg.Client({ connectionString: url });
  await explain.connect();
  let last: { sql: string; bindings: unknown[] } | undefined;
  const listener = (query: { sql: string; bindings?: unknown[] }) => {
    last = { sql: query.sql, bindings: query.bindings ?? [] };
  };
  warehouse.on('query', listener);
  const queries: Record<string, () => Promise<unknown>> = {
    'rejections, first page': () => rejectionPage(warehouse, {}, { limit: 50 }),
    'rejections, page deep in the list': () => rejectionPage(warehouse, {}, { before: 1000, limit: 50 }),
    'rejections of one provider': () => rejectionPage(warehouse, { providerCode: 'P7' }, { limit: 50 }),
    'rejections of one catalog entry': () => rejectionPage(warehouse, { catalogCode: 'frdj' }, { limit: 50 }),
    'rejections of a provider with few': () =>
      rejectionPage(warehouse, { providerCode: 'PRARE' }, { limit: 50 }),
    'rejections of an entry with few': () => rejectionPage(warehouse, { catalogCode: 'zyzg' }, { limit: 50 }),
    'rejections with a common error code': () =>
      rejectionPage(warehouse, { errorCode: 'missing-value' }, { limit: 50 }),
    'rejections with a rare error code': () =>
      rejectionPage(warehouse, { errorCode: 'org-code-check', providerCode: 'P3' }, { limit: 50 }),
    'rejections received in one week': () =>
      rejectionPage(warehouse, { from: '2026-02-01', to: '2026-02-07' }, { limit: 50 }),
    'rejections of one run': () => rejectionPage(warehouse, { runId: 17 }, { limit: 50 }),
    'record by decision number': () => searchRecords(warehouse, catalog, '鲁罚(2026)654321号'),
    'records of a subject': () => searchRecords(warehouse, catalog, 's4242'),
  };
  const results: Record<string, Timed> = {};
  for (const [name, run] of Object.entries(queries)) {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await run();
      best = Math.min(best, performance.now() - started);
    }
    const plan = last
      ? (await explain.query(`EXPLAIN (FORMAT JSON) ${last.sql}`, last.bindings)).rows[0]['QUERY PLAN'][0]
          .Plan
      : undefined;
    results[name] = { ms: Math.round(best * 10) / 10, plan: planSummary(plan) };
  }
  warehouse.off('query', listener);
  await explain.end();
  return results;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan's scans, by index where one is used: enough to see which index answered. */
function planSummary(plan: PlanNode | undefined): string {
  if (!plan) return '?';
  const scans: string[] = [];
  const visit = (node: PlanNode) => {
    if (node['Node Type'].includes('Scan'))
      scans.push(node['Index Name'] ? `${node['Node Type']} ${node['Index Name']}` : node['Node Type']);
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(plan);
  return [...new Set(scans)].join(', ');
}
