import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';

const { procedure } = WAREHOUSE_ROLES;

/**
 * A correction made by a legal procedure (`procedure correct`, an upheld objection's remedy: Art. 17, 18) stands
 * until another procedure changes it. The merge keeps a later delivery with other content as a `conflict`
 * (merge-staged.ts); records_guard (010) now makes the database refuse the rewrite too, for every role but the
 * procedure owner: a record whose current version a procedure wrote never moves to a delivered version.
 *
 * In records_guard rather than a trigger of its own: the guard reads both versions already. A separate trigger
 * looked them up again and cost a full correction ~9 µs a record (100,000 updated records, measured alternating:
 * the update 2.1–2.5 s without it, 2.7–3.6 s with it).
 */
const guardFunction = (correctionsStand: boolean) => `
  CREATE OR REPLACE FUNCTION records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    old_no integer;
    new_no integer;
    new_owner bigint;
    new_channel text;
    correction bigint;
    delivered bigint;
  BEGIN
    IF current_user = '${procedure}' THEN
      RETURN NEW;
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.catalog_code IS DISTINCT FROM OLD.catalog_code
       OR NEW.business_key IS DISTINCT FROM OLD.business_key OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
      RAISE EXCEPTION 'records: record % keeps its id, catalog, business key and creation time forever', OLD.id
        USING HINT = 'a record whose key was wrong is superseded by a legal procedure, never rewritten';
    END IF;
    IF NEW.current_version_id IS DISTINCT FROM OLD.current_version_id THEN
      SELECT version_no, procedure_id INTO old_no, correction FROM record_versions WHERE id = OLD.current_version_id;
      SELECT v.record_id, v.version_no, f.level, v.source_file_id INTO new_owner, new_no, new_channel, delivered
        FROM record_versions v LEFT JOIN source_files f ON f.id = v.source_file_id
        WHERE v.id = NEW.current_version_id;
      IF new_owner IS DISTINCT FROM OLD.id OR old_no IS NULL OR new_no IS NULL OR new_no <= old_no THEN
        RAISE EXCEPTION 'records: the current version of record % may only become a newer version of that record (version % → %)',
          OLD.id, OLD.current_version_id, NEW.current_version_id
          USING HINT = 'going back to an earlier version, or to another record''s, is a legal procedure';
      END IF;
      ${
        correctionsStand
          ? `IF correction IS NOT NULL AND delivered IS NOT NULL THEN
        RAISE EXCEPTION 'records: record % was corrected by legal procedure %; a delivery (file %) does not replace it',
          OLD.id, correction, delivered
          USING HINT = 'a delivery that differs from a correction is kept as a conflict; changing it again is a legal procedure';
      END IF;`
          : ''
      }
      IF NEW.level IS DISTINCT FROM new_channel THEN
        RAISE EXCEPTION 'records: record % level % is not the channel (%) that delivered its new version %',
          OLD.id, NEW.level, new_channel, NEW.current_version_id;
      END IF;
      RETURN NEW;
    END IF;
    IF NEW.subject_code IS DISTINCT FROM OLD.subject_code THEN
      RAISE EXCEPTION 'records: the subject of record % changes only with a newer version (% → %)',
        OLD.id, OLD.subject_code, NEW.subject_code
        USING HINT = 'moving a record to another subject''s archive is a legal procedure (reattribution)';
    END IF;
    IF NEW.level IS DISTINCT FROM OLD.level AND NOT EXISTS (
      SELECT 1 FROM record_sources s
      WHERE s.record_id = OLD.id AND s.version_id = OLD.current_version_id AND s.level = NEW.level
        AND s.outcome <> 'conflict'
    ) THEN
      RAISE EXCEPTION 'records: record % level may become % only when that channel delivered its current version',
        OLD.id, NEW.level;
    END IF;
    RETURN NEW;
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(guardFunction(true));
}

/** 010's guard: the unused variables aside, the same function. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(guardFunction(false));
}
