import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Credit repair (信用修复, 《信用修复管理办法》, 国家发展改革委令2025年第36号): a fifth legal procedure, `repair`,
 * that ends a record's public disclosure early. Nothing is deleted and no version is written: the record stays
 * current (it is still the true record, shared between authorities as the rules say), and its disclosure ends
 * because the procedure log says so — a record is repaired exactly when a `repair` entry names it, so there is
 * one place to read it from and `verify` keeps guarding it with the rest of the chain (the hash payload is
 * unchanged: `kind` is already part of it).
 *
 * Whether the rules allow the repair today (the minimum disclosure period has run, the entry's records may be
 * repaired at all) is computed by the engine from the catalog (src/procedures/credit-repair.ts) and handed to
 * the function as `p_disclosure`; the function refuses when that says the day has not come, and logs it as the
 * record's disclosure before the repair. A record is repaired once: a unique index says so, whoever inserts.
 */
const { procedure, officer } = WAREHOUSE_ROLES;

export const REPAIR_FUNCTION = 'procedure_repair(bigint, jsonb, text, text, text)';

const KINDS_BEFORE = `'correct', 'withdraw', 'reattribute', 'supersede'`;

export async function up(knex: Knex): Promise<void> {
  const schema = (await knex.raw<{ rows: { schema: string }[] }>('SELECT current_schema() AS schema')).rows[0]
    ?.schema;
  if (!schema) throw new Error('014-credit-repair: no current schema');
  await knex.raw(`
    ALTER TABLE procedure_log DROP CONSTRAINT procedure_log_kind_check,
      ADD CONSTRAINT procedure_log_kind_check CHECK (kind IN (${KINDS_BEFORE}, 'repair'));
    CREATE UNIQUE INDEX procedure_log_one_repair ON procedure_log (record_id) WHERE kind = 'repair';
    COMMENT ON INDEX procedure_log_one_repair IS 'a record is repaired (信用修复) at most once';

    CREATE FUNCTION procedure_repair(p_record_id bigint, p_disclosure jsonb, p_basis text, p_reason text,
      p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${schema}, pg_temp AS $$
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
  `);
  await knex.raw(`ALTER FUNCTION ${REPAIR_FUNCTION} OWNER TO ${procedure}`);
  await knex.raw(`REVOKE ALL ON FUNCTION ${REPAIR_FUNCTION} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${REPAIR_FUNCTION} TO ${officer}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ${REPAIR_FUNCTION};
    DROP INDEX procedure_log_one_repair;
    ALTER TABLE procedure_log DROP CONSTRAINT procedure_log_kind_check,
      ADD CONSTRAINT procedure_log_kind_check CHECK (kind IN (${KINDS_BEFORE}));
  `);
}
