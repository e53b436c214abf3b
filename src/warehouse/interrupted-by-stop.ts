import type { Warehouse } from './connect-warehouse.ts';

/**
 * The warehouses whose pool a stop (a signal: withWarehouse's stop, src/cli/with-warehouse.ts) closed, and whose
 * runs that stop ends `interrupted` on a connection of its own. Once a warehouse is here, what fails on its pool
 * ("Unable to acquire a connection", "aborted") is the stop, not a fault: the code that would end a run `failed`,
 * or say its end could not be stored, says nothing of it and leaves the run to the stop.
 */
const interrupted = new WeakSet<Warehouse>();

/** Called by the stop before it closes the pool. */
export function markInterruptedByStop(warehouse: Warehouse): void {
  interrupted.add(warehouse);
}

/** True once a stop closed this warehouse's pool and is ending its runs `interrupted`. */
export function interruptedByStop(warehouse: Warehouse): boolean {
  return interrupted.has(warehouse);
}
