import type { Knex } from 'knex';
import { up as objectionGuards } from './032-objection-guards.ts';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * What may carry out an upheld or partly upheld objection result (032's objection_log_write(), re-created), and
 * the officer's messages in Chinese:
 *
 * - A record a procedure already ended (withdrawn, superseded, reattributed) for one objection takes no further
 *   procedure, and 032 let a procedure carry out one result only: a second objection on the same record could
 *   then never be upheld, stayed open and was raised as overdue every day. Now its result may cite the procedure
 *   that ended the record although another objection cited it — only that procedure (`records.status_procedure_id`),
 *   only once the record is no longer current, only if it was performed after this objection was registered
 *   (its open step: both times are the database's clock), and only if no step of this objection cites it already.
 *   Every other procedure is judged as before (after the stage it decides was opened, cited by no other step).
 * - The provider's own corrected re-delivery (Art. 18 ¶1 提供单位核实处理, Art. 14) settles an objection without a
 *   legal procedure: a result may cite the delivered version instead (`objection_log.version_id`). It must be a
 *   version of the objection's record, written by a delivery (a source file, not a procedure: that one is cited by
 *   its procedure), created after the objection was registered (`record_versions.created_at`, the load's
 *   transaction time, against the open step), and cited by no other result step of this objection. One delivery
 *   may settle two objections on the same record. Exactly one of procedure and version is given for upheld and
 *   partly, none for rejected.
 * - The chain covers the new column: it is the payload's last part when set (concat_ws skips a NULL, so every step
 *   written before keeps its hash; src/warehouse/objection-log-chain.ts builds the same).
 * - `异议 7 没有处理中的 appeal 阶段` and `已经过lawsuit阶段` name the stage as the Measures do (申诉, 行政诉讼).
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

const objectionLogWrite = (pinned: string) => `
    CREATE OR REPLACE FUNCTION objection_log_write() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE o objections; last objection_log; opened objection_log; done_stages text[]; checked text;
            p procedure_log; r records; v record_versions; cited objection_log;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('credit-etl:objection-log'));
      SELECT * INTO o FROM objections WHERE id = NEW.objection_id;
      IF NOT FOUND THEN RAISE EXCEPTION '异议 % 不存在', NEW.objection_id USING ERRCODE = 'no_data_found'; END IF;
      SELECT * INTO last FROM objection_log
        WHERE objection_id = o.id AND action <> 'note' ORDER BY id DESC LIMIT 1;
      SELECT * INTO opened FROM objection_log WHERE objection_id = o.id AND action = 'open';
      SELECT coalesce(array_agg(stage), '{}') INTO done_stages FROM objection_log
        WHERE objection_id = o.id AND action IN ('close', 'outcome');
      IF ${ENGINE_ONLY} AND (NEW.action <> 'open' OR o.channel <> 'provider') THEN
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
      ${procedureCheck}
      ${versionCheck}
      NEW.id := nextval('objection_log_id_seq');
      NEW.performed_at := clock_timestamp();
      NEW.db_user := session_user;
      NEW.prev_hash := (SELECT hash FROM objection_log ORDER BY id DESC LIMIT 1);
      NEW.hash := encode(sha256(convert_to(${PAYLOAD('NEW')}, 'UTF8')), 'hex');
      RETURN NEW;
    END $$;`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '037-objection-remedies');
  await knex.raw(`
    ALTER TABLE objection_log ADD COLUMN version_id bigint;
    COMMENT ON COLUMN objection_log.version_id IS 'upheld or partly: the delivered version (the provider''s corrected re-delivery) that carried the result out, instead of a legal procedure';
    ALTER TABLE objection_log DROP CONSTRAINT objection_log_procedure,
      ADD CONSTRAINT objection_log_remedy
        CHECK (coalesce(result IN ('upheld', 'partly'), false) = (procedure_id IS NOT NULL OR version_id IS NOT NULL)),
      ADD CONSTRAINT objection_log_one_remedy CHECK (procedure_id IS NULL OR version_id IS NULL);
    CREATE INDEX objection_log_cited_procedure ON objection_log (procedure_id) WHERE procedure_id IS NOT NULL;
  `);
  await knex.raw(objectionLogWrite(pinned));
}

/** 032's function and constraint, as they were; refused once a step cites a delivered version (it would be lost). */
export async function down(knex: Knex): Promise<void> {
  const cited = await knex.raw<{ rows: { n: number }[] }>(
    'SELECT count(*)::int AS n FROM objection_log WHERE version_id IS NOT NULL',
  );
  const n = cited.rows[0]?.n ?? 0;
  if (n > 0)
    throw new Error(
      `037-objection-remedies: ${n} objection step(s) cite a delivered version; going back would drop what carried those results out`,
    );
  await knex.raw(`
    DROP INDEX objection_log_cited_procedure;
    ALTER TABLE objection_log DROP CONSTRAINT objection_log_one_remedy, DROP CONSTRAINT objection_log_remedy,
      ADD CONSTRAINT objection_log_procedure
        CHECK (coalesce(result IN ('upheld', 'partly'), false) = (procedure_id IS NOT NULL));
  `);
  await objectionGuards(knex);
  await knex.raw('ALTER TABLE objection_log DROP COLUMN version_id');
}
