import type { Knex } from 'knex';

/**
 * Pipelines and backfill: a run remembers the partition day it loaded (backfill decides from it what is done),
 * the thresholds it ran under, and how many attempts it took; a file remembers its threshold decision.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE runs ADD COLUMN partition_date date;
    ALTER TABLE runs ADD COLUMN thresholds jsonb;
    ALTER TABLE runs ADD COLUMN attempts integer NOT NULL DEFAULT 1;
    CREATE INDEX runs_pipeline_partition ON runs (pipeline, partition_date);
    ALTER TABLE source_files ADD COLUMN threshold jsonb;
    COMMENT ON COLUMN source_files.threshold IS 'reject threshold decision: limits, reject rate, exceeded';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE source_files DROP COLUMN threshold;
    DROP INDEX runs_pipeline_partition;
    ALTER TABLE runs DROP COLUMN attempts;
    ALTER TABLE runs DROP COLUMN thresholds;
    ALTER TABLE runs DROP COLUMN partition_date;
  `);
}
