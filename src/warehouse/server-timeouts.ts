/**
 * How long one start of the embedded PostgreSQL may take to accept connections; a process waiting on another's
 * start (the start lock, a running server that does not answer yet) waits as long.
 */
export const START_TIMEOUT_MS = 60_000;
/** How long a fast shutdown may take before an immediate one (10 s more) is asked for. */
export const STOP_TIMEOUT_MS = 30_000;
