import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A version that names a legal procedure (`procedure_id`) is written only by that procedure. The engine's login
 * (it may INSERT into `record_versions`) could append a version with `procedure_id` 999, no file and the next
 * version number: 052's check lets rows that name no file pass, the records guard refused only to make it current.
 * `record` then showed it as ordinary history (`v2 (procedure #999)`), the next real correction was written
 * after it, and `verify` failed on the record forever (`current-not-latest`, `version-without-procedure`) with no
 * legal way to remove the row. The database now refuses such a row, whoever writes it (owner and superuser
 * included, while triggers are on):
 *
 * - only a legal procedure function writes it: `current_user` is the procedure role, which is true only inside
 *   the SECURITY DEFINER functions it owns (012, 040: `procedure correct`, `reattribute`, and `objection
 *   close|outcome --set`, which run `procedure_correct`); the loader, officers and the owner are refused;
 * - its procedure's log entry exists and wrote exactly this version: a `correct` of this record whose `after`
 *   names this version's id, or a `reattribute` that created this record (`other_record_id`) and names it in
 *   `after.superseded_by_version_id` — what `verify` accepts (`version-without-procedure`). The function writes
 *   its log entry first and the version after it, in the one call, with the id it drew for the entry's `after`:
 *   no other row can claim the entry, not even a second one of the same procedure. Withdraw, supersede and repair
 *   write no version.
 *
 * A row trigger whose WHEN names the column (as 012's records triggers): a delivery's versions (`procedure_id`
 * null; a first load writes a million in one statement) never call the function, and the test of the condition
 * is done by the executor per row at no measurable cost. A statement trigger over 052's transition table, the
 * other way, read every row of the statement again: ~0.8 µs a row (160 ms for 200,000 versions, 1.7 % of the
 * INSERT), and its plan, costed over the whole table, was JIT-compiled (300 ms more). A procedure writes one version
 * per call, so the function runs once per procedure. Rows written before stay as they are: `verify` names them.
 */
const { procedure } = WAREHOUSE_ROLES;

/** The entry's kind as the CLI shows it (src/cli/format-procedure.ts). */
const KIND_LABEL = `CASE e.kind WHEN 'withdraw' THEN '撤销' WHEN 'supersede' THEN '取代' WHEN 'repair' THEN '信用修复' ELSE e.kind END`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '054-procedure-versions-logged');
  await knex.raw(`
    CREATE FUNCTION procedure_versions_logged() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE
      e procedure_log;
      concerns bigint;
      why_zh text;
      why_en text;
    BEGIN
      IF current_user <> '${procedure}' THEN
        RAISE EXCEPTION '记录 % 的版本 v% 声称由法定程序 #% 写入：程序的版本只能由法定程序函数写入（角色 %），不能由 % 写入，未写入 (record_versions: version % of record % claims legal procedure #%: only a legal procedure function, running as %, writes a procedure''s version, not %; nothing written)',
          NEW.record_id, NEW.version_no, NEW.procedure_id, '${procedure}', current_user,
          NEW.version_no, NEW.record_id, NEW.procedure_id, '${procedure}', current_user
          USING ERRCODE = 'insufficient_privilege',
          HINT = 'a legal procedure is run with credit-etl procedure … (procedure_correct, procedure_reattribute)';
      END IF;
      SELECT * INTO e FROM procedure_log WHERE id = NEW.procedure_id;
      IF NOT FOUND THEN
        why_zh := format('程序日志中没有程序 #%s', NEW.procedure_id);
        why_en := format('procedure_log has no entry #%s', NEW.procedure_id);
      ELSIF e.kind NOT IN ('correct', 'reattribute') THEN
        why_zh := format('程序 #%s 是%s（%s），不写入版本', e.id, ${KIND_LABEL}, e.kind);
        why_en := format('procedure #%s is a %s, which writes no version', e.id, e.kind);
      ELSE
        concerns := CASE e.kind WHEN 'correct' THEN e.record_id ELSE e.other_record_id END;
        IF NEW.record_id IS DISTINCT FROM concerns THEN
          why_zh := format('程序 #%s 办理的是记录 %s', e.id, concerns);
          why_en := format('procedure #%s (%s) concerns record %s', e.id, e.kind, concerns);
        ELSIF e.after -> (CASE e.kind WHEN 'correct' THEN 'version_id' ELSE 'superseded_by_version_id' END)
              IS DISTINCT FROM to_jsonb(NEW.id) THEN
          why_zh := format('程序 #%s 写入的是另一版本（id %s）', e.id,
            coalesce(e.after ->> (CASE e.kind WHEN 'correct' THEN 'version_id' ELSE 'superseded_by_version_id' END), '—'));
          why_en := format('procedure #%s (%s) wrote another version (id %s)', e.id, e.kind,
            coalesce(e.after ->> (CASE e.kind WHEN 'correct' THEN 'version_id' ELSE 'superseded_by_version_id' END), '—'));
        ELSE
          RETURN NULL;
        END IF;
      END IF;
      RAISE EXCEPTION '记录 % 的版本 v% 声称由法定程序 #% 写入，但%，未写入 (record_versions: version % of record % claims legal procedure #%, but %; nothing written)',
        NEW.record_id, NEW.version_no, NEW.procedure_id, why_zh, NEW.version_no, NEW.record_id, NEW.procedure_id,
        why_en
        USING ERRCODE = 'insufficient_privilege',
        HINT = 'a procedure''s version is written by its function, right after its procedure_log entry names it';
    END $$;
    CREATE TRIGGER record_versions_procedure_logged AFTER INSERT ON record_versions FOR EACH ROW
      WHEN (NEW.procedure_id IS NOT NULL) EXECUTE FUNCTION procedure_versions_logged();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER record_versions_procedure_logged ON record_versions;
    DROP FUNCTION procedure_versions_logged();
  `);
}
