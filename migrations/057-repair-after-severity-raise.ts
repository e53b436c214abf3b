import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A record may be repaired (信用修复) again when no repair of it is in force. 014 allowed one repair per record,
 * whatever came after it (a unique index). But a repair made before the first day the version now in force may be
 * repaired (a 警告 repaired, then re-delivered or corrected as 吊销, whose minimum disclosure period is longer)
 * ends nothing (disclosure-state.ts, `repair-predates-severity`), and under 014 the record could then never be
 * repaired when it became repairable under its new severity.
 *
 * A repair is in force when it was performed (its day in Asia/Shanghai) on or after the first repairable day of
 * the version now in force. That day comes from the catalog, which only the engine reads: it is the
 * `repairableFrom` of the disclosure the caller hands procedure_repair, the same value 014 already believes for
 * the repair itself (and `verify` recomputes: `repair-before-period`). A new repair is refused while a repair of
 * the record made on or after that day exists; when the disclosure names no such day, while any repair exists
 * (014's rule). The early repairs stay in the log, never deleted; readers take the one in force.
 *
 * The rule is the database's, whoever inserts (as 014's index was): a BEFORE INSERT trigger on procedure_log for
 * `repair` entries, reading the day from the entry's `before.disclosure` (what procedure_repair logs), under the
 * record's row lock (FOR UPDATE, as procedure_current_record takes it): two concurrent repairs of one record run
 * one after the other, and the second, in READ COMMITTED (050 refuses any other level for an append), sees the
 * first. The trigger is named to sort after chain_read_committed (050) and before procedure_log_chain (012), so it
 * refuses before the chain's lock is taken, and takes the record's lock before it, in the order procedure_repair
 * takes them. procedure_repair checks the same rule first, with the same message, as 014 did.
 *
 * `down` restores 014's index and function. It fails, rightly, when a record has two repairs.
 */
const { procedure } = WAREHOUSE_ROLES;

const IN_FORCE_FUNCTION = 'procedure_repair_in_force(bigint, jsonb)';

/** The refusal, word for word 014's: `done` is the repair in force, `r` the record. */
const REFUSAL = `RAISE EXCEPTION '记录 % 已于 % 信用修复（程序 #%），不能重复修复', r_id,
          to_char(done.performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), done.id
          USING ERRCODE = 'unique_violation';`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '057-repair-after-severity-raise');
  await knex.raw(`
    DROP INDEX procedure_log_one_repair;

    -- The record's first repair in force under the disclosure given (its repairableFrom: the first day the version
    -- now in force may be repaired): one performed on or after that day; without a day, any repair.
    CREATE FUNCTION procedure_repair_in_force(p_record_id bigint, p_disclosure jsonb) RETURNS procedure_log
    LANGUAGE plpgsql ${pinned} AS $$
    DECLARE from_text text := p_disclosure ->> 'repairableFrom'; from_day date; done procedure_log;
    BEGIN
      IF from_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN from_day := from_text::date; END IF;
      SELECT * INTO done FROM procedure_log
      WHERE record_id = p_record_id AND kind = 'repair'
        AND (from_day IS NULL OR (performed_at AT TIME ZONE 'Asia/Shanghai')::date >= from_day)
      ORDER BY id LIMIT 1;
      RETURN done;
    END $$;

    CREATE FUNCTION procedure_log_one_repair_in_force() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE done procedure_log; r_id bigint := NEW.record_id;
    BEGIN
      PERFORM 1 FROM records WHERE id = NEW.record_id FOR UPDATE;
      done := procedure_repair_in_force(NEW.record_id, NEW.before -> 'disclosure');
      IF done.id IS NOT NULL THEN
        ${REFUSAL}
      END IF;
      RETURN NEW;
    END $$;
    -- "one_repair_in_force" sorts after "chain_read_committed" and before "procedure_log_chain".
    CREATE TRIGGER one_repair_in_force BEFORE INSERT ON procedure_log
      FOR EACH ROW WHEN (NEW.kind = 'repair') EXECUTE FUNCTION procedure_log_one_repair_in_force();
    COMMENT ON TRIGGER one_repair_in_force ON procedure_log IS
      'a record has at most one credit repair in force (信用修复): one made before the version now in force may be repaired (a severity raised since) stops nothing, and another may follow';

    CREATE OR REPLACE FUNCTION procedure_repair(p_record_id bigint, p_disclosure jsonb, p_basis text, p_reason text,
      p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r records; cv record_versions; done procedure_log; today date; log_id bigint; r_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      r := procedure_current_record(p_record_id);
      r_id := r.id;
      done := procedure_repair_in_force(r.id, p_disclosure);
      IF done.id IS NOT NULL THEN
        ${REFUSAL}
      END IF;
      today := (now() AT TIME ZONE 'Asia/Shanghai')::date;
      IF p_disclosure ->> 'repairableFrom' IS NULL OR (p_disclosure ->> 'repairableFrom')::date > today THEN
        RAISE EXCEPTION '记录 % 尚不能信用修复（可申请日期：%）', r.id,
          coalesce(p_disclosure ->> 'repairableFrom', '本目录信息不适用信用修复')
          USING ERRCODE = 'check_violation';
      END IF;
      IF p_disclosure ->> 'state' NOT IN ('disclosed', 'objection') THEN
        RAISE EXCEPTION '记录 % 当前不在公示中（%）：无需信用修复', r.id, p_disclosure ->> 'label'
          USING ERRCODE = 'check_violation';
      END IF;
      SELECT * INTO cv FROM record_versions WHERE id = r.current_version_id;
      log_id := procedure_log_write('repair', r.id, NULL, r.catalog_code, p_basis, p_reason, p_operator,
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash, 'disclosure', p_disclosure),
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash,
          'disclosure', jsonb_build_object('state', 'repaired', 'on', today)));
      RETURN log_id;
    END $$;
  `);
  await knex.raw(`REVOKE ALL ON FUNCTION ${IN_FORCE_FUNCTION} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${IN_FORCE_FUNCTION} TO ${procedure}`);
}

export async function down(knex: Knex): Promise<void> {
  // 014's function and index, verbatim (its search_path clause is the pinned one: 014 wrote it out by hand).
  const pinned = await pinnedSearchPath(knex, '057-repair-after-severity-raise');
  await knex.raw(`
    DROP TRIGGER one_repair_in_force ON procedure_log;
    DROP FUNCTION procedure_log_one_repair_in_force();

    CREATE OR REPLACE FUNCTION procedure_repair(p_record_id bigint, p_disclosure jsonb, p_basis text, p_reason text,
      p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r records; cv record_versions; done procedure_log; today date; log_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      r := procedure_current_record(p_record_id);
      SELECT * INTO done FROM procedure_log WHERE record_id = r.id AND kind = 'repair';
      IF FOUND THEN
        RAISE EXCEPTION '记录 % 已于 % 信用修复（程序 #%），不能重复修复', r.id,
          to_char(done.performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), done.id
          USING ERRCODE = 'unique_violation';
      END IF;
      today := (now() AT TIME ZONE 'Asia/Shanghai')::date;
      IF p_disclosure ->> 'repairableFrom' IS NULL OR (p_disclosure ->> 'repairableFrom')::date > today THEN
        RAISE EXCEPTION '记录 % 尚不能信用修复（可申请日期：%）', r.id,
          coalesce(p_disclosure ->> 'repairableFrom', '本目录信息不适用信用修复')
          USING ERRCODE = 'check_violation';
      END IF;
      IF p_disclosure ->> 'state' NOT IN ('disclosed', 'objection') THEN
        RAISE EXCEPTION '记录 % 当前不在公示中（%）：无需信用修复', r.id, p_disclosure ->> 'label'
          USING ERRCODE = 'check_violation';
      END IF;
      SELECT * INTO cv FROM record_versions WHERE id = r.current_version_id;
      log_id := procedure_log_write('repair', r.id, NULL, r.catalog_code, p_basis, p_reason, p_operator,
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash, 'disclosure', p_disclosure),
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash,
          'disclosure', jsonb_build_object('state', 'repaired', 'on', today)));
      RETURN log_id;
    END $$;

    DROP FUNCTION ${IN_FORCE_FUNCTION};
    CREATE UNIQUE INDEX procedure_log_one_repair ON procedure_log (record_id) WHERE kind = 'repair';
    COMMENT ON INDEX procedure_log_one_repair IS 'a record is repaired (信用修复) at most once';
  `);
}
