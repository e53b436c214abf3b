import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * `procedure correct` and `reattribute` (and `objection close|outcome --set`, which run the same) build the new
 * row from the version they read, then call the function in a transaction of their own. 012's functions wrote it
 * whatever had happened in between: two officers correcting one record at once, the second's row (built on the
 * version before the first's correction) silently undid the first's, under the second's basis; a delivery that
 * updated the record while a correction was on its way was reverted by it. Each now takes the id of the version
 * the row was built on and refuses, nothing written, unless it is still the record's current version (checked
 * under 012's row lock, so of two concurrent calls the second sees the first's version).
 *
 * They also trusted what the caller handed in: a catalog version the warehouse never recorded was stored (verify
 * then skips the record as "entry version missing"). It must be one of the entry's versions in `catalog_entries`
 * (every command syncs catalog/ there at start; for an entry never synced, as 036, only the version the record
 * already has).
 * And the log now says what the procedure did to the version's formation date and catalog version: `before` and
 * `after` carry both.
 *
 * 012's signatures are dropped, not kept beside the new ones: no caller can skip the check. `down` restores them.
 */
const { procedure, officer } = WAREHOUSE_ROLES;

/** What follows the record id: the row (data, hash, catalog version, formation date, key, subject), the grounds. */
const ROW_ARGUMENTS = 'jsonb, text, integer, date, text, text, text, text, text';
const OLD_FUNCTIONS = [
  `procedure_correct(bigint, ${ROW_ARGUMENTS})`,
  `procedure_reattribute(bigint, ${ROW_ARGUMENTS})`,
] as const;
/** The record id, then the id of the version the row was built on. */
export const CHECKED_FUNCTIONS = [
  `procedure_correct(bigint, bigint, ${ROW_ARGUMENTS})`,
  `procedure_reattribute(bigint, bigint, ${ROW_ARGUMENTS})`,
] as const;
const HELPERS = [
  'procedure_based_on_current(records, bigint)',
  'procedure_recorded_catalog_version(text, integer, integer)',
] as const;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '040-procedures-on-the-version-read');
  await knex.raw(`DROP FUNCTION ${OLD_FUNCTIONS.join(', ')}`);
  await knex.raw(checkedFunctions(pinned));
  await handOver(knex, CHECKED_FUNCTIONS, HELPERS);
}

export async function down(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '040-procedures-on-the-version-read');
  await knex.raw(`DROP FUNCTION ${CHECKED_FUNCTIONS.join(', ')}`);
  await knex.raw(`DROP FUNCTION ${HELPERS.join(', ')}`);
  await knex.raw(functionsOf012(pinned));
  await handOver(knex, OLD_FUNCTIONS, []);
}

/** As 012: owned by the procedure role, executed by officers only; the helpers by the procedure role only. */
async function handOver(knex: Knex, functions: readonly string[], helpers: readonly string[]): Promise<void> {
  for (const fn of functions) {
    await knex.raw(`ALTER FUNCTION ${fn} OWNER TO ${procedure}`);
    await knex.raw(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
    await knex.raw(`GRANT EXECUTE ON FUNCTION ${fn} TO ${officer}`);
  }
  for (const helper of helpers) {
    await knex.raw(`REVOKE ALL ON FUNCTION ${helper} FROM PUBLIC`);
    await knex.raw(`GRANT EXECUTE ON FUNCTION ${helper} TO ${procedure}`);
  }
}

/** The formation date and catalog version of a version, for a log entry's `before` or `after`. */
const VERSION_DATES = (catalogVersion: string, formationDate: string) =>
  `'catalog_version', ${catalogVersion}, 'formation_date', ${formationDate}`;

/** Messages are Chinese (an officer reads them), with the English after, as the CLI's other refusals. */
function checkedFunctions(pinned: string): string {
  return `
    -- The version the caller built its row on must still be the record's current one (r is locked by
    -- procedure_current_record, so a concurrent procedure or delivery has committed or not started).
    CREATE FUNCTION procedure_based_on_current(r records, p_based_on_version_id bigint) RETURNS record_versions
    LANGUAGE plpgsql ${pinned} AS $$
    DECLARE cv record_versions; based_on text;
    BEGIN
      SELECT * INTO cv FROM record_versions WHERE id = r.current_version_id;
      IF p_based_on_version_id IS DISTINCT FROM r.current_version_id THEN
        based_on := coalesce((SELECT 'v' || version_no FROM record_versions
                              WHERE id = p_based_on_version_id AND record_id = r.id),
                             '#' || coalesce(p_based_on_version_id::text, '—'));
        RAISE EXCEPTION '记录 % 在读取之后已被更改：本次办理依据版本 %，当前版本已是 v%（由另一程序或报送写入），未办理；请用 credit-etl record % 查看最新内容后重新办理 (record % changed after it was read: this procedure was based on version %, the current version is now v%; nothing changed, look at the record again and retry)',
          r.id, based_on, cv.version_no, r.id, r.id, based_on, cv.version_no
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN cv;
    END $$;

    -- The catalog version the new version is stored under must be one the warehouse recorded for the entry. An
    -- entry never synced at all (only code that bypasses the CLI, such as tests, loads without syncing: as 036)
    -- lets a procedure keep the version the record already has, never name another.
    CREATE FUNCTION procedure_recorded_catalog_version(p_catalog_code text, p_catalog_version integer,
      p_current_catalog_version integer)
    RETURNS void LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM catalog_entries WHERE code = p_catalog_code AND version = p_catalog_version)
         AND (EXISTS (SELECT 1 FROM catalog_entries WHERE code = p_catalog_code)
              OR p_catalog_version IS DISTINCT FROM p_current_catalog_version) THEN
        RAISE EXCEPTION '目录 % 没有版本 v%（仓库未登记该目录版本），记录不能存为该版本，未办理 (catalog entry % version % is not recorded in the warehouse: nothing changed)',
          p_catalog_code, coalesce(p_catalog_version::text, '—'), p_catalog_code,
          coalesce(p_catalog_version::text, '—')
          USING ERRCODE = 'check_violation';
      END IF;
    END $$;

    CREATE FUNCTION procedure_correct(p_record_id bigint, p_based_on_version_id bigint, p_data jsonb,
      p_content_hash text, p_catalog_version integer, p_formation_date date, p_business_key text,
      p_subject_code text, p_basis text, p_reason text, p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r records; cv record_versions; next_no integer; v_id bigint; log_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      r := procedure_current_record(p_record_id);
      cv := procedure_based_on_current(r, p_based_on_version_id);
      PERFORM procedure_recorded_catalog_version(r.catalog_code, p_catalog_version, cv.catalog_version);
      IF p_business_key IS DISTINCT FROM r.business_key THEN
        RAISE EXCEPTION '更正不能改变记录的业务主键（记录 %）：主体错误请用 reattribute，主键错误请用 supersede', r.id
          USING ERRCODE = 'check_violation';
      END IF;
      IF p_content_hash = cv.content_hash THEN
        RAISE EXCEPTION '更正后的内容与记录 % 的当前版本 v% 相同：无需更正', r.id, cv.version_no
          USING ERRCODE = 'check_violation';
      END IF;
      next_no := (SELECT max(version_no) + 1 FROM record_versions WHERE record_id = r.id);
      v_id := nextval('record_versions_id_seq');
      log_id := procedure_log_write('correct', r.id, NULL, r.catalog_code, p_basis, p_reason, p_operator,
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash,
          ${VERSION_DATES('cv.catalog_version', 'cv.formation_date')},
          'fields', procedure_changed_fields(cv.data, p_data)),
        jsonb_build_object('status', r.status, 'subject_code', p_subject_code, 'version_id', v_id,
          'version_no', next_no, 'content_hash', p_content_hash,
          ${VERSION_DATES('p_catalog_version', 'p_formation_date')},
          'fields', procedure_changed_fields(p_data, cv.data)));
      INSERT INTO record_versions (id, record_id, version_no, data, content_hash, catalog_version, formation_date,
                                   procedure_id, subject_code)
      VALUES (v_id, r.id, next_no, p_data, p_content_hash, p_catalog_version, p_formation_date, log_id,
              p_subject_code);
      UPDATE records SET current_version_id = v_id, subject_code = p_subject_code, updated_at = now()
      WHERE id = r.id;
      RETURN log_id;
    END $$;

    CREATE FUNCTION procedure_reattribute(p_record_id bigint, p_based_on_version_id bigint, p_data jsonb,
      p_content_hash text, p_catalog_version integer, p_formation_date date, p_business_key text,
      p_subject_code text, p_basis text, p_reason text, p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r records; cv record_versions; existing bigint; new_id bigint; v_id bigint; log_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      r := procedure_current_record(p_record_id);
      cv := procedure_based_on_current(r, p_based_on_version_id);
      PERFORM procedure_recorded_catalog_version(r.catalog_code, p_catalog_version, cv.catalog_version);
      IF p_subject_code IS NOT DISTINCT FROM r.subject_code THEN
        RAISE EXCEPTION '记录 % 已归属该主体：无需改变归属', r.id USING ERRCODE = 'check_violation';
      END IF;
      IF p_business_key = r.business_key THEN
        RAISE EXCEPTION '改变归属后记录 % 的业务主键不变：请用 correct 更正主体字段', r.id
          USING ERRCODE = 'check_violation';
      END IF;
      SELECT id INTO existing FROM records WHERE catalog_code = r.catalog_code AND business_key = p_business_key;
      IF FOUND THEN
        RAISE EXCEPTION '已有记录 % 归属该主体且业务主键相同：请用 supersede % --by %', existing, r.id, existing
          USING ERRCODE = 'unique_violation';
      END IF;
      new_id := nextval('records_id_seq');
      v_id := nextval('record_versions_id_seq');
      log_id := procedure_log_write('reattribute', r.id, new_id, r.catalog_code, p_basis, p_reason, p_operator,
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash,
          ${VERSION_DATES('cv.catalog_version', 'cv.formation_date')},
          'fields', procedure_changed_fields(cv.data, p_data)),
        jsonb_build_object('status', 'superseded', 'superseded_by', new_id,
          'superseded_by_subject_code', p_subject_code, 'superseded_by_version_id', v_id,
          'content_hash', p_content_hash, ${VERSION_DATES('p_catalog_version', 'p_formation_date')},
          'fields', procedure_changed_fields(p_data, cv.data)));
      INSERT INTO records (id, catalog_code, business_key, subject_code, current_version_id, level)
      VALUES (new_id, r.catalog_code, p_business_key, p_subject_code, v_id, r.level);
      INSERT INTO record_versions (id, record_id, version_no, data, content_hash, catalog_version, formation_date,
                                   procedure_id, subject_code)
      VALUES (v_id, new_id, 1, p_data, p_content_hash, p_catalog_version, p_formation_date, log_id, p_subject_code);
      UPDATE records SET status = 'superseded', superseded_by = new_id, status_procedure_id = log_id,
                         updated_at = now()
      WHERE id = r.id;
      RETURN log_id;
    END $$;
  `;
}

/** 012's two functions, for `down`: a migration keeps the text it replaces rather than import another's. */
function functionsOf012(pinned: string): string {
  return `
    CREATE FUNCTION procedure_correct(p_record_id bigint, p_data jsonb, p_content_hash text,
      p_catalog_version integer, p_formation_date date, p_business_key text, p_subject_code text,
      p_basis text, p_reason text, p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r records; cv record_versions; next_no integer; v_id bigint; log_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      r := procedure_current_record(p_record_id);
      SELECT * INTO cv FROM record_versions WHERE id = r.current_version_id;
      IF p_business_key IS DISTINCT FROM r.business_key THEN
        RAISE EXCEPTION '更正不能改变记录的业务主键（记录 %）：主体错误请用 reattribute，主键错误请用 supersede', r.id
          USING ERRCODE = 'check_violation';
      END IF;
      IF p_content_hash = cv.content_hash THEN
        RAISE EXCEPTION '更正后的内容与记录 % 的当前版本 v% 相同：无需更正', r.id, cv.version_no
          USING ERRCODE = 'check_violation';
      END IF;
      next_no := (SELECT max(version_no) + 1 FROM record_versions WHERE record_id = r.id);
      v_id := nextval('record_versions_id_seq');
      log_id := procedure_log_write('correct', r.id, NULL, r.catalog_code, p_basis, p_reason, p_operator,
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash,
          'fields', procedure_changed_fields(cv.data, p_data)),
        jsonb_build_object('status', r.status, 'subject_code', p_subject_code, 'version_id', v_id,
          'version_no', next_no, 'content_hash', p_content_hash,
          'fields', procedure_changed_fields(p_data, cv.data)));
      INSERT INTO record_versions (id, record_id, version_no, data, content_hash, catalog_version, formation_date,
                                   procedure_id, subject_code)
      VALUES (v_id, r.id, next_no, p_data, p_content_hash, p_catalog_version, p_formation_date, log_id,
              p_subject_code);
      UPDATE records SET current_version_id = v_id, subject_code = p_subject_code, updated_at = now()
      WHERE id = r.id;
      RETURN log_id;
    END $$;

    CREATE FUNCTION procedure_reattribute(p_record_id bigint, p_data jsonb, p_content_hash text,
      p_catalog_version integer, p_formation_date date, p_business_key text, p_subject_code text,
      p_basis text, p_reason text, p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r records; cv record_versions; existing bigint; new_id bigint; v_id bigint; log_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      r := procedure_current_record(p_record_id);
      IF p_subject_code IS NOT DISTINCT FROM r.subject_code THEN
        RAISE EXCEPTION '记录 % 已归属该主体：无需改变归属', r.id USING ERRCODE = 'check_violation';
      END IF;
      IF p_business_key = r.business_key THEN
        RAISE EXCEPTION '改变归属后记录 % 的业务主键不变：请用 correct 更正主体字段', r.id
          USING ERRCODE = 'check_violation';
      END IF;
      SELECT id INTO existing FROM records WHERE catalog_code = r.catalog_code AND business_key = p_business_key;
      IF FOUND THEN
        RAISE EXCEPTION '已有记录 % 归属该主体且业务主键相同：请用 supersede % --by %', existing, r.id, existing
          USING ERRCODE = 'unique_violation';
      END IF;
      SELECT * INTO cv FROM record_versions WHERE id = r.current_version_id;
      new_id := nextval('records_id_seq');
      v_id := nextval('record_versions_id_seq');
      log_id := procedure_log_write('reattribute', r.id, new_id, r.catalog_code, p_basis, p_reason, p_operator,
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash,
          'fields', procedure_changed_fields(cv.data, p_data)),
        jsonb_build_object('status', 'superseded', 'superseded_by', new_id,
          'superseded_by_subject_code', p_subject_code, 'superseded_by_version_id', v_id,
          'content_hash', p_content_hash, 'fields', procedure_changed_fields(p_data, cv.data)));
      INSERT INTO records (id, catalog_code, business_key, subject_code, current_version_id, level)
      VALUES (new_id, r.catalog_code, p_business_key, p_subject_code, v_id, r.level);
      INSERT INTO record_versions (id, record_id, version_no, data, content_hash, catalog_version, formation_date,
                                   procedure_id, subject_code)
      VALUES (v_id, new_id, 1, p_data, p_content_hash, p_catalog_version, p_formation_date, log_id, p_subject_code);
      UPDATE records SET status = 'superseded', superseded_by = new_id, status_procedure_id = log_id,
                         updated_at = now()
      WHERE id = r.id;
      RETURN log_id;
    END $$;
  `;
}
