import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * What the engine's login could still rewrite or back-date, found by trying with it and closed here:
 *
 * - A loaded file's row, after its unit committed: its fingerprint, counts, encoding, `forced`/`same_content_as`,
 *   finish and error were bookkeeping columns the loader may update (010), so a sealed delivery could be made to
 *   say another sha256, other counts or another time, and `runs show` printed it; verify checks the digest, not
 *   these. A file's row is written only by the transaction that records it — the unit's (insert, the ledger's
 *   `forced`, the threshold's hold-back, the full-dump decision, the digest, then `finishSourceFile`, which comes
 *   after the digest), or the short one recording a failed or skipped unit — so from the commit of that
 *   transaction on, nothing of it changes, for every role (a legal-procedure function aside, as 011's digest guard
 *   allows). "Recorded in this transaction" is told by the database alone: the row's `started_at` is this
 *   transaction's start (stamped below, so the writer cannot choose it) and its row version is this transaction's
 *   (xmin); the two together, because an xmin alone repeats after 2^32 transactions and a start time alone could be
 *   shared by a transaction opened in the same microsecond.
 * - Times the writer chose: `runs.started_at` and `source_files.started_at` were what the INSERT said,
 *   `record_versions.created_at` a default the writer could override (the chain hashed whatever it said), and a
 *   run's or file's finish what the UPDATE said. A version back-dated before its predecessor moved what `report
 *   disclosure --as-of` showed for a past day; a back-dated file fell out of `verify --since`. They are now the
 *   database's clock, whatever is written, as `notice_events.at` is (033): a run's start and finish and a version's
 *   creation are `now()` (the transaction's start: a record's `created_at` and its version 1's stay equal, which
 *   verify checks), a file's start `now()` and its finish `clock_timestamp()`, as the engine wrote them. The
 *   version's stamp is a trigger named to fire before the chain's (`zz_record_versions_chain`: triggers fire in
 *   name order), so the stamped time is the one hashed. Cost: a plpgsql trigger call per version, ~1–1.5 µs
 *   (100,000 versions, alternating, loaded machine: +0.1–0.15 s on 1.2–3.4 s), about 2% of a first load.
 *   `received_at` stays as given: it is the provider's delivery time as the transport saw it, a claim, not the
 *   database's. A failed or skipped unit's file row is written after its unit rolled back, so its start is when that
 *   was recorded (its duration is in the unit's log line, not in `runs show`).
 * - `provider_withdraw_delivered` (015) took a file "being loaded" to be a `loaded` file without digest; such a
 *   file could be recorded under a run that had ended long ago. The file's run must now be `running` too.
 *
 * What stays possible, by design: the loader can still record a whole delivery of its own making (a run, its
 * files, versions and lineage, a provider's withdrawal), at the time it does so. Only who did it tells it from the
 * engine's (`db_user` in `procedure_log` and `notice_events`, the login in the server's log): the engine needs a
 * login of its own (docs/warehouse.md, database roles).
 */
const { procedure } = WAREHOUSE_ROLES;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '041-files-stay-times-stamped');
  await knex.raw(`
    CREATE FUNCTION runs_stamp() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        NEW.started_at := now();
        IF NEW.finished_at IS NOT NULL THEN
          NEW.finished_at := now();
        END IF;
      ELSIF NEW.finished_at IS DISTINCT FROM OLD.finished_at AND NEW.finished_at IS NOT NULL THEN
        NEW.finished_at := now();
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER runs_stamp BEFORE INSERT OR UPDATE OF finished_at ON runs
      FOR EACH ROW EXECUTE FUNCTION runs_stamp();

    CREATE FUNCTION source_files_stamp() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      NEW.started_at := now();
      NEW.finished_at := now();
      RETURN NEW;
    END $$;
    CREATE TRIGGER source_files_stamp BEFORE INSERT ON source_files
      FOR EACH ROW EXECUTE FUNCTION source_files_stamp();

    -- After source_files_digest_once and source_files_status_moves_forward (name order): their refusals keep
    -- their own words.
    CREATE FUNCTION source_files_written_once() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE
      changed text;
    BEGIN
      IF NEW.finished_at IS DISTINCT FROM OLD.finished_at THEN
        NEW.finished_at := clock_timestamp();
      END IF;
      IF current_user = '${procedure}' OR to_jsonb(NEW) = to_jsonb(OLD) THEN
        RETURN NEW;
      END IF;
      IF OLD.started_at = now() AND EXISTS (
           SELECT 1 FROM source_files f
           WHERE f.id = OLD.id AND f.xmin::text = (txid_current() % 4294967296)::text) THEN
        RETURN NEW;
      END IF;
      SELECT string_agg(n.key, ', ' ORDER BY n.key) INTO changed
        FROM jsonb_each(to_jsonb(NEW)) n WHERE n.value IS DISTINCT FROM to_jsonb(OLD) -> n.key;
      RAISE EXCEPTION 'source_files: file % was recorded by a transaction that has ended, and stays as recorded (%)',
        OLD.id, changed USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER source_files_written_once BEFORE UPDATE ON source_files
      FOR EACH ROW EXECUTE FUNCTION source_files_written_once();

    -- Before zz_record_versions_chain (name order): the chain hashes the stamped time.
    CREATE FUNCTION record_versions_stamp() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      NEW.created_at := now();
      RETURN NEW;
    END $$;
    CREATE TRIGGER record_versions_stamp BEFORE INSERT ON record_versions
      FOR EACH ROW EXECUTE FUNCTION record_versions_stamp();
  `);
  await replaceWithdrawFunction(
    knex,
    pinned,
    `
         OR NOT EXISTS (SELECT 1 FROM runs WHERE id = f.run_id AND status = 'running')`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await replaceWithdrawFunction(knex, await pinnedSearchPath(knex, '041-files-stay-times-stamped'), '');
  await knex.raw(`
    DROP TRIGGER record_versions_stamp ON record_versions;
    DROP FUNCTION record_versions_stamp();
    DROP TRIGGER source_files_written_once ON source_files;
    DROP FUNCTION source_files_written_once();
    DROP TRIGGER source_files_stamp ON source_files;
    DROP FUNCTION source_files_stamp();
    DROP TRIGGER runs_stamp ON runs;
    DROP FUNCTION runs_stamp();
  `);
}

/**
 * 015's function, the file's run required `running` (up) or not (down, 015's text as it was): a migration keeps
 * the text it replaces rather than import another's. Same signature, so its owner and grants stand.
 */
async function replaceWithdrawFunction(knex: Knex, pinned: string, runRunning: string): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION provider_withdraw_delivered(p_source_file_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE f source_files; w record_sources; r records; cv record_versions; log_id bigint; done integer := 0;
    BEGIN
      SELECT * INTO f FROM source_files WHERE id = p_source_file_id;
      IF NOT FOUND THEN
        RAISE EXCEPTION '文件 % 不存在', p_source_file_id USING ERRCODE = 'no_data_found';
      END IF;
      IF f.status <> 'loaded' OR f.digest IS NOT NULL${runRunning} THEN
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
