import type { Knex } from 'knex';
import type { RunningCli } from './run-cli.ts';
import { until } from './until.ts';

/** The highest run id so far (0 in an empty warehouse): what a wait for the next run starts after. */
export async function lastRunId(warehouse: Knex): Promise<number> {
  return (await warehouse('runs').max('id as id').first())?.id ?? 0;
}

/**
 * The first verify run after run `before` that has ended, waiting for the scheduler `cli` to make one; a timeout
 * shows what the scheduler printed.
 */
export async function verifyRunAfter(warehouse: Knex, before: number, cli: RunningCli) {
  try {
    return await until(
      'a finished verify run',
      async () =>
        warehouse('runs')
          .where({ kind: 'verify' })
          .andWhere('id', '>', before)
          .whereNot({ status: 'running' })
          .orderBy('id')
          .first(),
      { timeoutMs: 60_000, everyMs: 100 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${cli.output()}`);
  }
}
