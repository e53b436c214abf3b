import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { isAlive } from '../warehouse/process-alive.ts';
import { interruptRuns, runningRunsOnThisHost } from '../warehouse/runs-repository.ts';

/**
 * Runs still `running` whose process is gone (killed, machine restarted) are marked `interrupted`. Their
 * units were never committed, so nothing of them is in the warehouse and the next run loads them whole.
 */
export async function markInterruptedRuns(warehouse: Warehouse): Promise<number> {
  const running = await runningRunsOnThisHost(warehouse);
  const dead = running.filter((run) => run.pid !== process.pid && !isAlive(run.pid));
  if (dead.length === 0) return 0;
  return interruptRuns(
    warehouse,
    dead.map((run) => run.id),
    'process ended before the run finished',
  );
}
