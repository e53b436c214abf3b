import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { measureNode } from './measure-process.ts';

const BIN = path.join(PROJECT_ROOT, 'bin/credit-etl.js');

/** The node flags the CLI ships with (its shebang line), so the bench measures what users run. */
export function shippedNodeFlags(): string[] {
  const shebang = readFileSync(BIN, 'utf8').split('\n', 1)[0] ?? '';
  return shebang
    .replace(/^#!.*?\bnode\b/, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

export interface IngestMeasurement {
  ms: number;
  peakRssMb: number;
  counts: Record<string, number>;
  /** From the ingest's own log: reading through COPY (decode, parse, per-row work, COPY) and the merge. */
  stageMs: { read: number; merge: number } | undefined;
  /** From the log too: rows the fast path of a re-delivery took by fingerprint (src/run/fast-redelivery.ts). */
  fastRows?: number;
  cpuProfileDir?: string;
}

export interface IngestRequest {
  url: string;
  file: string;
  scratch: string;
  label: string;
  /** Write a V8 CPU profile of the ingest process into this directory. */
  cpuProf?: boolean;
  /** Options for the ingest's node, before the launcher (e.g. `--max-old-space-size=192`). */
  nodeOptions?: string[];
  /** More environment for the ingest (e.g. `CREDIT_ETL_FAST_REDELIVERY=0`). */
  env?: Record<string, string>;
}

/**
 * `credit-etl ingest` as a child process, so the peak RSS is the ingest's alone (measure-process.ts). It reads
 * CSV with the one parser that ships; the parsers are compared by `parseOnly` and `rowWork`, which take a Format.
 */
export async function measureIngest(request: IngestRequest): Promise<IngestMeasurement> {
  const logFile = path.join(request.scratch, `${request.label}.log`);
  const nodeArgs = [
    ...shippedNodeFlags(),
    // After the shipped flags, so a bench --heap-mb overrides the shipped heap cap.
    ...(request.nodeOptions ?? []),
    ...(request.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(request.scratch, 'profiles')}`] : []),
    BIN,
    'ingest',
    request.file,
    '--catalog',
    'xzcf',
    '--provider',
    '11370000MB2852362M',
    '--level',
    'province',
    '--json',
  ];
  const run = await measureNode(nodeArgs, {
    DATABASE_URL: request.url,
    CREDIT_ETL_LOG_FILE: logFile,
    CREDIT_ETL_REPORT_DIR: path.join(request.scratch, 'reports'),
    ...request.env,
  });
  if (run.code !== 0) {
    throw new Error(`ingest ${request.label} exited with ${run.code}:\n${run.stderr}\n${run.stdout}`);
  }
  const summary = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
    counts: Record<string, number>;
  };
  return {
    ms: run.ms,
    peakRssMb: run.peakRssMb,
    counts: summary.counts,
    ...loggedTimings(logFile),
    ...(request.cpuProf ? { cpuProfileDir: path.join(request.scratch, 'profiles') } : {}),
  };
}

function loggedTimings(logFile: string): Pick<IngestMeasurement, 'stageMs' | 'fastRows'> {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"stageMs"')) continue;
    const { stageMs, fastRows } = JSON.parse(line) as Pick<IngestMeasurement, 'stageMs' | 'fastRows'>;
    return { stageMs, fastRows: fastRows ?? 0 };
  }
  return { stageMs: undefined };
}
