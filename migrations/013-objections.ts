import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Objections (异议, Art. 18 of the Measures). A subject disputes a record; the platform marks it at once
 * (异议处理中) and must check it and answer within 3 working days of receipt; the subject may then appeal to the
 * development and reform department (申诉), and after that seek administrative review (行政复议) or sue
 * (行政诉讼). The record stays marked while any of these stages is open.
 *
 * - `objections`: one row per objection as received (record, channel, applicant, reason, received and due
 *   dates). Never changed: what happens to it afterwards is in its log.
 * - `objection_log`: every step — open, close (the platform's result), appeal (a later stage opens), outcome
 *   (that stage's result), note — with who (database session user and operator), when, the basis and a note,
 *   and for an upheld or partly upheld result the legal procedure (procedure_log, 012) that carried it out.
 *   Append-only and hash-chained like procedure_log, so `verify` finds a step changed or removed; the one
 *   trigger that writes the chain also refuses a step out of order (closing a closed objection, a lawsuit
 *   before an appeal), so the order of stages holds whoever inserts.
 *
 * Who writes: the officer (like a legal procedure: a person decides) opens, closes and appeals. The engine
 * (the loader) may only open an objection a provider reported (a row whose 当前状态 says 异议, channel
 * `provider`): it can mark, never decide.
 */
const { loader, officer } = WAREHOUSE_ROLES;

/** The text a step's hash is computed over; src/warehouse/objection-log-chain.ts builds the same. */
const PAYLOAD = (e: string) => `concat_ws(chr(31), ${e}.id::text, ${e}.objection_id::text,
      to_char(${e}.performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), ${e}.action, ${e}.stage,
      coalesce(${e}.result, ''), coalesce(${e}.procedure_id::text, ''), coalesce(${e}.basis, ''),
      coalesce(${e}.note, ''), ${e}.detail::text, ${e}.db_user, ${e}.operator, coalesce(${e}.prev_hash, ''))`;

export async function up(knex: Knex): Promise<void> {
  const schema = (await knex.raw<{ rows: { schema: string }[] }>('SELECT current_schema() AS schema')).rows[0]
    ?.schema;
  if (!schema) throw new Error('013-objections: no current schema');
  const pinned = `SET search_path = ${schema}, pg_temp`;
  await knex.raw(`
    CREATE TABLE objections (
      id bigserial PRIMARY KEY,
      record_id bigint NOT NULL REFERENCES records (id),
      catalog_code text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('platform', 'provider')),
      provider_code text,
      applicant text NOT NULL CHECK (btrim(applicant) <> ''),
      reason text NOT NULL CHECK (btrim(reason) <> ''),
      received_on date NOT NULL,
      due_on date NOT NULL CHECK (due_on >= received_on),
      due_provisional boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE objections IS 'objections (异议, Art. 18) as received: never changed, their steps are in objection_log';
    COMMENT ON COLUMN objections.channel IS 'platform: filed with the platform; provider: filed with the providing department, which reported it';
    COMMENT ON COLUMN objections.provider_code IS 'the provider that delivered the record''s current version: the one asked to verify (核实)';
    COMMENT ON COLUMN objections.due_on IS 'the 3rd working day after receipt (Art. 18 "收到异议申请之日起3个工作日内"; the day of receipt does not count)';
    COMMENT ON COLUMN objections.due_provisional IS 'the due date crosses a year without calendar data: counted Monday–Friday there';
    CREATE INDEX objections_record ON objections (record_id);
    CREATE INDEX objections_provider ON objections (provider_code);

    CREATE SEQUENCE objection_log_id_seq;
    CREATE TABLE objection_log (
      id bigint PRIMARY KEY, -- drawn by objection_log_write() under its lock
      objection_id bigint NOT NULL REFERENCES objections (id),
      performed_at timestamptz NOT NULL,
      action text NOT NULL CHECK (action IN ('open', 'close', 'appeal', 'outcome', 'note')),
      stage text NOT NULL CHECK (stage IN ('open', 'appeal', 'review', 'lawsuit')),
      result text CHECK (result IN ('upheld', 'rejected', 'partly')),
      procedure_id bigint REFERENCES procedure_log (id),
      basis text,
      note text,
      detail jsonb NOT NULL DEFAULT '{}',
      db_user text NOT NULL,
      operator text NOT NULL CHECK (btrim(operator) <> ''),
      prev_hash text,
      hash text NOT NULL,
      CONSTRAINT objection_log_result CHECK ((action IN ('close', 'outcome')) = (result IS NOT NULL)),
      CONSTRAINT objection_log_procedure CHECK (coalesce(result IN ('upheld', 'partly'), false) = (procedure_id IS NOT NULL)),
      CONSTRAINT objection_log_basis CHECK (action IN ('open', 'note') OR coalesce(btrim(basis), '') <> '')
    );
    ALTER SEQUENCE objection_log_id_seq OWNED BY objection_log.id;
    COMMENT ON TABLE objection_log IS 'every step of every objection (Art. 18): append-only, each step hash-chained to the one before';
    COMMENT ON COLUMN objection_log.stage IS 'open: the platform''s check (核查); appeal: 申诉; review: 行政复议; lawsuit: 行政诉讼';
    COMMENT ON COLUMN objection_log.procedure_id IS 'upheld or partly: the legal procedure (correct, withdraw, supersede, reattribute) that carried the result out';
    COMMENT ON COLUMN objection_log.detail IS 'open: the objection as received (its objections row), so the chain covers it too';
    CREATE INDEX objection_log_objection ON objection_log (objection_id, id);

    CREATE FUNCTION objections_write() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'objections is append-only: an objection as received is never changed or removed; its steps go to objection_log';
      END IF;
      IF current_user = '${loader}' AND NEW.channel <> 'provider' THEN
        RAISE EXCEPTION 'the engine may only open an objection a provider reported (channel provider): an officer registers the others'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM records WHERE id = NEW.record_id AND status = 'current') THEN
        RAISE EXCEPTION '记录 % 不存在或已不是现行记录（已撤销或被取代）：不能对其提出异议', NEW.record_id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER objections_write BEFORE INSERT OR UPDATE OR DELETE ON objections
      FOR EACH ROW EXECUTE FUNCTION objections_write();
    CREATE TRIGGER objections_no_truncate BEFORE TRUNCATE ON objections
      FOR EACH STATEMENT EXECUTE FUNCTION objections_write();

    -- One writer at a time (the lock): the step is checked against the objection's last step, then given its
    -- id, time and place in the chain.
    CREATE FUNCTION objection_log_write() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE o objections; last objection_log; done_stages text[];
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('credit-etl:objection-log'));
      SELECT * INTO o FROM objections WHERE id = NEW.objection_id;
      IF NOT FOUND THEN RAISE EXCEPTION '异议 % 不存在', NEW.objection_id USING ERRCODE = 'no_data_found'; END IF;
      SELECT * INTO last FROM objection_log
        WHERE objection_id = o.id AND action <> 'note' ORDER BY id DESC LIMIT 1;
      SELECT coalesce(array_agg(stage), '{}') INTO done_stages FROM objection_log
        WHERE objection_id = o.id AND action IN ('close', 'outcome');
      IF current_user = '${loader}' AND (NEW.action <> 'open' OR o.channel <> 'provider') THEN
        RAISE EXCEPTION 'the engine may only open an objection a provider reported: an officer decides it'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      CASE NEW.action
        WHEN 'open' THEN
          IF last.id IS NOT NULL THEN
            RAISE EXCEPTION '异议 % 已登记', o.id USING ERRCODE = 'check_violation';
          END IF;
          NEW.stage := 'open';
          NEW.detail := to_jsonb(o) - 'created_at';
        WHEN 'note' THEN
          IF last.id IS NULL THEN
            RAISE EXCEPTION '异议 % 尚未登记', o.id USING ERRCODE = 'check_violation';
          END IF;
          NEW.stage := last.stage;
        WHEN 'close' THEN
          IF last.action IS DISTINCT FROM 'open' THEN
            RAISE EXCEPTION '异议 % 的核查已办结（%），不能再次办结', o.id, last.result USING ERRCODE = 'check_violation';
          END IF;
          NEW.stage := 'open';
        WHEN 'appeal' THEN
          IF last.action IS NULL OR last.action NOT IN ('close', 'outcome') THEN
            RAISE EXCEPTION '异议 % 仍在%阶段处理中：该阶段办结后才能进入下一阶段', o.id,
              CASE coalesce(last.stage, 'open') WHEN 'open' THEN '核查' WHEN 'appeal' THEN '申诉' WHEN 'review' THEN '行政复议' ELSE '行政诉讼' END
              USING ERRCODE = 'check_violation';
          END IF;
          IF NEW.stage = 'open' OR NEW.stage = ANY (done_stages) THEN
            RAISE EXCEPTION '异议 % 已经过%阶段', o.id, NEW.stage USING ERRCODE = 'check_violation';
          END IF;
          -- Art. 18: an appeal follows the platform's result; review or a lawsuit follows the appeal's result,
          -- and a lawsuit may follow a review; nothing follows a lawsuit here (its appeals are the court's).
          IF NEW.stage IN ('review', 'lawsuit') AND NOT 'appeal' = ANY (done_stages) THEN
            RAISE EXCEPTION '异议 %：对申诉结果有异议的才能申请行政复议或提起诉讼（先登记申诉及其结果）', o.id
              USING ERRCODE = 'check_violation';
          END IF;
          IF NEW.stage = 'review' AND 'lawsuit' = ANY (done_stages) THEN
            RAISE EXCEPTION '异议 % 已经过行政诉讼，不能再申请行政复议', o.id USING ERRCODE = 'check_violation';
          END IF;
        WHEN 'outcome' THEN
          IF last.action IS DISTINCT FROM 'appeal' OR last.stage <> NEW.stage THEN
            RAISE EXCEPTION '异议 % 没有处理中的 % 阶段', o.id, NEW.stage USING ERRCODE = 'check_violation';
          END IF;
      END CASE;
      IF NEW.procedure_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM procedure_log p WHERE p.id = NEW.procedure_id AND p.record_id = o.record_id) THEN
        RAISE EXCEPTION '程序 #% 不是对异议 % 的记录 % 办理的', NEW.procedure_id, o.id, o.record_id
          USING ERRCODE = 'check_violation';
      END IF;
      NEW.id := nextval('objection_log_id_seq');
      NEW.performed_at := clock_timestamp();
      NEW.db_user := session_user;
      NEW.prev_hash := (SELECT hash FROM objection_log ORDER BY id DESC LIMIT 1);
      NEW.hash := encode(sha256(convert_to(${PAYLOAD('NEW')}, 'UTF8')), 'hex');
      RETURN NEW;
    END $$;
    CREATE TRIGGER objection_log_write BEFORE INSERT ON objection_log
      FOR EACH ROW EXECUTE FUNCTION objection_log_write();
    CREATE FUNCTION objection_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'objection_log is append-only: a step of an objection is never changed or removed';
    END $$;
    CREATE TRIGGER objection_log_append_only BEFORE UPDATE OR DELETE ON objection_log
      FOR EACH ROW EXECUTE FUNCTION objection_log_append_only();
    CREATE TRIGGER objection_log_no_truncate BEFORE TRUNCATE ON objection_log
      FOR EACH STATEMENT EXECUTE FUNCTION objection_log_append_only();
  `);
  // Every role reads the new tables (010's default privileges). The officer writes objections; the engine only
  // opens a provider's (the triggers above check which).
  for (const role of [officer, loader]) {
    await grantTo(knex, 'INSERT', 'objections', role);
    await grantTo(knex, 'USAGE', 'SEQUENCE objections_id_seq', role);
    await grantTo(knex, 'INSERT', 'objection_log', role);
    await grantTo(knex, 'USAGE', 'SEQUENCE objection_log_id_seq', role);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE objection_log, objections;
    DROP FUNCTION objection_log_write(), objection_log_append_only(), objections_write();
  `);
}
