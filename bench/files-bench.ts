import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import path from 'node:path';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { formatTable } from '../src/cli/format-table.ts';
import type { BenchServer } from './bench-database.ts';
import { machineInfo } from './bench-result.ts';
import { type IngestMeasurement, measureIngest, shippedNodeFlags } from './run-ingest.ts';

/** The issue's bound: a 1 GB CSV and a 200,000-row workbook load with peak memory under this. */
export const PEAK_RSS_LIMIT_MB = 300;

export interface FilesBenchOptions {
  /** Size of the generated CSV in MiB; 0 skips it. */
  csvMb: number;
  /** Data rows of the generated workbook; 0 skips it. */
  xlsxRows: number;
  /** Options for the ingest's node (e.g. a heap cap), exactly as passed. */
  nodeOptions: string[];
  scratch: string;
  step(text: string): void;
}

/** What `npm run bench -- --files` measured; written as JSON under bench/results/. */
export interface FilesBenchResult {
  date: string;
  machine: { cpus: number; loadAverage: number[]; memoryMb: number; node: string };
  postgres: { version: string; embedded: boolean };
  /** Node options of the ingest processes; `CREDIT_ETL_*` variables of the bench's environment. */
  nodeOptions: string[];
  env: Record<string, string>;
  limitMb: number;
  files: ({ kind: 'csv' | 'xlsx'; name: string; bytes: number } & IngestMeasurement)[];
}

/**
 * Peak memory of loading big provider files through the shipped CLI (`credit-etl ingest` as a child process,
 * each into a fresh database): a generated CSV of `csvMb` MiB and a generated workbook of `xlsxRows` rows.
 */
export async function filesBench(server: BenchServer, options: FilesBenchOptions): Promise<FilesBenchResult> {
  const files: FilesBenchResult['files'] = [];
  const cases: { kind: 'csv' | 'xlsx'; make: () => Promise<string> }[] = [];
  if (options.csvMb > 0) {
    cases.push({
      kind: 'csv',
      make: async () => {
        const file = path.join(options.scratch, `penalties-${options.csvMb}mb.csv`);
        options.step(`generating a ${options.csvMb} MB CSV`);
        await writeCsvOfSize(file, options.csvMb * 2 ** 20);
        return file;
      },
    });
  }
  if (options.xlsxRows > 0) {
    cases.push({
      kind: 'xlsx',
      make: async () => {
        const file = path.join(options.scratch, `penalties-${options.xlsxRows}.xlsx`);
        options.step(`generating a ${options.xlsxRows}-row workbook`);
        await writePenaltyWorkbook(file, options.xlsxRows, { badShare: 0.01 });
        return file;
      },
    });
  }
  for (const { kind, make } of cases) {
    const file = await make();
    options.step(`ingest ${path.basename(file)} (${(statSync(file).size / 2 ** 20).toFixed(0)} MB)`);
    const measured = await measureIngest({
      url: await server.freshDatabase(`files_${kind}`),
      file,
      scratch: options.scratch,
      label: `files-${kind}`,
      nodeOptions: options.nodeOptions,
    });
    files.push({ kind, name: path.basename(file), bytes: statSync(file).size, ...measured });
  }
  return {
    date: new Date().toISOString(),
    machine: machineInfo(),
    postgres: { version: server.version, embedded: server.embedded },
    // What the ingests ran with: the CLI's shipped flags, then any --heap-mb override.
    nodeOptions: [...shippedNodeFlags(), ...options.nodeOptions],
    env: Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => entry[0].startsWith('CREDIT_ETL_') && entry[1] !== undefined,
      ),
    ),
    limitMb: PEAK_RSS_LIMIT_MB,
    files,
  };
}

/** The table printed at the end of `npm run bench -- --files`. */
export function printFilesResult(result: FilesBenchResult): string {
  const table = formatTable(
    [
      'file',
      'MB',
      'rows read',
      's',
      'rows/s',
      'peak RSS MB',
      `< ${result.limitMb} MB`,
      'read+COPY s',
      'merge s',
    ],
    result.files.map((file) => [
      file.name,
      (file.bytes / 2 ** 20).toFixed(0),
      file.counts.read ?? 0,
      (file.ms / 1000).toFixed(1),
      Math.round(((file.counts.read ?? 0) * 1000) / file.ms),
      file.peakRssMb.toFixed(0),
      file.peakRssMb < result.limitMb ? 'yes' : 'NO',
      file.stageMs ? (file.stageMs.read / 1000).toFixed(1) : '',
      file.stageMs ? (file.stageMs.merge / 1000).toFixed(1) : '',
    ]),
  );
  const settings = [
    result.nodeOptions.length > 0 ? `node ${result.nodeOptions.join(' ')}` : 'node defaults',
    ...Object.entries(result.env).map(([name, value]) => `${name}=${value}`),
  ].join(', ');
  const counts = result.files
    .map(
      (file) =>
        `${file.name}: ${Object.entries(file.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    )
    .join('\n');
  const header = `credit-etl ingest of big files (${settings}) · PostgreSQL ${result.postgres.version}${result.postgres.embedded ? ' (embedded)' : ''} · ${result.machine.cpus} cores · Node ${result.machine.node}`;
  return `${header}\n${table}\n${counts}`;
}

/**
 * Generated penalty rows until the file has `bytes`. Generating rows is the slow part: 10,000 are made once
 * (1% bad), then each copy gets fresh decision numbers, so every row is a record of its own.
 */
async function writeCsvOfSize(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${PENALTY_HEADER.join(',')}\r\n`);
  let written = 0;
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
