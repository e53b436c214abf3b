/**
 * Peak memory of reading (and optionally loading) big provider files: a generated CSV of `--csv-mb` MB and a
 * generated workbook of `--xlsx-rows` rows. Each case runs in a child process of its own so its peak RSS
 * (`maxRSS`) is its own. Usage:
 *
 *   node --import tsx bench/files-memory.ts [--csv-mb 1024] [--xlsx-rows 200000] [--load] [--keep DIR]
 *     [--heap-mb N]
 *
 * `--load` loads through the warehouse at DATABASE_URL (a scratch database: it is migrated and written to);
 * without it, the rows are only read through the format, which is the part that must not grow with size.
 * `--heap-mb` caps V8's old space in the child (`--max-old-space-size`): V8 otherwise lets garbage pile up
 * while memory is free, so the peak RSS without a cap says more about V8's laziness than about the reader.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatForFile } from '../connectors/registry.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';

const { values } = parseArgs({
  options: {
    'csv-mb': { type: 'string', default: '1024' },
    'xlsx-rows': { type: 'string', default: '200000' },
    load: { type: 'boolean', default: false },
    keep: { type: 'string' },
    'heap-mb': { type: 'string' },
    child: { type: 'string' },
  },
});

if (values.child) {
  await measure(values.child, values.load === true);
} else {
  await main();
}

async function main(): Promise<void> {
  const dir = values.keep ?? mkdtempSync(path.join(os.tmpdir(), 'files-memory-'));
  mkdirSync(dir, { recursive: true });
  try {
    const csv = path.join(dir, `penalties-${values['csv-mb']}mb.csv`);
    if (!existsSync(csv)) await writeBigCsv(csv, Number(values['csv-mb']) * 1024 * 1024);
    const xlsx = path.join(dir, `penalties-${values['xlsx-rows']}.xlsx`);
    if (!existsSync(xlsx)) await writePenaltyWorkbook(xlsx, Number(values['xlsx-rows']));
    for (const file of [csv, xlsx]) {
      const heap = values['heap-mb'] ? [`--max-old-space-size=${values['heap-mb']}`] : [];
      const args = [...heap, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file];
      if (values.load) args.push('--load');
      process.stdout.write(execFileSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
    }
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Generated penalty rows, 10,000 at a time with fresh decision numbers, until the file has `bytes`. */
async function writeBigCsv(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${PENALTY_HEADER.join(',')}\r\n`);
  let written = 0;
  // Generating rows is the slow part: make 10,000 once, then give each copy fresh decision numbers.
  const { rows } = generatePenalties(10_000, { badShare: 0.01 });
  const headerLength = toCsv(PENALTY_HEADER, []).length;
  for (let chunk = 0; written < bytes; chunk++) {
    rows.forEach((row, i) => {
      row[13] = `济市监罚〔2026〕${chunk * 10_000 + i + 1}号`;
    });
    const text = toCsv(PENALTY_HEADER, rows).slice(headerLength);
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function measure(file: string, load: boolean): Promise<void> {
  const started = Date.now();
  let rows = 0;
  if (load) {
    rows = await loadIntoWarehouse(file);
  } else {
    const [unit] = await unitsForFile(file);
    const format = formatForFile(file);
    if (!unit?.open || !format) throw new Error(`cannot read ${file}`);
    const opened = await format.open(unit.open(), { encoding: 'auto' });
    for await (const batch of opened.batches) rows += batch.length;
  }
  const seconds = (Date.now() - started) / 1000;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  const sizeMb = statSync(file).size / 1024 / 1024;
  console.log(
    `${path.basename(file)} (${sizeMb.toFixed(0)} MB, ${rows} rows, ${load ? 'load' : 'read'}${heapCap()}): ` +
      `${seconds.toFixed(1)} s, ${Math.round(rows / seconds)} rows/s, peak RSS ${peakMb.toFixed(0)} MB`,
  );
}

function heapCap(): string {
  const cap = process.execArgv.find((arg) => arg.startsWith('--max-old-space-size='));
  return cap ? `, heap cap ${cap.split('=')[1]} MB` : '';
}

async function loadIntoWarehouse(file: string): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('--load needs DATABASE_URL (a scratch database)');
  const { connectWarehouse, migrateWarehouse } = await import('../src/warehouse/connect-warehouse.ts');
  const { loadCatalog } = await import('../src/catalog/load-catalog.ts');
  const { createLogger } = await import('../src/log/logger.ts');
  const { ingestUnits } = await import('../src/run/ingest-files.ts');
  const { PROJECT_ROOT } = await import('../src/config/config.ts');
  const warehouse = connectWarehouse(url);
  try {
    await migrateWarehouse(warehouse);
    const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
    const logger = createLogger({ console: false, logFile: path.join(os.tmpdir(), 'files-memory.log') });
    const summary = await ingestUnits(
      warehouse,
      catalog,
      {
        units: await unitsForFile(file, new Date('2026-11-20T10:00:00+08:00')),
        catalog: 'xzcf',
        providerCode: '113700000000000000',
        level: 'province',
        encoding: 'auto',
      },
      logger,
    );
    await logger.close();
    if (summary.status !== 'completed') throw new Error(`load failed: ${JSON.stringify(summary.files)}`);
    return summary.counts.read;
  } finally {
    await warehouse.destroy();
  }
}
