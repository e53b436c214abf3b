import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * `procedure supersede <old> --by <new>` (and `objection close|outcome --superseded-by`, which run the same
 * function) is for one piece of information delivered twice (docs/warehouse.md, "Legal procedures"): a decision
 * filed against the wrong company and delivered again against the right one, or a decision number corrected for
 * the same subject. 012's procedure_supersede checked only that both records are current and of one catalog entry:
 * a person's penalty (subject: a resident ID number) could be superseded by another company's penalty with another
 * decision number, left the person's archive, and showed "SUPERSEDED by" a record of that company.
 *
 * The new record must now describe the same information as the old one, by what `records` itself holds (so it
 * holds for an entry `catalog_entries` never synced): the same subject (`subject_code`), or the same key parts
 * beside the subject — the key's parts in order, without either record's subject code, empty parts and the
 * all-zero placeholder code (个体工商户 00000000000000000X, which identifies nobody; its subject is the 工商注册号,
 * outside the key), as 029's index of key parts leaves a record's own subject code and empty parts out. A
 * penalty's other parts are the deciding authority and the decision number. When both differ the function refuses,
 * nothing changed; the message names both record ids and what to do instead, never a subject code (a person's is
 * a resident ID number, and the text reaches the server's log). An entry keyed by the subject alone (法人登记)
 * has no other part: its records differ by subject only, and supersede stays as it was.
 *
 * Replaced in place (CREATE OR REPLACE, same signature): the owner `credit_etl_procedure` and the officer's
 * EXECUTE stay as 012 gave them. `down` puts 012's text back.
 */
const MIGRATION = '056-supersede-same-information';

/** A record's key parts beside the subject (see above), in key order, as a text[] expression. */
const otherKeyParts = (record: string) => `ARRAY(
        SELECT part FROM unnest(string_to_array(${record}.business_key, E'\\x1f')) WITH ORDINALITY AS k (part, n)
        WHERE part <> '' AND part !~ '^0{17}[0X]$'
          AND part IS DISTINCT FROM old_r.subject_code AND part IS DISTINCT FROM new_r.subject_code
        ORDER BY n)`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, MIGRATION);
  await knex.raw(`
    CREATE OR REPLACE FUNCTION procedure_supersede(p_old_record_id bigint, p_new_record_id bigint, p_basis text,
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
      -- The same information: the same subject (a corrected decision number), or the same other key parts (the
      -- same decision number, the subject corrected). No code in the message: it may be a resident ID number.
      IF NOT coalesce(old_r.subject_code = new_r.subject_code, false)
         AND ${otherKeyParts('old_r')} IS DISTINCT FROM ${otherKeyParts('new_r')} THEN
        RAISE EXCEPTION '记录 % 不能被记录 % 取代：两条记录的主体不同，业务主键中主体以外的部分（处罚机关、决定书文号等）也不同，不是同一信息，未办理；取代只用于同一信息的重报（同一主体更正了文号，或同一文号更正了主体）。记录 % 归错了主体的，请用 credit-etl procedure reattribute % --subject <正确主体代码>；记录 % 不应公示的，请用 credit-etl procedure withdraw % 撤销 (record % cannot be superseded by record %: their subjects differ and so do the other parts of their keys, they are not the same information; nothing changed. Use reattribute for a record filed under the wrong subject, or withdraw)',
          old_r.id, new_r.id, old_r.id, old_r.id, old_r.id, old_r.id, old_r.id, new_r.id
          USING ERRCODE = 'check_violation';
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
  `);
}

/** 012's function, for `down`: a migration keeps the text it replaces rather than import another's. */
export async function down(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, MIGRATION);
  await knex.raw(`
    CREATE OR REPLACE FUNCTION procedure_supersede(p_old_record_id bigint, p_new_record_id bigint, p_basis text,
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
  `);
}
