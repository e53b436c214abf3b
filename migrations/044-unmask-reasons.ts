import type { Knex } from 'knex';

/**
 * An auditor unmasks a resident ID number in the console only with a reason (查询事由, src/console/unmask.ts),
 * kept beside who, when, what and from where in the append-only unmask_views (019). Views logged before have
 * none: the check is NOT VALID, so it holds for every view appended from now on and leaves the old rows as they
 * were (019's triggers refuse to change them anyway). The table's INSERT grant (019) covers the new column.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE unmask_views ADD COLUMN reason text;
    ALTER TABLE unmask_views ADD CONSTRAINT unmask_views_reason_given
      CHECK (reason IS NOT NULL AND btrim(reason) <> '') NOT VALID;
    COMMENT ON COLUMN unmask_views.reason IS
      'why the auditor unmasked (查询事由, ID numbers in it masked); null only for views logged before 044';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE unmask_views DROP COLUMN reason');
}
