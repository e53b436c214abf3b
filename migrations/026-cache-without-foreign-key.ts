import type { Knex } from 'knex';

/**
 * The fingerprint cache's rows (024) without a foreign key to their channel. The key checked every cache row as it
 * was written, by a trigger locking the channel's row: 3.3 s of a 5.3 s insert of a million-row channel's cache
 * (measured), paid by every first load and every full-path night. It guarded nothing that can happen: a channel
 * is never deleted (the loader may not), and a crash empties both UNLOGGED tables together.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE fingerprint_standing DROP CONSTRAINT fingerprint_standing_channel_id_fkey');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE fingerprint_standing ADD CONSTRAINT fingerprint_standing_channel_id_fkey
    FOREIGN KEY (channel_id) REFERENCES fingerprint_channels (id)`);
}
