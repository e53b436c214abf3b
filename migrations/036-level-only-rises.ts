import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

const { procedure } = WAREHOUSE_ROLES;

/**
 * A record's level alone (its current version unchanged) only rises. Equal content from a higher channel raises
 * it (merge-staged.ts); nothing lowers it. The guard of 010/031 let the level move to any channel whose lineage
 * delivered the current version, so the engine's login could lower it to a lower channel that had merged the
 * same content, and that channel's next different content became an update instead of a conflict (`verify`
 * names it: `level-below-delivery`). The order of the channels is the catalog entry's `precedence`, which the
 * database knows from `catalog_entries` (002: every entry version applied, synced by every command at start):
 * the entry version the current version was stored under, as first synced. An entry version never synced (only
 * code that bypasses the CLI, such as tests, loads without syncing) leaves the judgement to verify.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '036-level-only-rises');
  await knex.raw(`
    CREATE FUNCTION records_level_only_rises() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE
      order_of_levels jsonb;
      old_rank bigint;
      new_rank bigint;
    BEGIN
      IF current_user = '${procedure}' THEN
        RETURN NEW;
      END IF;
      SELECT e.entry -> 'precedence' INTO order_of_levels
        FROM record_versions v JOIN catalog_entries e ON e.code = OLD.catalog_code AND e.version = v.catalog_version
        WHERE v.id = OLD.current_version_id
        ORDER BY e.id LIMIT 1;
      IF order_of_levels IS NULL THEN
        RETURN NEW;
      END IF;
      SELECT rank INTO old_rank FROM jsonb_array_elements_text(order_of_levels) WITH ORDINALITY AS p(level, rank)
        WHERE p.level = OLD.level;
      SELECT rank INTO new_rank FROM jsonb_array_elements_text(order_of_levels) WITH ORDINALITY AS p(level, rank)
        WHERE p.level = NEW.level;
      IF new_rank IS NULL OR new_rank >= coalesce(old_rank, new_rank + 1) THEN
        RAISE EXCEPTION 'records: the level of record % only rises (% → % against the precedence %): a channel that delivered the same content later does not lower it',
          OLD.id, OLD.level, NEW.level, order_of_levels
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER records_level_only_rises BEFORE UPDATE OF level ON records FOR EACH ROW
      WHEN (NEW.level IS DISTINCT FROM OLD.level AND NEW.current_version_id IS NOT DISTINCT FROM OLD.current_version_id)
      EXECUTE FUNCTION records_level_only_rises();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER records_level_only_rises ON records;
    DROP FUNCTION records_level_only_rises();
  `);
}
