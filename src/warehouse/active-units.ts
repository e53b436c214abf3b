/**
 * The units this process is loading right now, each with a way to roll it back at once. A second signal (or the
 * first to `ingest`) must not wait for a unit's transaction to finish: closing the pool would wait, and the
 * unit would commit. Whoever runs a unit (in-process transaction, isolated worker) registers how to abort it.
 */
const active = new Set<() => Promise<void>>();

/** Registers how to roll back one unit now; call the returned function when the unit has settled. */
export function trackActiveUnit(rollBack: () => Promise<void>): () => void {
  active.add(rollBack);
  return () => {
    active.delete(rollBack);
  };
}

/** Rolls back every unit still loading (their transactions never commit) and waits until each has let go. */
export async function rollBackActiveUnits(): Promise<void> {
  const pending = [...active];
  active.clear();
  await Promise.allSettled(pending.map((rollBack) => rollBack()));
}
