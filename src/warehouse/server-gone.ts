import type { Warehouse } from './connect-warehouse.ts';

/**
 * The warehouses on an embedded server this process opened (withWarehouse, src/cli/with-warehouse.ts), with how to
 * tell that server ended under the command (its postmaster killed or crashed: DatabaseServer.gone). No connection
 * reaches such a server again, however long one waits: the waits for a restarting server (RUN_ENDING_RETRY) end at
 * once instead, and the command opens the server again to store its runs (failRunsOnRestartedServer).
 */
const servers = new WeakMap<Warehouse, () => Promise<boolean>>();

/** Called by the command that opened the server, as it connects. */
export function watchServerGone(warehouse: Warehouse, gone: () => Promise<boolean>): void {
  servers.set(warehouse, gone);
}

/** True once the embedded server of this warehouse ended under the command; always false for a given URL. */
export async function serverGone(warehouse: Warehouse): Promise<boolean> {
  return (
    (await servers
      .get(warehouse)?.()
      .catch(() => false)) ?? false
  );
}

/** What a wait for the database ends with when its embedded server is gone: not worth another try. */
export class EmbeddedServerGone extends Error {
  override readonly name = 'EmbeddedServerGone';
  constructor(options?: ErrorOptions) {
    super(
      'the embedded PostgreSQL ended under this command (its postmaster killed or crashed): no connection reaches it again',
      options,
    );
  }
}

/**
 * `work` for retryWithBackoff on this warehouse: each try after the first looks first whether the embedded server
 * is gone, and ends the retries at once with EmbeddedServerGone (not an infrastructure fault: never retried) if so.
 */
export function whileServerLives<T>(
  warehouse: Warehouse,
  work: () => Promise<T>,
): (attempt: number) => Promise<T> {
  return async (attempt) => {
    if (attempt > 1 && (await serverGone(warehouse))) throw new EmbeddedServerGone();
    return work();
  };
}
