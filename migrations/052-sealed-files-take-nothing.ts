import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A file's rows are written only while its unit loads it. The engine's login could attach a new version and its
 * lineage to an old file whose unit finished long ago (its digest set, its run ended), and make that version
 * current: the records guard (010) only asks that the version be newer and delivered by the record's channel.
 * `verify` found it later (a version without lineage, a file digest that differs); the database now refuses it.
 *
 * `source_file_being_loaded(file)` is the one test of "being loaded now", the one `provider_withdraw_delivered`
 * (015, 041) applied on its own: the file is `loaded`, has no digest yet, and its run is `running`. Every INSERT
 * into `record_versions`, `record_sources`, `rejections`, `unchanged_deliveries` and `unchanged_delivery_absences`
 * that names a file is checked against it, for every role (owner and superuser included, while triggers are on),
 * once per statement (an AFTER … FOR EACH STATEMENT trigger over the statement's new rows, REFERENCING NEW TABLE):
 * a first load writes each table in one or a few statements, so a row-level trigger's call per row is avoided.
 * Rows that name no file pass: a legal procedure's versions (procedure_id, no source file, 012/040). A file being
 * loaded by another unit is not visible before that unit commits, and sealed once it has: in effect only the
 * writing transaction's own file takes rows. A failed or skipped unit's file row is `failed`/`skipped` and takes
 * none; a file held back by a threshold takes its rejections before it becomes `failed-threshold`
 * (src/run/reject-threshold.ts).
 *
 * TRUNCATE of `unchanged_deliveries` and `unchanged_delivery_absences` is refused as for the other history tables
 * (007's `*_no_truncate`): they were append-only for UPDATE and DELETE since 017, but a TRUNCATE emptied them.
 */
const { loader, procedure } = WAREHOUSE_ROLES;

const CHECKED = [
  'record_versions',
  'record_sources',
  'rejections',
  'unchanged_deliveries',
  'unchanged_delivery_absences',
] as const;

const NO_TRUNCATE = ['unchanged_deliveries', 'unchanged_delivery_absences'] as const;

const BEING_LOADED = 'source_file_being_loaded(bigint)';

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '052-sealed-files-take-nothing');
  await knex.raw(`
    CREATE FUNCTION source_file_being_loaded(p_file bigint) RETURNS boolean LANGUAGE sql STABLE ${pinned} AS $$
      SELECT EXISTS (
        SELECT 1 FROM source_files f JOIN runs r ON r.id = f.run_id
        WHERE f.id = p_file AND f.status = 'loaded' AND f.digest IS NULL AND r.status = 'running')
    $$;
    COMMENT ON FUNCTION ${BEING_LOADED} IS
      'the file is being loaded now: loaded, no digest yet, its run running; only such a file takes rows (052)';

    -- One pass over the statement's rows, min and max of the file: an engine statement names one file. Not
    -- DISTINCT: over a tuplestore of whole rows (a version's data) it sorted them all (200,000 versions: 6 s).
    CREATE FUNCTION sealed_files_take_nothing() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE
      lo bigint;
      hi bigint;
      sealed bigint;
    BEGIN
      SELECT min(source_file_id), max(source_file_id) INTO lo, hi FROM new_rows;
      IF lo IS NULL THEN
        RETURN NULL;
      ELSIF NOT source_file_being_loaded(lo) THEN
        sealed := lo;
      ELSIF hi <> lo THEN
        SELECT n.file INTO sealed
          FROM (SELECT DISTINCT source_file_id AS file FROM new_rows WHERE source_file_id > lo) n
          WHERE NOT source_file_being_loaded(n.file) ORDER BY n.file LIMIT 1;
      END IF;
      IF sealed IS NOT NULL THEN
        RAISE EXCEPTION '%: file % is not being loaded (its unit has ended, or it was never loaded): a file''s rows are written only while its unit loads it',
          TG_TABLE_NAME, sealed USING ERRCODE = 'insufficient_privilege',
          HINT = 'a file being loaded is loaded, has no digest yet and its run is running (source_file_being_loaded)';
      END IF;
      RETURN NULL;
    END $$;
  `);
  for (const table of CHECKED) {
    await knex.raw(`CREATE TRIGGER ${table}_file_being_loaded AFTER INSERT ON ${table}
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sealed_files_take_nothing()`);
  }
  for (const table of NO_TRUNCATE) {
    await knex.raw(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change()`);
  }
  // 010 closed functions to PUBLIC: the loader's inserts call it (the trigger runs as the inserting role), as
  // does provider_withdraw_delivered (owned by the procedure role).
  await knex.raw(`REVOKE ALL ON FUNCTION ${BEING_LOADED} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${BEING_LOADED} TO ${loader}, ${procedure}`);
  await replaceWithdrawFunction(knex, pinned, 'NOT source_file_being_loaded(f.id)');
}

export async function down(knex: Knex): Promise<void> {
  await replaceWithdrawFunction(
    knex,
    await pinnedSearchPath(knex, '052-sealed-files-take-nothing'),
    `f.status <> 'loaded' OR f.digest IS NOT NULL
         OR NOT EXISTS (SELECT 1 FROM runs WHERE id = f.run_id AND status = 'running')`,
  );
  for (const table of NO_TRUNCATE) await knex.raw(`DROP TRIGGER ${table}_no_truncate ON ${table}`);
  for (const table of CHECKED) await knex.raw(`DROP TRIGGER ${table}_file_being_loaded ON ${table}`);
  await knex.raw(`DROP FUNCTION sealed_files_take_nothing(); DROP FUNCTION ${BEING_LOADED};`);
}

/**
 * 041's function with its test of "being loaded" given (up: the shared function; down: 041's own text): a
 * migration keeps the text it replaces rather than import another's. Same signature, so its owner and grants stand.
 */
async function replaceWithdrawFunction(knex: Knex, pinned: string, notBeingLoaded: string): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION provider_withdraw_delivered(p_source_file_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE f source_files; w record_sources; r records; cv record_versions; log_id bigint; done integer := 0;
    BEGIN
      SELECT * INTO f FROM source_files WHERE id = p_source_file_id;
      IF NOT FOUND THEN
        RAISE EXCEPTION '文件 % 不存在', p_source_file_id USING ERRCODE = 'no_data_found';
      END IF;
      IF ${notBeingLoaded} THEN
        RAISE EXCEPTION '文件 %「%」不是正在载入的文件：数据提供单位的撤销只能随报送它的文件办理', f.id, f.name
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      FOR w IN SELECT * FROM record_sources
               WHERE source_file_id = f.id AND outcome = 'withdrawn' ORDER BY row_number, id LOOP
        IF w.provider_code <> f.provider_code OR w.level <> f.level OR w.run_id <> f.run_id THEN
          RAISE EXCEPTION '文件 % 第 % 行的撤销与文件的报送渠道不符', f.id, w.row_number
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO r FROM records WHERE id = w.record_id FOR UPDATE;
        IF NOT FOUND OR r.catalog_code <> f.catalog_code THEN
          RAISE EXCEPTION '文件 % 第 % 行要撤销的记录 % 不属于目录 %', f.id, w.row_number, w.record_id, f.catalog_code
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- Withdrawn before (by this provider or an officer), or superseded: nothing more to do.
        CONTINUE WHEN r.status <> 'current';
        IF NOT provider_delivered_current(r, f.provider_code, f.level) THEN
          RAISE EXCEPTION '记录 % 的当前内容不是数据提供单位 % 报送的，不能由其撤销（文件 % 第 % 行）', r.id,
            f.provider_code, f.id, w.row_number USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO cv FROM record_versions WHERE id = r.current_version_id;
        log_id := procedure_log_write('withdraw', r.id, NULL, r.catalog_code,
          format('数据提供单位 %s 报送撤销：文件「%s」（文件 %s，运行 %s）第 %s 行，%s', f.provider_code, f.name, f.id,
                 f.run_id, w.row_number, w.withdrawal_signal),
          '数据提供单位在源数据中撤销了该信息', format('数据提供单位 %s', f.provider_code),
          jsonb_build_object('status', r.status, 'subject_code', r.subject_code, 'version_id', cv.id,
            'version_no', cv.version_no, 'content_hash', cv.content_hash),
          jsonb_build_object('status', 'withdrawn', 'subject_code', r.subject_code, 'version_id', cv.id,
            'version_no', cv.version_no, 'content_hash', cv.content_hash,
            'delivery', jsonb_build_object('source_file_id', f.id, 'file', f.name, 'row_number', w.row_number,
              'provider_code', f.provider_code, 'level', f.level, 'signal', w.withdrawal_signal)));
        UPDATE records SET status = 'withdrawn', status_procedure_id = log_id, updated_at = now() WHERE id = r.id;
        done := done + 1;
      END LOOP;
      RETURN done;
    END $$;
  `);
}
