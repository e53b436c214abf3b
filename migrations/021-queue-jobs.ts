import type { Knex } from 'knex';

/**
 * Issue #19: runs can be made by queued jobs (pg-boss, schema `pgboss`, created by pg-boss itself). A run
 * names the job that made it, so `runs show` gives the job's state and a dead worker's runs can be closed by
 * any machine. The loader inserts runs already (a table grant covers the new column); it never updates it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (table) => {
    table.uuid('job_id').nullable();
    table.index(['job_id'], 'runs_job_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (table) => {
    table.dropIndex(['job_id'], 'runs_job_id');
    table.dropColumn('job_id');
  });
}
