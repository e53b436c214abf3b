import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * The legal-procedure functions (SECURITY DEFINER) store what the officer's engine computed, and a few values they
 * took were ones `verify` only flagged afterwards:
 *
 * - `procedure_repair` (014, 057) checked `p_disclosure ->> 'state' NOT IN ('disclosed', 'objection')`, which is
 *   not true when the key is missing: a disclosure of `{"repairableFrom": "2000-01-01"}` repaired any current
 *   record (`repair-before-period`).
 * - `procedure_reattribute` (040) took a NULL subject: the new record was filed under no subject, in no subject's
 *   archive (`key-differs`, `version-subject-differs`). A record without a subject is possible (a row whose
 *   subject fields are all empty is stored with none), but a reattribute's whole point is the subject, and the
 *   function already refuses one that is not distinct from the record's: a NULL one is refused whatever the
 *   record had.
 * - `procedure_correct` took a NULL subject for a record that had one: the record left its subject's archive
 *   without a reattribute (which names where it goes) — the same hole by another door.
 * - `procedure_correct` and `procedure_reattribute` took a formation date of `infinity` or `-infinity`.
 *
 * Rather than restate the functions, the rule is the log's: every procedure writes its `procedure_log` entry
 * before its version, and the entry carries what it was handed (repair: `before.disclosure` is `p_disclosure`;
 * correct: `before.subject_code`, `after.subject_code` and `after.formation_date`; reattribute: `after.superseded_by_subject_code` and `after.formation_date`). A
 * BEFORE INSERT trigger refuses such an entry, whoever inserts, and the call fails with it, nothing written.
 * "procedure_inputs_hold" sorts after "one_repair_in_force" (057: a repair in force is refused with its own
 * message first, whatever the disclosure says) and before "procedure_log_chain" (012): it refuses before the
 * chain's lock is taken.
 *
 * `down` drops the trigger and its function.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '060-procedure-inputs-hold');
  await knex.raw(`
    CREATE FUNCTION procedure_log_inputs_hold() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE shown text := NEW.before #>> '{disclosure,state}'; formed text := NEW.after ->> 'formation_date';
    BEGIN
      IF NEW.kind = 'repair' AND (shown IS NULL OR shown NOT IN ('disclosed', 'objection')) THEN
        RAISE EXCEPTION '记录 % 的公示状态为 %，不是公示中或异议中：不能信用修复，未办理 (record %: a credit repair needs the record disclosed or under objection, its disclosure state is %: nothing changed)',
          NEW.record_id, coalesce(shown, '（未提供）'), NEW.record_id, coalesce(shown, '(none given)')
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.kind = 'reattribute' AND coalesce(NEW.after ->> 'superseded_by_subject_code', '') = '' THEN
        RAISE EXCEPTION '改变归属必须指明新主体（记录 %）：新记录不能没有主体，未办理 (reattribute of record % names no subject: the new record would be in no subject''s archive; nothing changed)',
          NEW.record_id, NEW.record_id
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.kind = 'correct' AND coalesce(NEW.before ->> 'subject_code', '') <> ''
         AND coalesce(NEW.after ->> 'subject_code', '') = '' THEN
        RAISE EXCEPTION '更正不能去掉记录 % 的主体：主体错误请用 reattribute，未办理 (correct of record % leaves it with no subject: use reattribute; nothing changed)',
          NEW.record_id, NEW.record_id
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.kind IN ('correct', 'reattribute') AND formed IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION '信息形成日期不能是 %（记录 %），未办理 (record %: the formation date may not be %; nothing changed)',
          formed, NEW.record_id, NEW.record_id, formed
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER procedure_inputs_hold BEFORE INSERT ON procedure_log
      FOR EACH ROW WHEN (NEW.kind IN ('repair', 'correct', 'reattribute'))
      EXECUTE FUNCTION procedure_log_inputs_hold();
    COMMENT ON TRIGGER procedure_inputs_hold ON procedure_log IS
      'a repair names a disclosed record (or one under objection), a reattribute a subject, a correct keeps one, a correct or reattribute a finite formation date';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER procedure_inputs_hold ON procedure_log;
    DROP FUNCTION procedure_log_inputs_hold();
  `);
}
