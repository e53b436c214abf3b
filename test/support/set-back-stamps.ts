import type { Knex } from 'knex';

/**
 * Moves what the last hour delivered `days` days into the past, as the database's own stamps (versions, lineage,
 * files' loading, records; triggers off as the owner): how an `--as-of` test makes a past day with something on it.
 */
export async function setBackRecentDeliveries(owner: Knex, days: number): Promise<void> {
  await owner.transaction(async (trx) => {
    await trx.raw('SET LOCAL session_replication_role = replica');
    const back = `interval '${days} days'`;
    const recent = `> now() - interval '1 hour'`;
    await trx.raw(`UPDATE record_versions SET created_at = created_at - ${back} WHERE created_at ${recent}`);
    await trx.raw(`UPDATE record_sources SET created_at = created_at - ${back} WHERE created_at ${recent}`);
    await trx.raw(`UPDATE source_files SET finished_at = finished_at - ${back} WHERE finished_at ${recent}`);
    await trx.raw(`UPDATE records SET created_at = created_at - ${back} WHERE created_at ${recent}`);
  });
}
