import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Art. 17 (非经法定程序不得撤除、篡改): the only changes to the record outside a delivery are four named legal
 * procedures — correct, withdraw, reattribute, supersede — each a PostgreSQL function that runs as the role
 * `credit_etl_procedure` (SECURITY DEFINER), callable only by `credit_etl_officer`, and each writing one entry
 * to `procedure_log`: who (the database session user and the operator), when, the legal basis (文号), the
 * reason, and the record's state before and after. The log is append-only and hash-chained (every entry
 * carries sha256 over the previous entry's hash and its own content), so `verify` finds an entry changed or
 * removed behind the engine's back. Nothing is ever deleted: a withdrawn or superseded record keeps every
 * version; `records.status` says it is no longer current, and only the procedure role can set it.
 *
 * A version written by a procedure has no source file: it points at its procedure_log entry instead, records
 * the subject it is filed under, and is chained to the record's previous version by 011's trigger like any other.
 * A procedure never moves a record's current version back: the highest version stays current (a withdrawn or
 * superseded record keeps its last one), so 011's procedure_explains_current() stays false.
 */
const { loader, procedure, officer, reader } = WAREHOUSE_ROLES;

export const PROCEDURE_FUNCTIONS = [
  'procedure_correct(bigint, jsonb, text, integer, date, text, text, text, text, text)',
  'procedure_withdraw(bigint, text, text, text)',
  'procedure_supersede(bigint, bigint, text, text, text)',
  'procedure_reattribute(bigint, jsonb, text, integer, date, text, text, text, text, text)',
] as const;

/** The text each entry's hash is computed over; src/warehouse/procedure-log-chain.ts builds the same. */
const PAYLOAD = (e: string) => `concat_ws(chr(31), ${e}.id::text,
      to_char(${e}.performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), ${e}.kind, ${e}.record_id::text,
      coalesce(${e}.other_record_id::text, ''), ${e}.catalog_code, ${e}.basis, ${e}.reason, ${e}.db_user,
      ${e}.operator, ${e}.before::text, ${e}.after::text, coalesce(${e}.prev_hash, ''))`;

export async function up(knex: Knex): Promise<void> {
  // The roles exist and the owner is a member of each (010-roles.ts): it can hand the functions to their owner.
  const schema = (await knex.raw<{ rows: { schema: string }[] }>('SELECT current_schema() AS schema')).rows[0]
    ?.schema;
  if (!schema) throw new Error('012-legal-procedures: no current schema');
  const pinned = `SET search_path = ${schema}, pg_temp`;
  await knex.raw(`
    CREATE SEQUENCE procedure_log_id_seq;
    CREATE TABLE procedure_log (
      id bigint PRIMARY KEY, -- drawn by procedure_log_chain() under its lock
      performed_at timestamptz NOT NULL,
      kind text NOT NULL CHECK (kind IN ('correct', 'withdraw', 'reattribute', 'supersede')),
      record_id bigint NOT NULL,
      other_record_id bigint,
      catalog_code text NOT NULL,
      basis text NOT NULL CHECK (btrim(basis) <> ''),
      reason text NOT NULL CHECK (btrim(reason) <> ''),
      db_user text NOT NULL,
      operator text NOT NULL CHECK (btrim(operator) <> ''),
      before jsonb NOT NULL,
      after jsonb NOT NULL,
      prev_hash text,
      hash text NOT NULL
    );
    ALTER SEQUENCE procedure_log_id_seq OWNED BY procedure_log.id;
    COMMENT ON TABLE procedure_log IS 'every legal procedure (Art. 17): append-only, each entry hash-chained to the one before';
    COMMENT ON COLUMN procedure_log.other_record_id IS 'supersede: the record that replaces record_id; reattribute: the record created for the right subject';
    COMMENT ON COLUMN procedure_log.db_user IS 'session_user of the database session that ran the procedure';
    COMMENT ON COLUMN procedure_log.operator IS 'the person who ran it (--operator, else the OS user)';
    CREATE INDEX procedure_log_record ON procedure_log (record_id);
    CREATE INDEX procedure_log_other_record ON procedure_log (other_record_id) WHERE other_record_id IS NOT NULL;

    -- One writer at a time: the id, the time and the previous hash are taken under the lock, so the chain
    -- follows the ids whatever the order in which concurrent procedures drew their defaults.
    CREATE FUNCTION procedure_log_chain() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('credit-etl:procedure-log'));
      NEW.id := nextval('procedure_log_id_seq');
      NEW.performed_at := clock_timestamp();
      NEW.prev_hash := (SELECT hash FROM procedure_log ORDER BY id DESC LIMIT 1);
      NEW.hash := encode(sha256(convert_to(${PAYLOAD('NEW')}, 'UTF8')), 'hex');
      RETURN NEW;
    END $$;
    CREATE TRIGGER procedure_log_chain BEFORE INSERT ON procedure_log
      FOR EACH ROW EXECUTE FUNCTION procedure_log_chain();
    CREATE FUNCTION procedure_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'procedure_log is append-only: a legal procedure is never changed or removed, not even by another procedure';
    END $$;
    CREATE TRIGGER procedure_log_append_only BEFORE UPDATE OR DELETE ON procedure_log
      FOR EACH ROW EXECUTE FUNCTION procedure_log_append_only();
    CREATE TRIGGER procedure_log_no_truncate BEFORE TRUNCATE ON procedure_log
      FOR EACH STATEMENT EXECUTE FUNCTION procedure_log_append_only();

    ALTER TABLE records
      ADD COLUMN status text NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'withdrawn', 'superseded')),
      ADD COLUMN superseded_by bigint,
      ADD COLUMN status_procedure_id bigint,
      ADD CONSTRAINT records_superseded_by CHECK ((status = 'superseded') = (superseded_by IS NOT NULL)),
      ADD CONSTRAINT records_status_procedure CHECK ((status = 'current') = (status_procedure_id IS NULL));
    COMMENT ON COLUMN records.status IS 'current; withdrawn (撤销) or superseded by a legal procedure: kept, no longer current';
    COMMENT ON COLUMN records.status_procedure_id IS 'the procedure_log entry that withdrew or superseded the record';

    ALTER TABLE record_versions
      ALTER COLUMN source_file_id DROP NOT NULL,
      ALTER COLUMN row_number DROP NOT NULL,
      ADD COLUMN procedure_id bigint,
      ADD CONSTRAINT record_versions_one_origin CHECK ((source_file_id IS NULL) <> (procedure_id IS NULL)),
      ADD CONSTRAINT record_versions_row_of_file CHECK (source_file_id IS NULL OR row_number IS NOT NULL);
    CREATE INDEX record_versions_procedure ON record_versions (procedure_id) WHERE procedure_id IS NOT NULL;
    COMMENT ON COLUMN record_versions.procedure_id IS 'a version written by a legal procedure (no source file): its procedure_log entry';

    -- Only a procedure sets a record's state, and a record that is no longer current gets no new current
    -- version from a delivery (the merge keeps such a delivery as a conflict: merge-staged.ts).
    CREATE FUNCTION records_procedure_state_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_user = '${procedure}' THEN RETURN NEW; END IF;
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'current' OR NEW.superseded_by IS NOT NULL OR NEW.status_procedure_id IS NOT NULL THEN
          RAISE EXCEPTION 'records: only a legal procedure sets a record''s status (credit-etl procedure …)';
        END IF;
        RETURN NEW;
      END IF;
      IF (NEW.status, NEW.superseded_by, NEW.status_procedure_id)
         IS DISTINCT FROM (OLD.status, OLD.superseded_by, OLD.status_procedure_id) THEN
        RAISE EXCEPTION 'records: only a legal procedure changes a record''s status (record %)', OLD.id;
      END IF;
      IF OLD.status <> 'current' AND NEW.current_version_id IS DISTINCT FROM OLD.current_version_id THEN
        RAISE EXCEPTION 'records: record % is %, a delivery cannot give it a new current version', OLD.id, OLD.status;
      END IF;
      RETURN NEW;
    END $$;
    -- The WHEN conditions keep the function off the merge's path: a current record inserted or moved to a
    -- newer version never calls it (the merge writes records by the hundred thousand).
    CREATE TRIGGER records_procedure_state_on_insert BEFORE INSERT ON records FOR EACH ROW
      WHEN (NEW.status <> 'current' OR NEW.superseded_by IS NOT NULL OR NEW.status_procedure_id IS NOT NULL)
      EXECUTE FUNCTION records_procedure_state_guard();
    CREATE TRIGGER records_procedure_state_on_update BEFORE UPDATE ON records FOR EACH ROW
      WHEN (OLD.status <> 'current' OR (NEW.status, NEW.superseded_by, NEW.status_procedure_id)
            IS DISTINCT FROM (OLD.status, OLD.superseded_by, OLD.status_procedure_id))
      EXECUTE FUNCTION records_procedure_state_guard();
  `);
  await knex.raw(procedureFunctions(pinned));
  await grantVersionChain(knex);
  // Every role reads the new table (010's default privileges); only the procedure role appends to it.
  await grantTo(knex, 'INSERT', 'procedure_log', procedure);
  await grantTo(knex, 'USAGE', 'SEQUENCE procedure_log_id_seq', procedure);
  for (const fn of PROCEDURE_FUNCTIONS) {
    await knex.raw(`ALTER FUNCTION ${fn} OWNER TO ${procedure}`);
    await knex.raw(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
    await knex.raw(`GRANT EXECUTE ON FUNCTION ${fn} TO ${officer}`);
  }
  // The helpers run inside the procedures, as the procedure role, and for nobody else.
  for (const helper of HELPERS) {
    await knex.raw(`REVOKE ALL ON FUNCTION ${helper} FROM PUBLIC`);
    await knex.raw(`GRANT EXECUTE ON FUNCTION ${helper} TO ${procedure}`);
  }
}

const HELPERS = [
  'procedure_grounds(text, text, text)',
  'procedure_current_record(bigint)',
  'procedure_changed_fields(jsonb, jsonb)',
  'procedure_log_write(text, bigint, bigint, text, text, text, text, jsonb, jsonb)',
] as const;

/**
 * 011 (version chains) was written beside 010 (least privilege): the loader writes a file's digest, and every
 * role that appends a version (the loader, a procedure) or verifies runs the chain functions, which 010 closed
 * to PUBLIC. Exported for a test that recreates 011's functions.
 */
export async function grantVersionChain(knex: Knex): Promise<void> {
  await grantTo(knex, 'UPDATE (digest)', 'source_files', loader);
  await knex.raw(`GRANT EXECUTE ON FUNCTION version_chain_hash(text, record_versions), source_file_digest(bigint),
    procedure_explains_current(bigint, bigint) TO ${loader}, ${procedure}, ${officer}, ${reader}`);
}

/** The four procedures and their helpers. Messages are Chinese: an officer reads them. */
function procedureFunctions(pinned: string): string {
  return `
    CREATE FUNCTION procedure_grounds(p_basis text, p_reason text, p_operator text) RETURNS void
    LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF coalesce(btrim(p_basis), '') = '' THEN
        RAISE EXCEPTION '法定程序必须注明法律依据（文号）：请用 --basis 填写' USING ERRCODE = 'check_violation';
      END IF;
      IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION '法定程序必须注明理由：请用 --reason 填写' USING ERRCODE = 'check_violation';
      END IF;
      IF coalesce(btrim(p_operator), '') = '' THEN
        RAISE EXCEPTION '法定程序必须注明经办人：请用 --operator 填写' USING ERRCODE = 'check_violation';
      END IF;
    END $$;

    -- The record, locked, and only while it is current: a withdrawn or superseded record takes no procedure.
    CREATE FUNCTION procedure_current_record(p_record_id bigint) RETURNS records
    LANGUAGE plpgsql ${pinned} AS $$
    DECLARE r records;
    BEGIN
      SELECT * INTO r FROM records WHERE id = p_record_id FOR UPDATE;
      IF NOT FOUND THEN RAISE EXCEPTION '记录 % 不存在', p_record_id USING ERRCODE = 'no_data_found'; END IF;
      IF r.status <> 'current' THEN
        RAISE EXCEPTION '记录 % 已%（程序 #%），不能再办理程序', r.id,
          CASE r.status WHEN 'withdrawn' THEN '撤销' ELSE '被取代' END, r.status_procedure_id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN r;
    END $$;

    -- The fields whose values differ between two versions, with the values of the first.
    CREATE FUNCTION procedure_changed_fields(a jsonb, b jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE ${pinned} AS $$
      SELECT coalesce(jsonb_object_agg(k, a -> k), '{}'::jsonb)
      FROM (SELECT jsonb_object_keys(a) UNION SELECT jsonb_object_keys(b)) AS keys (k)
      WHERE a -> k IS DISTINCT FROM b -> k
    $$;

    CREATE FUNCTION procedure_log_write(p_kind text, p_record_id bigint, p_other_record_id bigint,
      p_catalog_code text, p_basis text, p_reason text, p_operator text, p_before jsonb, p_after jsonb)
    RETURNS bigint LANGUAGE plpgsql ${pinned} AS $$
    DECLARE log_id bigint;
    BEGIN
      INSERT INTO procedure_log (kind, record_id, other_record_id, catalog_code, basis, reason, db_user, operator,
                                 before, after, hash)
      VALUES (p_kind, p_record_id, p_other_record_id, p_catalog_code, btrim(p_basis), btrim(p_reason),
              session_user, btrim(p_operator), p_before, p_after, '')
      RETURNING id INTO log_id;
      RETURN log_id;
    END $$;

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

    CREATE FUNCTION procedure_withdraw(p_record_id bigint, p_basis text, p_reason text, p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r records; cv record_versions; log_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      r := procedure_current_record(p_record_id);
      SELECT * INTO cv FROM record_versions WHERE id = r.current_version_id;
      log_id := procedure_log_write('withdraw', r.id, NULL, r.catalog_code, p_basis, p_reason, p_operator,
        jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash),
        jsonb_build_object('status', 'withdrawn', 'subject_code', r.subject_code, 'version_id', cv.id,
          'version_no', cv.version_no, 'content_hash', cv.content_hash));
      UPDATE records SET status = 'withdrawn', status_procedure_id = log_id, updated_at = now() WHERE id = r.id;
      RETURN log_id;
    END $$;

    CREATE FUNCTION procedure_supersede(p_old_record_id bigint, p_new_record_id bigint, p_basis text,
      p_reason text, p_operator text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE old_r records; new_r records; log_id bigint;
    BEGIN
      PERFORM procedure_grounds(p_basis, p_reason, p_operator);
      IF p_old_record_id = p_new_record_id THEN
        RAISE EXCEPTION '记录 % 不能取代它自己', p_old_record_id USING ERRCODE = 'check_violation';
      END IF;
      -- Both locked, in id order: two officers superseding a pair both ways cannot deadlock.
      PERFORM 1 FROM records WHERE id IN (p_old_record_id, p_new_record_id) ORDER BY id FOR UPDATE;
      old_r := procedure_current_record(p_old_record_id);
      new_r := procedure_current_record(p_new_record_id);
      IF old_r.catalog_code <> new_r.catalog_code THEN
        RAISE EXCEPTION '记录 %（%）不能被另一目录的记录 %（%）取代', old_r.id, old_r.catalog_code, new_r.id,
          new_r.catalog_code USING ERRCODE = 'check_violation';
      END IF;
      log_id := procedure_log_write('supersede', old_r.id, new_r.id, old_r.catalog_code, p_basis, p_reason,
        p_operator,
        jsonb_build_object('status', old_r.status, 'subject_code', old_r.subject_code,
          'version_id', old_r.current_version_id),
        jsonb_build_object('status', 'superseded', 'superseded_by', new_r.id,
          'superseded_by_subject_code', new_r.subject_code, 'superseded_by_version_id', new_r.current_version_id));
      UPDATE records SET status = 'superseded', superseded_by = new_r.id, status_procedure_id = log_id,
                         updated_at = now()
      WHERE id = old_r.id;
      RETURN log_id;
    END $$;

    -- The record was filed against the wrong subject: a new record carries the corrected row (its key
    -- changes with the subject) and supersedes the old one, which keeps every version.
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

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ${PROCEDURE_FUNCTIONS.join(', ')};
    DROP FUNCTION ${HELPERS.join(', ')};
    DROP TRIGGER records_procedure_state_on_insert ON records;
    DROP TRIGGER records_procedure_state_on_update ON records;
    DROP FUNCTION records_procedure_state_guard();
    ALTER TABLE record_versions DROP CONSTRAINT record_versions_row_of_file,
      DROP CONSTRAINT record_versions_one_origin, DROP COLUMN procedure_id;
    ALTER TABLE records DROP CONSTRAINT records_status_procedure, DROP CONSTRAINT records_superseded_by,
      DROP COLUMN status_procedure_id, DROP COLUMN superseded_by, DROP COLUMN status;
    DROP TABLE procedure_log;
    DROP FUNCTION procedure_log_append_only(), procedure_log_chain();
  `);
}
