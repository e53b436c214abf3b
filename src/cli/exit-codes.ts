import { writeSync } from 'node:fs';
import { format } from 'node:util';
import { maskPersonalText } from '../identifiers/mask-ids.ts';

/** Exit codes of every command (README "Exit codes"). */
export const EXIT = {
  /** The run completed; rejected rows are not a failure. */
  ok: 0,
  /** The run failed (a file could not be loaded or moved aside, the database failed, the process crashed). */
  failed: 1,
  /** Usage or configuration error: nothing was done. */
  usage: 2,
  /** A file exceeded its reject threshold: none of its rows were applied. */
  threshold: 3,
  /** `verify` found history altered outside the engine: the records and files it names (README "Data integrity"). */
  integrity: 4,
  /** Stopped by SIGINT/SIGTERM (a second one for run, backfill, schedule) or SIGHUP: the file being loaded rolled back, the run `interrupted`. */
  interrupted: 130,
} as const;

/** A mistake in how the command was called; the message says what to do. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What a JSON failure says happened, by exit code. */
const FAILURE_STATUS: Record<number, string> = {
  [EXIT.failed]: 'failed',
  [EXIT.usage]: 'usage-error',
  [EXIT.threshold]: 'failed-threshold',
  [EXIT.interrupted]: 'interrupted',
};

const jsonResult = {
  wanted: false,
  printed: false,
  error: undefined as string | undefined,
  status: '',
  /**
   * The run the command created before it failed (a database fault under `ingest`; `run` when the run's end could
   * not be stored): a script links the two.
   */
  runId: undefined as number | undefined,
  /** That run's end could not be stored: what `runs show` says of it may be stale (still `running`, say). */
  runStatusMayBeStale: false,
  /** What the command itself said on stderr (console.error), for a failure it returned rather than threw. */
  said: [] as string[],
};

/**
 * A command called with `--json`: when the process ends with a failure and the command printed nothing on stdout
 * (a usage or configuration error, an unknown option, a record or run not found, a database failure, a signal, a
 * pipeline locked by another process, a crash), its stdout still gets one JSON object saying so (printJsonFailure),
 * so a script never parses empty input. Whatever the command printed itself (its result, or its findings with a
 * non-zero code, as `verify` and `objection check` do) stays the one document on stdout: nothing is added after it.
 */
export function watchJsonResult(argv: readonly string[]): void {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  jsonResult.wanted = (end === -1 ? args : args.slice(0, end)).includes('--json');
  if (!jsonResult.wanted) return;
  const write = process.stdout.write;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (chunk !== undefined && chunk !== null && String(chunk).length > 0) jsonResult.printed = true;
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  const error = console.error;
  console.error = (...args: unknown[]) => {
    if (jsonResult.said.length < 50) jsonResult.said.push(format(...args));
    error(...args);
  };
  process.on('exit', printJsonFailure);
}

/** The command printed its JSON result (its summary): nothing more goes to stdout on exit. */
export function jsonResultPrinted(): void {
  jsonResult.printed = true;
}

/** Why the command fails (also on stderr), for its JSON failure; `status` when the exit code alone does not say it. */
export function noteFailure(message: string, status?: string): void {
  jsonResult.error = message;
  if (status) jsonResult.status = status;
}

/**
 * The run the failing command had created (`ingest` stopped by a database fault; `run` whose run's end could not be
 * stored, `statusMayBeStale`): its JSON failure says it.
 */
export function noteFailedRun(runId: number, { statusMayBeStale = false } = {}): void {
  jsonResult.runId = runId;
  jsonResult.runStatusMayBeStale = statusMayBeStale;
}

/**
 * The one place a JSON failure is printed: `{"status", "exitCode", "error"}`, and `runId` when the command had
 * created a run before it failed (noteFailedRun; no run summary was printed), with `"runStatusMayBeStale": true`
 * when that run's end could not be stored, at the process's exit, synchronously.
 */
export function printJsonFailure(code: number): void {
  if (!jsonResult.wanted || jsonResult.printed || code === EXIT.ok) return;
  jsonResult.printed = true;
  const failure = {
    status: jsonResult.status || FAILURE_STATUS[code] || 'failed',
    exitCode: code,
    ...(jsonResult.runId === undefined ? {} : { runId: jsonResult.runId }),
    ...(jsonResult.runId !== undefined && jsonResult.runStatusMayBeStale
      ? { runStatusMayBeStale: true }
      : {}),
    error: jsonResult.error ?? saidOnStderr() ?? defaultFailure(code),
  };
  try {
    writeSync(1, `${JSON.stringify(failure)}\n`);
  } catch {
    // nobody reads stdout any more (EPIPE): the exit code says it
  }
}

/**
 * A command that failed by returning its exit code told why on stderr itself (`no record matches …`, `refused: …`):
 * those lines, masked as everything printed is, without the `credit-etl: ` prefix.
 */
function saidOnStderr(): string | undefined {
  const lines = jsonResult.said
    .join('\n')
    .split('\n')
    .map((line) => line.replace(/^credit-etl: /, '').trimEnd())
    .filter((line) => line !== '');
  return lines.length > 0 ? maskPersonalText(lines.join('\n')) : undefined;
}

function defaultFailure(code: number): string {
  if (code === EXIT.interrupted) return 'stopped by a signal: the file being loaded was rolled back';
  return 'failed: see stderr and the log file';
}
