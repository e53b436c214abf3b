import os from 'node:os';
import { formatTable } from '../src/cli/format-table.ts';
import type { IngestMeasurement } from './run-ingest.ts';

/** What one `npm run bench` measured; written as JSON under bench/results/. */
export interface BenchResult {
  date: string;
  /** loadAverage at the end of the run: other work on the machine skews every number. */
  machine: {
    cpus: number;
    loadAverage?: number[];
    loadAverageAtStart?: number[];
    memoryMb: number;
    node: string;
  };
  /** The bench's own command-line flags. */
  flags?: string[];
  postgres: { version: string; embedded: boolean };
  /** Whether the CLI ran from its precompiled copy in .build/ or from the TypeScript sources (scripts/cli-build.js). */
  cli?: 'precompiled' | 'sources';
  input: { rows: number; bytes: number; encoding: string; badShare: number; badRows: number };
  baseline: { pgCopyStreamsMs: number; psqlMs: number | undefined };
  /** pgloader into the same kind of untyped table, when installed (else why not). */
  pgloader?: { ms: number } | { error: string };
  /** Every nightly re-delivery's time (`--redeliveries N`); the first is also a phase. */
  redeliveries?: { nights: number; ms: number[] };
  /** pg_total_relation_size of the growing tables after the first load and after re-deliveries. */
  sizes?: { after: string; bytes: Record<string, number> }[];
  /** Decode + parse only, per parser. */
  parse: Partial<Record<string, { ms: number; rows: number }>>;
  /** Decode + parse + per-row work (normalize, validate, key, hash, COPY line), no database. */
  rowWork?: { ms: number; rows: number };
  phases: ({ name: string; parser: string; rows: number; bytes: number } & IngestMeasurement)[];
}

/** The machine a result was measured on; the load average says how much else was running. */
export function machineInfo(): Omit<Required<BenchResult['machine']>, 'loadAverageAtStart'> {
  return {
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
  };
}

const seconds = (ms: number | undefined) => (ms === undefined ? '' : (ms / 1000).toFixed(2));
const perSecond = (count: number, ms: number) => Math.round((count * 1000) / ms);

/** The table printed at the end of a bench run. */
export function printResult(result: BenchResult): string {
  const { input, baseline } = result;
  const baselineMs = Math.min(baseline.pgCopyStreamsMs, baseline.psqlMs ?? Number.POSITIVE_INFINITY);
  const baselineRate = (input.rows * 1000) / baselineMs;
  const mb = (bytes: number, ms: number) => ((bytes / 2 ** 20) * 1000) / ms;
  // A step measured outside the ingest: no RSS and no stage split.
  const stepRow = (label: string, count: number, ms: number): (string | number)[] => [
    label,
    count,
    seconds(ms),
    perSecond(count, ms),
    mb(input.bytes, ms).toFixed(1),
    (count * 1000) / ms / baselineRate,
    '',
    '',
    '',
    '',
  ];
  const rows = [stepRow('COPY (pg-copy-streams)', input.rows, baseline.pgCopyStreamsMs)];
  if (baseline.psqlMs !== undefined) rows.push(stepRow('COPY (psql \\copy)', input.rows, baseline.psqlMs));
  if (result.pgloader && 'ms' in result.pgloader)
    rows.push(stepRow('pgloader', input.rows, result.pgloader.ms));
  for (const [parser, parse] of Object.entries(result.parse)) {
    if (parse) rows.push(stepRow(`parse only (${parser})`, parse.rows, parse.ms));
  }
  if (result.rowWork) {
    rows.push(stepRow('parse + row work, no database', result.rowWork.rows, result.rowWork.ms));
  }
  for (const phase of result.phases) {
    const rate = (phase.rows * 1000) / phase.ms;
    const other = phase.stageMs ? phase.ms - phase.stageMs.read - phase.stageMs.merge : undefined;
    rows.push([
      `ingest: ${phase.name}`,
      phase.rows,
      seconds(phase.ms),
      Math.round(rate),
      phase.bytes ? mb(phase.bytes, phase.ms).toFixed(1) : '',
      rate / baselineRate,
      phase.peakRssMb.toFixed(0),
      seconds(phase.stageMs?.read),
      seconds(phase.stageMs?.merge),
      seconds(other),
    ]);
  }
  const table = formatTable(
    ['step', 'rows', 's', 'rows/s', 'MB/s', '× COPY', 'peak RSS MB', 'read+COPY s', 'merge s', 'other s'],
    rows.map((row) => row.map((cell, i) => (i === 5 && typeof cell === 'number' ? cell.toFixed(2) : cell))),
  );
  const counts = result.phases
    .map(
      (phase) =>
        `${phase.name}: ${Object.entries(phase.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}${phase.fastRows ? ` (${phase.fastRows} taken by fingerprint)` : ''}`,
    )
    .join('\n');
  const header = `${input.rows} rows, ${(input.bytes / 2 ** 20).toFixed(1)} MB ${input.encoding}, ${input.badRows} bad · PostgreSQL ${result.postgres.version}${result.postgres.embedded ? ' (embedded)' : ''} · ${result.machine.cpus} cores · Node ${result.machine.node}`;
  const pgloaderNote =
    result.pgloader && 'error' in result.pgloader ? `\npgloader: ${result.pgloader.error}` : '';
  return `${header}\n${table}\n${counts}\n"other" = process start, migrations, ledger, rejection report.${pgloaderNote}${printSizes(result)}`;
}

const MB = (bytes: number | undefined) => ((bytes ?? 0) / 2 ** 20).toFixed(1);

/** Table sizes after the first load and the re-deliveries, in MB. */
function printSizes(result: BenchResult): string {
  if (!result.sizes || result.sizes.length === 0) return '';
  const tables = Object.keys(result.sizes[0]!.bytes);
  const nights = result.redeliveries
    ? `\nre-deliveries: ${result.redeliveries.ms.map((ms) => seconds(ms)).join(' ')} s`
    : '';
  return `${nights}\n${formatTable(
    ['after', ...tables.map((table) => `${table} MB`)],
    result.sizes.map((size) => [size.after, ...tables.map((table) => MB(size.bytes[table]))]),
  )}`;
}
