import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * Who decides an objection, and which procedure may carry its result out (013's triggers, re-created).
 *
 * - By privilege, not by name. 013 refused the engine by `current_user = 'credit_etl_loader'`, but a login role
 *   that is a member of the loader (`GRANT credit_etl_loader TO nightly`, as docs/warehouse.md sets the engine
 *   up) keeps its own name as current_user until it takes the role, so it could close an objection or register
 *   a platform one. Now only a role that holds the officer's privileges right now (pg_has_role … 'USAGE': the
 *   CLI's SET LOCAL ROLE credit_etl_officer, a login that inherits it) or the tables' owner (the migrating user;
 *   a superuser passes both) may do more than open a provider-reported objection. USAGE rather than MEMBER: a
 *   membership whose privileges are not in effect (NOINHERIT) gives no INSERT either, and the CLI takes the
 *   role explicitly anyway; what is checked is the authority the session is acting with.
 * - The procedure behind an upheld or partly upheld result must be one that changes the record's content or
 *   standing (correct, withdraw, supersede, reattribute: a credit repair only ends the disclosure of a record
 *   that was right), performed after the stage it decides was opened (the objection's open step for the
 *   platform's check, the appeal step for a later stage), and cited by no other step. The stage's step, not
 *   `received_on`: both times come from clock_timestamp() under the triggers' locks, while `received_on` is a
 *   day the officer types (a late registration is backdated on purpose), so comparing with it would admit a
 *   procedure run for something else days before the objection reached the platform. A procedure the officer
 *   runs on a paper objection before registering it is out of order too: Art. 18 marks the record at receipt,
 *   so registering comes first (`objection close --withdraw …` runs the procedure with the decision).
 * - Closing an objection past its check names the check's result and the stage it is in (013 printed the
 *   last step's result, `<NULL>` during an appeal).
 */
const { loader, officer } = WAREHOUSE_ROLES;

/** 013's payload, unchanged (the chain's text; src/warehouse/objection-log-chain.ts builds the same). */
const PAYLOAD = (e: string) => `concat_ws(chr(31), ${e}.id::text, ${e}.objection_id::text,
      to_char(${e}.performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), ${e}.action, ${e}.stage,
      coalesce(${e}.result, ''), coalesce(${e}.procedure_id::text, ''), coalesce(${e}.basis, ''),
      coalesce(${e}.note, ''), ${e}.detail::text, ${e}.db_user, ${e}.operator, coalesce(${e}.prev_hash, ''))`;

const STAGE_TITLE = (stage: string) =>
  `CASE ${stage} WHEN 'open' THEN '核查' WHEN 'appeal' THEN '申诉' WHEN 'review' THEN '行政复议' ELSE '行政诉讼' END`;
const RESULT_TITLE = (result: string) =>
  `CASE ${result} WHEN 'upheld' THEN '异议成立' WHEN 'partly' THEN '部分成立' WHEN 'rejected' THEN '异议不成立' ELSE '未办结' END`;

interface Guards {
  /** True when the session may only open a provider-reported objection. */
  engineOnly: string;
  /** Whether 032's procedure checks and messages apply (false: 013 exactly, for `down`). */
  strict: boolean;
}

/** 032: by privilege. The owner is looked up, not named: it is whoever ran the migrations. */
const BY_PRIVILEGE: Guards = {
  engineOnly: `NOT (pg_has_role(current_user, '${officer}', 'USAGE')
        OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'objections'::regclass), 'USAGE'))`,
  strict: true,
};

const BY_NAME: Guards = { engineOnly: `current_user = '${loader}'`, strict: false };

const objectionsWrite = ({ engineOnly }: Guards, pinned: string) => `
    CREATE OR REPLACE FUNCTION objections_write() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'objections is append-only: an objection as received is never changed or removed; its steps go to objection_log';
      END IF;
      IF ${engineOnly} AND NEW.channel <> 'provider' THEN
        RAISE EXCEPTION 'the engine may only open an objection a provider reported (channel provider): an officer registers the others'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM records WHERE id = NEW.record_id AND status = 'current') THEN
        RAISE EXCEPTION '记录 % 不存在或已不是现行记录（已撤销或被取代）：不能对其提出异议', NEW.record_id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;`;

const closeRefusal = ({ strict }: Guards) =>
  strict
    ? `IF last.id IS NULL THEN
            RAISE EXCEPTION '异议 % 尚未登记', o.id USING ERRCODE = 'check_violation';
          END IF;
          SELECT result INTO checked FROM objection_log WHERE objection_id = o.id AND action = 'close';
          RAISE EXCEPTION '异议 % 的核查已办结（%），不能再次办结%', o.id, ${RESULT_TITLE('checked')},
            CASE last.action
              WHEN 'appeal' THEN '：现在' || ${STAGE_TITLE('last.stage')} || '阶段处理中，该阶段的结果用 objection outcome 登记'
              WHEN 'outcome' THEN '；其后的' || ${STAGE_TITLE('last.stage')} || '阶段也已办结（' || ${RESULT_TITLE('last.result')} || '）'
              ELSE '' END
            USING ERRCODE = 'check_violation';`
    : `RAISE EXCEPTION '异议 % 的核查已办结（%），不能再次办结', o.id, last.result USING ERRCODE = 'check_violation';`;

const procedureCheck = ({ strict }: Guards) =>
  strict
    ? `IF NEW.procedure_id IS NOT NULL THEN
        SELECT * INTO p FROM procedure_log WHERE id = NEW.procedure_id;
        IF NOT FOUND OR p.record_id <> o.record_id THEN
          RAISE EXCEPTION '程序 #% 不是对异议 % 的记录 % 办理的', NEW.procedure_id, o.id, o.record_id
            USING ERRCODE = 'check_violation';
        END IF;
        IF p.kind NOT IN ('correct', 'withdraw', 'supersede', 'reattribute') THEN
          RAISE EXCEPTION '程序 #% 是%，不改变记录的内容或状态：异议（部分）成立须由更正、撤销、取代或更正归属的程序办理',
            p.id, CASE p.kind WHEN 'repair' THEN '信用修复' ELSE p.kind END USING ERRCODE = 'check_violation';
        END IF;
        IF last.performed_at IS NOT NULL AND p.performed_at <= last.performed_at THEN
          RAISE EXCEPTION '程序 #% 办理于 %，早于异议 % 的%阶段开始（%）：它不是该阶段结果的办理', p.id,
            to_char(p.performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), o.id,
            ${STAGE_TITLE('NEW.stage')}, to_char(last.performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')
            USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO cited FROM objection_log WHERE procedure_id = p.id ORDER BY id LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION '程序 #% 已办理异议 % 的%结果：一个程序只办理一个结果', p.id, cited.objection_id,
            ${STAGE_TITLE('cited.stage')} USING ERRCODE = 'check_violation';
        END IF;
      END IF;`
    : `IF NEW.procedure_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM procedure_log p WHERE p.id = NEW.procedure_id AND p.record_id = o.record_id) THEN
        RAISE EXCEPTION '程序 #% 不是对异议 % 的记录 % 办理的', NEW.procedure_id, o.id, o.record_id
          USING ERRCODE = 'check_violation';
      END IF;`;

const objectionLogWrite = (guards: Guards, pinned: string) => `
    CREATE OR REPLACE FUNCTION objection_log_write() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE o objections; last objection_log; done_stages text[];${guards.strict ? ' checked text; p procedure_log; cited objection_log;' : ''}
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('credit-etl:objection-log'));
      SELECT * INTO o FROM objections WHERE id = NEW.objection_id;
      IF NOT FOUND THEN RAISE EXCEPTION '异议 % 不存在', NEW.objection_id USING ERRCODE = 'no_data_found'; END IF;
      SELECT * INTO last FROM objection_log
        WHERE objection_id = o.id AND action <> 'note' ORDER BY id DESC LIMIT 1;
      SELECT coalesce(array_agg(stage), '{}') INTO done_stages FROM objection_log
        WHERE objection_id = o.id AND action IN ('close', 'outcome');
      IF ${guards.engineOnly} AND (NEW.action <> 'open' OR o.channel <> 'provider') THEN
        RAISE EXCEPTION 'the engine may only open an objection a provider reported: an officer decides it'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      CASE NEW.action
        WHEN 'open' THEN
          IF last.id IS NOT NULL THEN
            RAISE EXCEPTION '异议 % 已登记', o.id USING ERRCODE = 'check_violation';
          END IF;
          NEW.stage := 'open';
          -- The objection as received joins what the caller logged (a provider's file and row), so the chain covers it.
          NEW.detail := coalesce(NEW.detail, '{}') || (to_jsonb(o) - 'created_at');
        WHEN 'note' THEN
          IF last.id IS NULL THEN
            RAISE EXCEPTION '异议 % 尚未登记', o.id USING ERRCODE = 'check_violation';
          END IF;
          NEW.stage := last.stage;
        WHEN 'close' THEN
          IF last.action IS DISTINCT FROM 'open' THEN
          ${closeRefusal(guards)}
          END IF;
          NEW.stage := 'open';
        WHEN 'appeal' THEN
          IF last.action IS NULL OR last.action NOT IN ('close', 'outcome') THEN
            RAISE EXCEPTION '异议 % 仍在%阶段处理中：该阶段办结后才能进入下一阶段', o.id,
              ${STAGE_TITLE("coalesce(last.stage, 'open')")}
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
      ${procedureCheck(guards)}
      NEW.id := nextval('objection_log_id_seq');
      NEW.performed_at := clock_timestamp();
      NEW.db_user := session_user;
      NEW.prev_hash := (SELECT hash FROM objection_log ORDER BY id DESC LIMIT 1);
      NEW.hash := encode(sha256(convert_to(${PAYLOAD('NEW')}, 'UTF8')), 'hex');
      RETURN NEW;
    END $$;`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '032-objection-guards');
  await knex.raw(objectionsWrite(BY_PRIVILEGE, pinned));
  await knex.raw(objectionLogWrite(BY_PRIVILEGE, pinned));
}

/** 013's functions, as they were. */
export async function down(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '032-objection-guards');
  await knex.raw(objectionsWrite(BY_NAME, pinned));
  await knex.raw(objectionLogWrite(BY_NAME, pinned));
}
