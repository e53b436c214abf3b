/**
 * `npm run chaos`: a hostile night, end to end. Good files and every poison file we know of are dropped into
 * one pipeline's folder; the real CLI runs the pipeline twice (the second run must find nothing new). Then it
 * shows, and checks: every good file loaded exactly once, every poison file quarantined in failed/ with its
 * code, the process alive to the end (a summary printed, no signal, no abort), peak RSS under the limit, no run
 * left `running`. Exits 1 when any check fails. Not part of `npm test`: it takes a minute and a few hundred MB
 * of scratch disk.
 *
 *   npm run chaos [-- --good 12] [-- --keep]     DATABASE_URL=… to use a server, else the embedded one
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { openBenchServer } from './bench-database.ts';
import { CHAOS_POISONS, writeGoodDeliveries } from './chaos-files.ts';
import { measureNode } from './measure-process.ts';
import { shippedNodeFlags } from './run-ingest.ts';

const PEAK_RSS_LIMIT_MB = 256;
const BIN = path.join(PROJECT_ROOT, 'bin/credit-etl.js');

const { values } = parseArgs({
  options: { good: { type: 'string', default: '12' }, keep: { type: 'boolean', default: false } },
});

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-chaos-'));
const inbox = path.join(scratch, 'inbox');
const pipelinesDir = path.join(scratch, 'pipelines');
mkdirSync(inbox, { recursive: true });
mkdirSync(pipelinesDir);
writeFileSync(
  path.join(pipelinesDir, 'chaos.json'),
  JSON.stringify(
    {
      description: 'chaos: good files and poison files in one drop folder',
      catalog: 'xzcf',
      provider: '11370100MB28174284',
      level: 'city',
      transport: { type: 'drop-folder', directory: inbox, markerSuffixes: ['.ok'] },
      retry: { attempts: 1, backoffSeconds: 1 },
    },
    null,
    2,
  ),
);

const good = await writeGoodDeliveries(inbox, Number(values.good));
const poisons = await Promise.all(
  CHAOS_POISONS.map(async (poison) => ({ ...poison, file: await poison.write(inbox) })),
);
// Every delivery is complete (a done-marker), but for the upload still in progress, which must wait.
for (const file of [
  ...good.map((one) => one.file),
  ...poisons.filter((p) => !p.stillUploading).map((p) => p.file),
]) {
  writeFileSync(`${file}.ok`, '');
}

const server = await openBenchServer(process.env.DATABASE_URL || undefined);
const url = await server.freshDatabase('chaos');
const checks: Check[] = [];
try {
  console.log(`chaos: ${good.length} good files, ${poisons.length} poison files in ${inbox}`);
  const first = await runPipelineCli(url, 'first');
  const second = await runPipelineCli(url, 'second');
  for (const run of [first, second]) {
    checks.push({
      what: `${run.label} run: the process lived to the end (summary printed, exit 0 or 1, no signal)`,
      ok: run.signal === null && (run.code === 0 || run.code === 1) && run.summary !== undefined,
      detail: `exit ${run.code}${run.signal ? ` signal ${run.signal}` : ''}, ${run.seconds.toFixed(1)} s`,
    });
    checks.push({
      what: `${run.label} run: peak RSS under ${PEAK_RSS_LIMIT_MB} MB`,
      ok: run.peakRssMb > 0 && run.peakRssMb < PEAK_RSS_LIMIT_MB,
      detail: `${run.peakRssMb.toFixed(0)} MB`,
    });
  }
  checks.push(...(await warehouseChecks(url)));
} finally {
  await server.close();
  if (!values.keep) rmSync(scratch, { recursive: true, force: true });
  else console.log(`scratch kept: ${scratch}`);
}

const width = Math.max(...checks.map((check) => check.what.length));
for (const check of checks)
  console.log(`${check.ok ? '✓' : '✗'} ${check.what.padEnd(width)}  ${check.detail}`);
const failed = checks.filter((check) => !check.ok).length;
console.log(failed === 0 ? '\nchaos: every check passed' : `\nchaos: ${failed} check(s) failed`);
process.exitCode = failed === 0 ? 0 : 1;

async function warehouseChecks(databaseUrl: string): Promise<Check[]> {
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
  try {
    const files: {
      name: string;
      status: string;
      error_code: string | null;
      counts: Record<string, number>;
    }[] = await db('source_files').select('name', 'status', 'error_code', 'counts').orderBy('id');
    const found: Check[] = [];
    for (const delivery of good) {
      const loads = files.filter((file) => isUnitOf(file.name, delivery.name) && file.status === 'loaded');
      found.push({
        what: `good ${delivery.name}: loaded exactly once, in processed/`,
        ok: loads.length === delivery.units && existsSync(path.join(inbox, 'processed', delivery.name)),
        detail: `${loads.length} load(s) of ${delivery.units} unit(s)`,
      });
    }
    for (const poison of poisons) {
      const name = path.basename(poison.file);
      const rows = files.filter((file) => isUnitOf(file.name, name));
      if (poison.stillUploading) {
        found.push({
          what: `${poison.label}: left waiting in the inbox`,
          ok: rows.length === 0 && existsSync(poison.file),
          detail: rows.length === 0 ? 'not taken' : `taken: ${rows.map((row) => row.status).join(', ')}`,
        });
        continue;
      }
      const outcome = rows.map((row) =>
        row.status === 'loaded' ? 'loaded' : `${row.status} ${row.error_code}`,
      );
      const ok =
        poison.expect.kind === 'rejected-row'
          ? rows.length === 1 && rows[0]?.status === 'loaded' && (rows[0]?.counts.rejected ?? 0) >= 1
          : rows.length === 1 &&
            rows[0]?.status === 'failed' &&
            poison.expect.codes.includes(rows[0]?.error_code ?? '') &&
            existsSync(path.join(inbox, 'failed', name));
      found.push({
        what: `${poison.label}: ${poison.expect.kind === 'rejected-row' ? 'bad row rejected, file loaded' : `quarantined as ${poison.expect.codes.join('|')}`}`,
        ok,
        detail: outcome.join('; ') || 'never recorded',
      });
    }
    const running = await db('runs').where({ status: 'running' }).count<{ n: number }[]>('* as n');
    found.push({
      what: 'no run left running',
      ok: Number(running[0]?.n) === 0,
      detail: `${running[0]?.n} running`,
    });
    return found;
  } finally {
    await db.destroy();
  }
}

/** A unit is the file itself or one of its entries (`x.zip!a.csv`). */
function isUnitOf(unitName: string, fileName: string): boolean {
  return unitName === fileName || unitName.startsWith(`${fileName}!`);
}

interface CliRun {
  label: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  peakRssMb: number;
  summary: unknown;
}

async function runPipelineCli(databaseUrl: string, label: string): Promise<CliRun> {
  const run = await measureNode([...shippedNodeFlags(), BIN, 'run', 'chaos', '--json'], {
    DATABASE_URL: databaseUrl,
    CREDIT_ETL_PIPELINES_DIR: pipelinesDir,
    CREDIT_ETL_STAGING_DIR: path.join(scratch, 'staging'),
    CREDIT_ETL_LOG_FILE: path.join(scratch, `${label}.log`),
    CREDIT_ETL_REPORT_DIR: path.join(scratch, 'reports'),
  });
  let summary: unknown;
  try {
    summary = JSON.parse(run.stdout.trim().split('\n').pop() ?? '');
  } catch {
    console.error(`${label} run printed no summary:\n${run.stderr.slice(-2000)}`);
  }
  const seconds = run.ms / 1000;
  console.log(`${label} run: exit ${run.code}, ${seconds.toFixed(1)} s`);
  return { label, code: run.code, signal: run.signal, seconds, peakRssMb: run.peakRssMb, summary };
}
