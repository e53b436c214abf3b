import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A provider withdraws (撤销) only a record it holds. The holder of a record at its level is the provider that
 * first delivered its current version there: inserted or updated it, merged equal content raising the level, or
 * re-delivered a version a legal procedure wrote (a delivered version's first row at its level is always the one
 * that made or raised it). merge-staged.ts takes corrections from it alone at that level; records/disagreements.ts
 * reads it the same way.
 * 015 let any provider of the level that had delivered the current content withdraw the record, so another
 * department re-delivering a record it did not make (an `unchanged` row of its own) could retire it, while it could
 * not correct it. Same signature, so the grants of 015 stand; `provider_withdraw_delivered` calls it by name.
 */
const HOLDER_RULE = `
      SELECT r.level = p_level AND p_provider_code = (SELECT s.provider_code FROM record_sources s
        WHERE s.record_id = r.id AND s.version_id = r.current_version_id AND s.level = r.level
          AND s.outcome IN ('inserted', 'updated', 'merged', 'unchanged')
        ORDER BY s.id LIMIT 1)`;

/** 015's rule, for `down`: a migration keeps the text it replaces rather than import another's. */
const DELIVERED_RULE = `
      SELECT r.level = p_level AND EXISTS (SELECT 1 FROM record_sources s
        WHERE s.record_id = r.id AND s.version_id = r.current_version_id AND s.provider_code = p_provider_code
          AND s.level = p_level AND s.outcome IN ('inserted', 'updated', 'unchanged', 'merged'))`;

export async function up(knex: Knex): Promise<void> {
  await replaceRule(knex, HOLDER_RULE);
}

export async function down(knex: Knex): Promise<void> {
  await replaceRule(knex, DELIVERED_RULE);
}

async function replaceRule(knex: Knex, rule: string): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '039-withdrawn-by-holder');
  await knex.raw(`
    CREATE OR REPLACE FUNCTION provider_delivered_current(r records, p_provider_code text, p_level text)
    RETURNS boolean LANGUAGE sql STABLE ${pinned} AS $f$${rule}
    $f$;
  `);
}
