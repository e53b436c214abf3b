import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Provider withdrawals and full dumps (issue #21).
 *
 * A provider withdraws (撤销) a record it delivered by a signal in its data: a soft-delete flag in its 前置库
 * table, a 当前状态 of 撤销. The engine must act on it, but it runs as `credit_etl_loader`, which may not run
 * an officer's procedure (012) and must not be able to retire any record it likes. So the loader gets one
 * function, `provider_withdraw_delivered(source_file_id)`, owned by `credit_etl_procedure` (SECURITY
 * DEFINER) and executable by the loader alone, that can do exactly one thing: withdraw the records that a
 * file *now being loaded* asks to withdraw, each of which
 *   - the loader has already recorded as that file's lineage row with outcome `withdrawn` (row number, signal),
 *   - belongs to the file's catalog entry, and
 *   - has current content the file's own provider delivered, on the highest channel vouching for it;
 * and it writes each withdrawal to the procedure log as an ordinary `withdraw` entry whose basis, reason and
 * operator the function composes itself from the file row (name, id, row, provider, signal), never from
 * text the caller passes. "Now being loaded" is a `loaded` file whose digest is not yet fixed: the digest is
 * stored in the same transaction, after the merge (source-files-repository.ts), and never changes afterwards
 * (011), so a file from an earlier delivery can never be replayed to withdraw anything. A record no longer
 * current (withdrawn before, by the provider or an officer) is left as it is: a re-delivered withdrawal adds
 * lineage, never a second procedure entry. Anything else is refused with an error, and the unit rolls back.
 *
 * Full dumps: a pipeline may declare its deliveries complete dumps. Each such file stores its completeness
 * decision (`source_files.full_dump`), and the records it should have held but did not are listed, never
 * deleted, in `full_dump_missing` (append-only).
 */
const { loader, procedure } = WAREHOUSE_ROLES;

export const PROVIDER_WITHDRAW_FUNCTION = 'provider_withdraw_delivered(bigint)';
const DELIVERED_CURRENT = 'provider_delivered_current(records, text, text)';

const OUTCOMES = `'inserted', 'updated', 'unchanged', 'merged', 'conflict'`;

export async function up(knex: Knex): Promise<void> {
  const schema = (await knex.raw<{ rows: { schema: string }[] }>('SELECT current_schema() AS schema')).rows[0]
    ?.schema;
  if (!schema) throw new Error('015-provider-withdrawals: no current schema');
  await knex.raw(`
    ALTER TABLE record_sources DROP CONSTRAINT record_sources_outcome_check;
    ALTER TABLE record_sources ADD CONSTRAINT record_sources_outcome_check
      CHECK (outcome IN (${OUTCOMES}, 'withdrawn'));
    ALTER TABLE record_sources ADD COLUMN withdrawal_signal text;
    ALTER TABLE record_sources ADD CONSTRAINT record_sources_withdrawal_signal
      CHECK ((outcome = 'withdrawn') = (withdrawal_signal IS NOT NULL));
    COMMENT ON COLUMN record_sources.withdrawal_signal IS
      'a withdrawal request (outcome withdrawn): what the source said, e.g. del_flag=1 or 当前状态=1';

    ALTER TABLE source_files ADD COLUMN full_dump jsonb;
    COMMENT ON COLUMN source_files.full_dump IS
      'a full dump: its completeness decision (previous dump, its keys, how many are missing, the limit)';

    CREATE TABLE full_dump_missing (
      id bigserial PRIMARY KEY,
      source_file_id bigint NOT NULL,
      record_id bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (source_file_id, record_id)
    );
    COMMENT ON TABLE full_dump_missing IS
      'records a complete (full-dump) delivery did not hold although its provider delivered them before: listed, never deleted';
    CREATE INDEX full_dump_missing_record ON full_dump_missing (record_id);
    CREATE TRIGGER full_dump_missing_append_only BEFORE UPDATE OR DELETE ON full_dump_missing
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();
    CREATE TRIGGER full_dump_missing_no_truncate BEFORE TRUNCATE ON full_dump_missing
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
  `);
  await grantTo(knex, 'UPDATE (full_dump)', 'source_files', loader);
  await grantTo(knex, 'INSERT', 'full_dump_missing', loader);
  await grantTo(knex, 'USAGE', 'SEQUENCE full_dump_missing_id_seq', loader);
  await knex.raw(providerWithdrawFunction(`SET search_path = ${schema}, pg_temp`));
  await knex.raw(`ALTER FUNCTION ${PROVIDER_WITHDRAW_FUNCTION} OWNER TO ${procedure}`);
  await knex.raw(`REVOKE ALL ON FUNCTION ${PROVIDER_WITHDRAW_FUNCTION} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${PROVIDER_WITHDRAW_FUNCTION} TO ${loader}`);
  await knex.raw(`REVOKE ALL ON FUNCTION ${DELIVERED_CURRENT} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${DELIVERED_CURRENT} TO ${procedure}, ${loader}`);
}

/** Messages are Chinese: they end in the failed unit's error, which the provider's notice may quote. */
function providerWithdrawFunction(pinned: string): string {
  return `
    -- A provider may withdraw what it stands behind: the record's current content, as it delivered it (its
    -- lineage row that inserted, updated, re-delivered or merged that version), on the highest channel that
    -- vouches for it (records.level: a city cannot withdraw what the province delivers too, 省市互补). The
    -- merge asks the same, so a withdrawal the function would refuse is a rejection the provider reads.
    CREATE FUNCTION provider_delivered_current(r records, p_provider_code text, p_level text) RETURNS boolean
    LANGUAGE sql STABLE ${pinned} AS $f$
      SELECT r.level = p_level AND EXISTS (SELECT 1 FROM record_sources s
        WHERE s.record_id = r.id AND s.version_id = r.current_version_id AND s.provider_code = p_provider_code
          AND s.level = p_level AND s.outcome IN ('inserted', 'updated', 'unchanged', 'merged'))
    $f$;

    CREATE FUNCTION provider_withdraw_delivered(p_source_file_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE f source_files; w record_sources; r records; cv record_versions; log_id bigint; done integer := 0;
    BEGIN
      SELECT * INTO f FROM source_files WHERE id = p_source_file_id;
      IF NOT FOUND THEN
        RAISE EXCEPTION '文件 % 不存在', p_source_file_id USING ERRCODE = 'no_data_found';
      END IF;
      IF f.status <> 'loaded' OR f.digest IS NOT NULL THEN
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
  `;
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ${PROVIDER_WITHDRAW_FUNCTION}, ${DELIVERED_CURRENT};
    DROP TABLE full_dump_missing;
    ALTER TABLE source_files DROP COLUMN full_dump;
    ALTER TABLE record_sources DROP CONSTRAINT record_sources_withdrawal_signal;
    ALTER TABLE record_sources DROP COLUMN withdrawal_signal;
    ALTER TABLE record_sources DROP CONSTRAINT record_sources_outcome_check;
    ALTER TABLE record_sources ADD CONSTRAINT record_sources_outcome_check CHECK (outcome IN (${OUTCOMES}));
  `);
}
