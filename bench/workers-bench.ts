import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { createLogger } from '../src/log/logger.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { chunkHelpersOf } from '../src/queue/stage-chunks-job.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { connectWarehouse, migrateWarehouse } from '../src/warehouse/connect-warehouse.ts';
import type { BenchServer } from './bench-database.ts';
import { machineInfo } from './bench-result.ts';

const HELPER = path.join(PROJECT_ROOT, 'test/support/chunk-helper-process.ts');

export interface WorkersRun {
  /** `whole`: one worker reads the file whole (no chunks); `chunked`: coordinator + workers − 1 helper processes. */
  mode: 'whole' | 'chunked';
  workers: number;
  ms: number;
  rowsPerSecond: number;
  chunks: number;
  /** Chunks staged by the coordinator and by the helper processes. */
  stagedBy: Record<string, number>;
  counts: Record<string, number>;
  /** Bytes on disk after the load (tables with their indexes and TOAST): the storage a row costs. */
  storage: Record<string, number>;
}

export interface WorkersResult {
  date: string;
  machine: ReturnType<typeof machineInfo> & { uptime: string };
  postgres: { version: string; embedded: boolean };
  input: { rows: number; bytes: number; encoding: string; chunkBytes: number };
  runs: WorkersRun[];
}

/**
 * `npm run bench -- --workers 1,2,4`: the first load of one big CSV into a fresh warehouse, read whole by one
 * worker, then in chunks by 1, 2, 4… workers (the coordinator in the bench process's unit thread, the others
 * separate processes taking `stage-chunks` jobs from the queue, as `credit-etl worker` does). Every chunked load
 * must end with the counts of the whole-file load (the test proves the full warehouse state equal).
 */
export async function workersBench(
  server: BenchServer,
  options: {
    file: string;
    rows: number;
    bytes: number;
    encoding: string;
    workers: number[];
    chunkBytes: number;
    step: (text: string) => void;
    scratch: string;
  },
): Promise<WorkersResult> {
  const runs: WorkersRun[] = [];
  runs.push(await measure(server, options, 'whole', 1));
  for (const workers of options.workers) runs.push(await measure(server, options, 'chunked', workers));
  return {
    date: new Date().toISOString(),
    machine: { ...machineInfo(), uptime: uptimeText() },
    postgres: { version: server.version, embedded: server.embedded },
    input: {
      rows: options.rows,
      bytes: options.bytes,
      encoding: options.encoding,
      chunkBytes: options.chunkBytes,
    },
    runs,
  };
}

async function measure(
  server: BenchServer,
  options: Parameters<typeof workersBench>[1],
  mode: WorkersRun['mode'],
  workers: number,
): Promise<WorkersRun> {
  options.step(`${mode === 'whole' ? 'whole file, 1 worker' : `chunked, ${workers} worker(s)`}: first load`);
  const url = await server.freshDatabase(`${mode}${workers}`);
  await migrateWarehouse(url);
  const warehouse = connectWarehouse(url);
  const logger = createLogger({
    logFile: path.join(options.scratch, `workers-${mode}-${workers}.log`),
    console: false,
  });
  const queue = mode === 'chunked' ? await openQueue(url, { logger, maintain: false }) : undefined;
  const helpers: ChildProcess[] = [];
  const previous = process.env.CREDIT_ETL_CHUNK_BYTES;
  try {
    for (let i = 1; i < workers; i++) {
      const child = fork(HELPER, [url], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
      helpers.push(child);
      await once(child, 'message');
    }
    if (mode === 'chunked') process.env.CREDIT_ETL_CHUNK_BYTES = String(options.chunkBytes);
    else delete process.env.CREDIT_ETL_CHUNK_BYTES;
    const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
    const started = performance.now();
    const summary = await ingestUnits(
      warehouse,
      catalog,
      {
        units: [await localFileUnit(options.file)],
        catalog: 'xzcf',
        providerCode: '11370000MB2852362M',
        level: 'province',
        encoding: 'auto',
        ...(queue ? { chunkHelpers: chunkHelpersOf(queue) } : {}),
      },
      logger,
    );
    const ms = Math.round(performance.now() - started);
    if (summary.status !== 'completed') throw new Error(`${mode} ${workers}: run ${summary.status}`);
    const chunks = await warehouse.raw<{ rows: { kind: string; n: number }[] }>(
      `SELECT split_part(worker, ' ', 1) AS kind, count(*)::int AS n FROM file_chunks GROUP BY 1`,
    );
    const stagedBy = Object.fromEntries(chunks.rows.map((row) => [row.kind, row.n]));
    const sizes = await warehouse.raw<{ rows: { name: string; bytes: number }[] }>(
      `SELECT relname AS name, pg_total_relation_size(oid)::bigint AS bytes FROM pg_class
       WHERE relname IN ('records', 'record_versions', 'record_sources', 'rejections') AND relkind = 'r'
       UNION ALL SELECT 'database', pg_database_size(current_database())::bigint`,
    );
    const storage = Object.fromEntries(sizes.rows.map((row) => [row.name, row.bytes]));
    return {
      mode,
      workers,
      ms,
      rowsPerSecond: Math.round((summary.counts.read * 1000) / ms),
      chunks: chunks.rows.reduce((sum, row) => sum + row.n, 0),
      stagedBy,
      counts: { ...summary.counts },
      storage,
    };
  } finally {
    if (previous === undefined) delete process.env.CREDIT_ETL_CHUNK_BYTES;
    else process.env.CREDIT_ETL_CHUNK_BYTES = previous;
    for (const child of helpers) child.kill('SIGTERM');
    await queue?.stop();
    await warehouse.destroy();
  }
}

/** `uptime`'s line: how busy the machine was (the cores are shared). */
function uptimeText(): string {
  const [one, five, fifteen] = os.loadavg().map((load) => load.toFixed(2));
  return `up ${Math.round(os.uptime() / 60)} min, load average: ${one}, ${five}, ${fifteen}, ${os.cpus().length} cores`;
}

export function printWorkersResult(result: WorkersResult): string {
  const whole = result.runs.find((run) => run.mode === 'whole');
  const lines = [
    `${result.input.rows} rows, ${(result.input.bytes / 2 ** 20).toFixed(0)} MB, chunks of ${(result.input.chunkBytes / 2 ** 20).toFixed(1)} MB; ${result.machine.uptime}`,
    '| mode | workers | seconds | rows/s | vs whole | chunks (coordinator / helpers) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...result.runs.map(
      (run) =>
        `| ${run.mode} | ${run.workers} | ${(run.ms / 1000).toFixed(1)} | ${run.rowsPerSecond} | ${whole ? (whole.ms / run.ms).toFixed(2) : ''}× | ${run.chunks ? `${run.stagedBy.coordinator ?? 0} / ${run.stagedBy.helper ?? 0}` : ''} |`,
    ),
  ];
  return lines.join('\n');
}
