import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * What carries out an objection's result, bounded by the objection's registration, and provisional due dates
 * settled by the calendar recompute (037's objection_log_write(), re-created whole):
 *
 * - One bound for every remedy: performed (a procedure) or created (a delivered version) after the objection was
 *   registered (its open step; both times are the database's clock). 032 bounded a cited procedure by the start
 *   of the stage it decides, 037 a cited version by the registration. Art. 18 answers one objection application
 *   through its stages: the provider's 核实处理 (¶1) and a legal procedure that puts the record right answer the
 *   objection, not a stage, and a later stage exists to review an earlier result. With the stage bound, a remedy
 *   done while the check was open (or between stages) could never carry out the appeal's upheld result, and the
 *   record being right already (or ended), nothing else could either: a record ended by a provider's withdrawal
 *   while the objection was being checked, the check rejected, the appeal upheld, was refused both
 *   `--withdraw` (the record is ended) and `--procedure` (performed before the appeal).
 * - Each remedy carries out one result of an objection: a procedure or a version cited by an earlier step of this
 *   objection is refused. A procedure also carries out one result at all (cited by no other objection), except
 *   the one that ended the record (`records.status_procedure_id`, the record no longer current): every objection
 *   on the record may cite it, whether or not another did (037 let a second objection cite it only once another
 *   had, and then only from the check's start).
 * - A provisional due date (counted Monday–Friday through a year without calendar data, `due_provisional`) is
 *   settled by a `note` step whose detail is `{"due": "settled", "dueOn": …, "recomputeId": …}`: the objection
 *   row is never changed, the settled date is in the chain. Only inside `credit-etl calendar recompute`: the
 *   step names the `calendar_recomputes` row written by this transaction (034's `txid`), which the engine's
 *   login (the recompute runs as the loader) may write; the objection must be provisional and not yet settled,
 *   and the date after its receipt. The trigger adds the provisional date it replaces (`provisionalDueOn`).
 *   `calendar_recomputes` counts what it settled (`objection_dues_*`).
 */
const { officer } = WAREHOUSE_ROLES;

const PAYLOAD = (e: string) => `concat_ws(chr(31), ${e}.id::text, ${e}.objection_id::text,
      to_char(${e}.performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), ${e}.action, ${e}.stage,
      coalesce(${e}.result, ''), coalesce(${e}.procedure_id::text, ''), coalesce(${e}.basis, ''),
      coalesce(${e}.note, ''), ${e}.detail::text, ${e}.db_user, ${e}.operator, coalesce(${e}.prev_hash, ''),
      ${e}.version_id::text)`;

const STAGE_TITLE = (stage: string) =>
  `CASE ${stage} WHEN 'open' THEN '核查' WHEN 'appeal' THEN '申诉' WHEN 'review' THEN '行政复议' ELSE '行政诉讼' END`;
const RESULT_TITLE = (result: string) =>
  `CASE ${result} WHEN 'upheld' THEN '异议成立' WHEN 'partly' THEN '部分成立' WHEN 'rejected' THEN '异议不成立' ELSE '未办结' END`;
const AT = (moment: string) => `to_char(${moment} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')`;

/** 032's: by privilege; the owner is whoever ran the migrations. */
const ENGINE_ONLY = `NOT (pg_has_role(current_user, '${officer}', 'USAGE')
        OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'objections'::regclass), 'USAGE'))`;

/** What the engine may write: a provider's objection opened, a provisional due date settled (checked below). */
const ENGINE_MAY = `(NEW.action = 'open' AND o.channel = 'provider')
        OR (NEW.action = 'note' AND NEW.detail->'due' IS NOT NULL)`;

/** 037's rules for a cited procedure, kept for `down`. */
const procedureCheck037 = `IF NEW.procedure_id IS NOT NULL THEN
        SELECT * INTO p FROM procedure_log WHERE id = NEW.procedure_id;
        IF NOT FOUND OR p.record_id <> o.record_id THEN
          RAISE EXCEPTION '程序 #% 不是对异议 % 的记录 % 办理的', NEW.procedure_id, o.id, o.record_id
            USING ERRCODE = 'check_violation';
        END IF;
        IF p.kind NOT IN ('correct', 'withdraw', 'supersede', 'reattribute') THEN
          RAISE EXCEPTION '程序 #% 是%，不改变记录的内容或状态：异议（部分）成立须由更正、撤销、取代或更正归属的程序办理',
            p.id, CASE p.kind WHEN 'repair' THEN '信用修复' ELSE p.kind END USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO r FROM records WHERE id = o.record_id;
        SELECT * INTO cited FROM objection_log WHERE procedure_id = p.id ORDER BY id LIMIT 1;
        IF FOUND AND r.status <> 'current' AND r.status_procedure_id = p.id
           AND NOT EXISTS (SELECT 1 FROM objection_log c WHERE c.procedure_id = p.id AND c.objection_id = o.id) THEN
          -- The procedure that ended the record, cited by another objection: no other can carry this result out.
          IF p.performed_at <= opened.performed_at THEN
            RAISE EXCEPTION '程序 #% 办理于 %，早于异议 % 的登记（%）：它不是该异议结果的办理', p.id,
              ${AT('p.performed_at')}, o.id, ${AT('opened.performed_at')} USING ERRCODE = 'check_violation';
          END IF;
        ELSE
          IF last.performed_at IS NOT NULL AND p.performed_at <= last.performed_at THEN
            RAISE EXCEPTION '程序 #% 办理于 %，早于异议 % 的%阶段开始（%）：它不是该阶段结果的办理', p.id,
              ${AT('p.performed_at')}, o.id, ${STAGE_TITLE('NEW.stage')}, ${AT('last.performed_at')}
              USING ERRCODE = 'check_violation';
          END IF;
          IF cited.id IS NOT NULL THEN
            RAISE EXCEPTION '程序 #% 已办理异议 % 的%结果：一个程序只办理一个结果', p.id, cited.objection_id,
              ${STAGE_TITLE('cited.stage')} USING ERRCODE = 'check_violation';
          END IF;
        END IF;
      END IF;`;

/** 038: after the registration; once per objection; once at all unless it ended the record. */
const procedureCheck = `IF NEW.procedure_id IS NOT NULL THEN
        SELECT * INTO p FROM procedure_log WHERE id = NEW.procedure_id;
        IF NOT FOUND OR p.record_id <> o.record_id THEN
          RAISE EXCEPTION '程序 #% 不是对异议 % 的记录 % 办理的', NEW.procedure_id, o.id, o.record_id
            USING ERRCODE = 'check_violation';
        END IF;
        IF p.kind NOT IN ('correct', 'withdraw', 'supersede', 'reattribute') THEN
          RAISE EXCEPTION '程序 #% 是%，不改变记录的内容或状态：异议（部分）成立须由更正、撤销、取代或更正归属的程序办理',
            p.id, CASE p.kind WHEN 'repair' THEN '信用修复' ELSE p.kind END USING ERRCODE = 'check_violation';
        END IF;
        IF p.performed_at <= opened.performed_at THEN
          RAISE EXCEPTION '程序 #% 办理于 %，早于异议 % 的登记（%）：它不是该异议结果的办理', p.id,
            ${AT('p.performed_at')}, o.id, ${AT('opened.performed_at')} USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO cited FROM objection_log WHERE objection_id = o.id AND procedure_id = p.id ORDER BY id LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION '程序 #% 已办理异议 % 的%结果：一个程序只办理该异议的一个结果', p.id, o.id,
            ${STAGE_TITLE('cited.stage')} USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO r FROM records WHERE id = o.record_id;
        IF r.status = 'current' OR r.status_procedure_id IS DISTINCT FROM p.id THEN
          SELECT * INTO cited FROM objection_log WHERE procedure_id = p.id ORDER BY id LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION '程序 #% 已办理异议 % 的%结果：一个程序只办理一个结果', p.id, cited.objection_id,
              ${STAGE_TITLE('cited.stage')} USING ERRCODE = 'check_violation';
          END IF;
        END IF;
      END IF;`;

/** 037's, unchanged: after the registration, written by a delivery, once per objection. */
const versionCheck = `IF NEW.version_id IS NOT NULL THEN
        SELECT * INTO v FROM record_versions WHERE id = NEW.version_id;
        IF NOT FOUND OR v.record_id <> o.record_id THEN
          RAISE EXCEPTION '版本 #% 不是异议 % 的记录 % 的版本', NEW.version_id, o.id, o.record_id
            USING ERRCODE = 'check_violation';
        END IF;
        IF v.source_file_id IS NULL THEN
          RAISE EXCEPTION '记录 % 的版本 v% 是法定程序 #% 写入的，不是数据提供单位报送的：请用 --procedure % 引用该程序',
            o.record_id, v.version_no, v.procedure_id, v.procedure_id USING ERRCODE = 'check_violation';
        END IF;
        IF v.created_at <= opened.performed_at THEN
          RAISE EXCEPTION '记录 % 的版本 v% 报送于 %，早于异议 % 的登记（%）：它不是对该异议的更正', o.record_id,
            v.version_no, ${AT('v.created_at')}, o.id, ${AT('opened.performed_at')} USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO cited FROM objection_log WHERE objection_id = o.id AND version_id = v.id ORDER BY id LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION '记录 % 的版本 v% 已办理异议 % 的%结果：一个版本只办理该异议的一个结果', o.record_id,
            v.version_no, o.id, ${STAGE_TITLE('cited.stage')} USING ERRCODE = 'check_violation';
        END IF;
      END IF;`;

/** A note settling a provisional due date: only from the calendar recompute running in this transaction. */
const dueSettlement = `IF NEW.detail->'due' IS NOT NULL THEN
            IF NEW.detail->>'due' IS DISTINCT FROM 'settled' THEN
              RAISE EXCEPTION '异议 % 的备注 due 只能是 settled（核查期限由 calendar recompute 重算）', o.id
                USING ERRCODE = 'check_violation';
            END IF;
            IF coalesce(NEW.detail->>'recomputeId', '') !~ '^[0-9]{1,18}$' OR NOT EXISTS (
                 SELECT 1 FROM calendar_recomputes c
                 WHERE c.id = (NEW.detail->>'recomputeId')::bigint AND c.txid = txid_current()) THEN
              RAISE EXCEPTION '异议 % 的核查期限只能由 credit-etl calendar recompute 重算：本事务没有写入 calendar_recomputes 记录 %',
                o.id, coalesce(NEW.detail->>'recomputeId', '（未给出）') USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT o.due_provisional THEN
              RAISE EXCEPTION '异议 % 的核查期限 % 不是暂定的：无需重算', o.id, o.due_on USING ERRCODE = 'check_violation';
            END IF;
            SELECT * INTO settled FROM objection_log
              WHERE objection_id = o.id AND action = 'note' AND detail->'due' IS NOT NULL ORDER BY id LIMIT 1;
            IF FOUND THEN
              RAISE EXCEPTION '异议 % 的暂定核查期限已于 % 重算为 %：只重算一次', o.id, ${AT('settled.performed_at')},
                settled.detail->>'dueOn' USING ERRCODE = 'check_violation';
            END IF;
            IF coalesce(NEW.detail->>'dueOn', '') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
               OR (NEW.detail->>'dueOn')::date <= o.received_on THEN
              RAISE EXCEPTION '异议 % 的核查期限 % 须是受理日期 % 之后的日期', o.id, NEW.detail->>'dueOn', o.received_on
                USING ERRCODE = 'check_violation';
            END IF;
            NEW.detail := NEW.detail || jsonb_build_object('provisionalDueOn', to_char(o.due_on, 'YYYY-MM-DD'));
          END IF;`;

const objectionLogWrite = (pinned: string, rules: '037' | '038') => `
    CREATE OR REPLACE FUNCTION objection_log_write() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE o objections; last objection_log; opened objection_log; done_stages text[]; checked text;
            p procedure_log; r records; v record_versions; cited objection_log; settled objection_log;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('credit-etl:objection-log'));
      SELECT * INTO o FROM objections WHERE id = NEW.objection_id;
      IF NOT FOUND THEN RAISE EXCEPTION '异议 % 不存在', NEW.objection_id USING ERRCODE = 'no_data_found'; END IF;
      SELECT * INTO last FROM objection_log
        WHERE objection_id = o.id AND action <> 'note' ORDER BY id DESC LIMIT 1;
      SELECT * INTO opened FROM objection_log WHERE objection_id = o.id AND action = 'open';
      SELECT coalesce(array_agg(stage), '{}') INTO done_stages FROM objection_log
        WHERE objection_id = o.id AND action IN ('close', 'outcome');
      IF ${ENGINE_ONLY} AND NOT (${rules === '038' ? ENGINE_MAY : `NEW.action = 'open' AND o.channel = 'provider'`}) THEN
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
          ${rules === '038' ? dueSettlement : ''}
        WHEN 'close' THEN
          IF last.action IS DISTINCT FROM 'open' THEN
            IF last.id IS NULL THEN
              RAISE EXCEPTION '异议 % 尚未登记', o.id USING ERRCODE = 'check_violation';
            END IF;
            SELECT result INTO checked FROM objection_log WHERE objection_id = o.id AND action = 'close';
            RAISE EXCEPTION '异议 % 的核查已办结（%），不能再次办结%', o.id, ${RESULT_TITLE('checked')},
              CASE last.action
                WHEN 'appeal' THEN '：现在' || ${STAGE_TITLE('last.stage')} || '阶段处理中，该阶段的结果用 objection outcome 登记'
                WHEN 'outcome' THEN '；其后的' || ${STAGE_TITLE('last.stage')} || '阶段也已办结（' || ${RESULT_TITLE('last.result')} || '）'
                ELSE '' END
              USING ERRCODE = 'check_violation';
          END IF;
          NEW.stage := 'open';
        WHEN 'appeal' THEN
          IF last.action IS NULL OR last.action NOT IN ('close', 'outcome') THEN
            RAISE EXCEPTION '异议 % 仍在%阶段处理中：该阶段办结后才能进入下一阶段', o.id,
              ${STAGE_TITLE("coalesce(last.stage, 'open')")}
              USING ERRCODE = 'check_violation';
          END IF;
          IF NEW.stage = 'open' OR NEW.stage = ANY (done_stages) THEN
            RAISE EXCEPTION '异议 % 已经过%阶段：每个阶段只有一次', o.id, ${STAGE_TITLE('NEW.stage')}
              USING ERRCODE = 'check_violation';
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
            RAISE EXCEPTION '异议 % 没有处理中的%阶段%', o.id, ${STAGE_TITLE('NEW.stage')},
              CASE
                WHEN last.action = 'open' THEN '：现在核查阶段处理中，其结果用 objection close 登记'
                WHEN last.action = 'appeal' THEN '：现在' || ${STAGE_TITLE('last.stage')} || '阶段处理中'
                ELSE '：该阶段须先用 objection appeal 登记' END
              USING ERRCODE = 'check_violation';
          END IF;
      END CASE;
      IF NEW.procedure_id IS NOT NULL AND NEW.version_id IS NOT NULL THEN
        RAISE EXCEPTION '异议 % 的一个结果由一个程序或一个报送版本办理，不能两者都给', o.id
          USING ERRCODE = 'check_violation';
      END IF;
      ${rules === '038' ? procedureCheck : procedureCheck037}
      ${versionCheck}
      NEW.id := nextval('objection_log_id_seq');
      NEW.performed_at := clock_timestamp();
      NEW.db_user := session_user;
      NEW.prev_hash := (SELECT hash FROM objection_log ORDER BY id DESC LIMIT 1);
      NEW.hash := encode(sha256(convert_to(${PAYLOAD('NEW')}, 'UTF8')), 'hex');
      RETURN NEW;
    END $$;`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '038-objection-remedies-since-registration');
  await knex.raw(`
    ALTER TABLE calendar_recomputes
      ADD COLUMN objection_dues_decided integer NOT NULL DEFAULT 0,
      ADD COLUMN objection_dues_moved integer NOT NULL DEFAULT 0,
      ADD COLUMN objection_dues_still_provisional integer NOT NULL DEFAULT 0;
    COMMENT ON COLUMN calendar_recomputes.objection_dues_decided IS 'provisional objection due dates settled (objection_log note steps, detail due = settled)';
    COMMENT ON COLUMN calendar_recomputes.objection_dues_moved IS 'of those, the ones whose date changed';
    COMMENT ON COLUMN calendar_recomputes.objection_dues_still_provisional IS 'provisional objection due dates whose year is still missing';
  `);
  await knex.raw(objectionLogWrite(pinned, '038'));
}

/** 037's function; refused once a due date was settled (going back would make it provisional again). */
export async function down(knex: Knex): Promise<void> {
  const settled = await knex.raw<{ rows: { n: number }[] }>(
    `SELECT count(*)::int AS n FROM objection_log WHERE action = 'note' AND detail->'due' IS NOT NULL`,
  );
  const n = settled.rows[0]?.n ?? 0;
  if (n > 0)
    throw new Error(
      `038-objection-remedies-since-registration: ${n} objection due date(s) were settled by calendar recompute; going back would show them provisional again`,
    );
  const pinned = await pinnedSearchPath(knex, '038-objection-remedies-since-registration');
  await knex.raw(objectionLogWrite(pinned, '037'));
  await knex.raw(`
    ALTER TABLE calendar_recomputes DROP COLUMN objection_dues_decided, DROP COLUMN objection_dues_moved,
      DROP COLUMN objection_dues_still_provisional;
  `);
}
