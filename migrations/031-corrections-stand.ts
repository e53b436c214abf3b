import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';

const { procedure } = WAREHOUSE_ROLES;

/**
 * A correction made by a legal procedure (`procedure correct`, an upheld objection's remedy: Art. 17, 18) stands
 * until another procedure changes it. The merge keeps a later delivery with other content as a `conflict`
 * (merge-staged.ts); this guard makes the database refuse the rewrite too, for every role but the procedure
 * owner: a record whose current version a procedure wrote never moves to a delivered version. Its own trigger
 * beside records_guard (010), fired only when the pointer moves (a correction night's updated records: two
 * lookups by primary key each).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION records_keep_corrections() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      correction bigint;
      delivered bigint;
    BEGIN
      IF current_user = '${procedure}' THEN
        RETURN NEW;
      END IF;
      SELECT procedure_id INTO correction FROM record_versions WHERE id = OLD.current_version_id;
      SELECT source_file_id INTO delivered FROM record_versions WHERE id = NEW.current_version_id;
      IF correction IS NOT NULL AND delivered IS NOT NULL THEN
        RAISE EXCEPTION 'records: record % was corrected by legal procedure %; a delivery (file %) does not replace it',
          OLD.id, correction, delivered
          USING HINT = 'a delivery that differs from a correction is kept as a conflict; changing it again is a legal procedure';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER records_keep_corrections BEFORE UPDATE OF current_version_id ON records
      FOR EACH ROW WHEN (NEW.current_version_id IS DISTINCT FROM OLD.current_version_id)
      EXECUTE FUNCTION records_keep_corrections();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER records_keep_corrections ON records;
    DROP FUNCTION records_keep_corrections();
  `);
}
