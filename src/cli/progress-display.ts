import cliProgress from 'cli-progress';
import type { SourceUnit } from '../../connectors/contracts.ts';
import { routeConsoleLines } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { UnitPhase } from '../run/load-unit.ts';

/** The two runner callbacks that drive a progress display, and a way to clear it. */
export interface ProgressDisplay {
  onUnitStart(unit: SourceUnit): void;
  onProgress(unit: SourceUnit, rowsRead: number, phase?: UnitPhase): void;
  stop(): void;
}

/** Typical bytes per row of a penalty CSV (88 MB / 200k rows): only to estimate a file's rows for the ETA. */
const BYTES_PER_ROW_ESTIMATE = 440;
/** How often the plain (non-TTY) display writes a line. */
const PLAIN_INTERVAL_MS = 5_000;

const READ_FORMAT = '{file} [{bar}] {value}/~{total} rows | {speed} rows/s | ETA {eta_formatted}';
/** Once every row is read the count is exact; the merge has no row count to estimate from, so no ETA. */
const MERGE_FORMAT = '{file} [{bar}] {value} rows read | merging into the warehouse… {duration_formatted}';

/*
 * NOT_READ_YET: the runner calls onUnitStart before it opens a unit (src/run/ingest-files.ts), and a unit may then
 * not be read at all: skipped as a content loaded before, refused before its first row (its header, its format),
 * or not readable by the platform (UnitNotRead, src/run/failed-unit.ts). Its bar, or its plain `started` line, is
 * drawn with its first progress, when rows are being read: a unit never read gets neither, only its log line.
 */

/**
 * A bar per file with rows, rows/s and ETA on a terminal, then the merge phase; elsewhere (cron, systemd, CI) a
 * plain line every few seconds, so logs stay readable. Progress goes to stderr: stdout is for the command's
 * result. While the bars are shown, log lines are printed above them, whole.
 */
export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  return stream.isTTY ? barDisplay(stream) : plainDisplay(stream);
}

function barDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: (options, params, payload: { phase?: UnitPhase }) =>
        cliProgress.Format.Formatter(
          { ...options, format: payload.phase === 'merge' ? MERGE_FORMAT : READ_FORMAT },
          params,
          payload,
        ),
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let current: { bar: cliProgress.SingleBar; started: number; total: number } | undefined;
  // The unit given to onUnitStart, drawn with its first progress (NOT_READ_YET).
  let pending: { unit: SourceUnit; started: number } | undefined;
  return {
    onUnitStart(unit) {
      current?.bar.stop();
      current = undefined;
      pending = { unit, started: Date.now() };
    },
    onProgress(_unit, rows, phase = 'read') {
      if (pending) {
        // From the first bar on, cli-progress redraws the terminal: log lines go above the bars through it.
        routeConsoleLines((text) => bars.log(text.endsWith('\n') ? text : `${text}\n`));
        const total = estimateRows(pending.unit);
        const file = maskPersonalText(pending.unit.name);
        current = {
          bar: bars.create(total, 0, { file, speed: 0, phase: 'read' }),
          started: pending.started,
          total,
        };
        pending = undefined;
      }
      if (!current) return;
      if (phase === 'merge') {
        current.total = Math.max(rows, 1);
        current.bar.setTotal(current.total);
        current.bar.update(rows, { phase });
        return;
      }
      if (rows > current.total) {
        current.total = Math.ceil(rows * 1.1);
        current.bar.setTotal(current.total);
      }
      current.bar.update(rows, { speed: rate(rows, current.started) });
    },
    stop() {
      // Log lines not yet drawn are written before the bars' final state (stop alone would drop them).
      if (current) bars.update();
      bars.stop();
      routeConsoleLines(undefined);
    },
  };
}

function plainDisplay(stream: NodeJS.WritableStream): ProgressDisplay {
  let started = 0;
  let lastLine = 0;
  // The unit given to onUnitStart, its `started` line written with its first progress (NOT_READ_YET).
  let pending: SourceUnit | undefined;
  return {
    onUnitStart(unit) {
      started = Date.now();
      lastLine = started;
      pending = unit;
    },
    onProgress(unit, rows, phase = 'read') {
      if (pending) {
        stream.write(`${maskPersonalText(pending.name)}: started (~${estimateRows(pending)} rows)\n`);
        pending = undefined;
      }
      if (phase === 'merge') {
        stream.write(`${maskPersonalText(unit.name)}: ${rows} rows read, merging into the warehouse\n`);
        return;
      }
      const now = Date.now();
      if (now - lastLine < PLAIN_INTERVAL_MS) return;
      lastLine = now;
      stream.write(`${maskPersonalText(unit.name)}: ${rows} rows read, ${rate(rows, started)} rows/s\n`);
    },
    stop() {},
  };
}

function estimateRows(unit: SourceUnit): number {
  return Math.max(1, Math.round((unit.sizeBytes ?? 0) / BYTES_PER_ROW_ESTIMATE));
}

function rate(rows: number, started: number): number {
  const seconds = (Date.now() - started) / 1000;
  return seconds > 0 ? Math.round(rows / seconds) : 0;
}
