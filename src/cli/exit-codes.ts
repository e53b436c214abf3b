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
