import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

const { procedure } = WAREHOUSE_ROLES;

/**
 * A record's subject (`records.subject_code`, the archive `subject` files it under, Art. 8) changes only by a legal
 * procedure. The merge no longer writes it (a delivery naming another subject is a conflict: merge-staged.ts), but
 * records_guard (010/031) refused a new subject only when the current version stayed: the engine's login could
 * move a record into another subject's archive by pointing it at a newer version of its own in the same UPDATE,
 * and only `verify` said so afterwards (`subject-differs`). The database now refuses every change of the column
 * by any role but the procedure owner (owner and superuser included, while triggers are on).
 *
 * The legal path is `procedure correct` of a subject field when the key stays the same (a 个体工商户 behind the
 * placeholder USCC, told by its 工商注册号, which is not in xzcf's key; an upheld objection's remedy runs the same
 * function): procedure_correct (012, 040) updates `subject_code` with the new version, SECURITY DEFINER and owned by
 * `credit_etl_procedure`, so `current_user` is that role inside it and it passes. `reattribute` inserts a new record
 * under the right subject and supersedes the old one, whose subject stays: no UPDATE of the column. Withdraw,
 * supersede, repair and a provider's withdrawal leave it as it is.
 *
 * records_keep_their_subject sorts before records_move_along_history (PostgreSQL fires a table's BEFORE triggers in
 * name order): every refused change of the subject gets its message, with or without a version move.
 *
 * The other way round, records_show_their_subject: the subject stays while the record is pointed at a version filed
 * under another one (record_versions.subject_code, 011, written by the merge), which would show another subject's
 * penalty in this subject's archive. It sorts after the guard, which refuses a version of another record or an
 * older one first, with its own message; it runs only when the current version moves (one lookup by primary key,
 * as the guard's), never for the merge's level-only or time-only UPDATEs.
 *
 * Neither message names a code: a natural person's is a resident ID number, and this text reaches the server's log
 * and the client's error unmasked.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '055-subject-stays');
  await knex.raw(`
    CREATE FUNCTION records_subject_stays() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF current_user = '${procedure}' THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'records: record % stays filed under its subject: only a legal procedure, running as %, changes a record''s subject, not %',
        OLD.id, '${procedure}', current_user
        USING ERRCODE = 'insufficient_privilege',
        HINT = 'a delivery never moves a record to another subject: credit-etl procedure correct of the subject field (the key stays the same) or procedure reattribute (the key changes with it)';
    END $$;
    CREATE TRIGGER records_keep_their_subject BEFORE UPDATE OF subject_code ON records FOR EACH ROW
      WHEN (NEW.subject_code IS DISTINCT FROM OLD.subject_code)
      EXECUTE FUNCTION records_subject_stays();

    CREATE FUNCTION records_show_their_subject() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE
      filed_under text;
    BEGIN
      IF current_user = '${procedure}' THEN
        RETURN NEW;
      END IF;
      SELECT subject_code INTO filed_under FROM record_versions WHERE id = NEW.current_version_id;
      IF filed_under IS DISTINCT FROM NEW.subject_code THEN
        RAISE EXCEPTION 'records: record % may not show version %, filed under another subject: only a legal procedure, running as %, changes a record''s subject, not %',
          OLD.id, NEW.current_version_id, '${procedure}', current_user
          USING ERRCODE = 'insufficient_privilege',
          HINT = 'a delivery naming another subject is kept as a conflict, never made current';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER records_show_their_subject BEFORE UPDATE OF current_version_id ON records FOR EACH ROW
      WHEN (NEW.current_version_id IS DISTINCT FROM OLD.current_version_id)
      EXECUTE FUNCTION records_show_their_subject();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER records_show_their_subject ON records;
    DROP FUNCTION records_show_their_subject();
    DROP TRIGGER records_keep_their_subject ON records;
    DROP FUNCTION records_subject_stays();
  `);
}
