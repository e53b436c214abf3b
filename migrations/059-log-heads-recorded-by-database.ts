import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * `verify` compares the hash-chained logs (`procedure_log`, `objection_log`) with the newest entry every earlier
 * verify run saw (`log-cut-back`, `log-entries-deleted`, `log-head-rewritten`: verify-log-heads.ts). Those heads
 * were read from `runs.counts.logHeads`, which the caller writes: the engine's login may INSERT any `runs` row, so
 * one `INSERT INTO runs (kind, status, counts) VALUES ('verify', 'completed', '{"logHeads": …}')` with a head
 * that never existed made every later verify fail (exit 4) for ever, with no way to remove the row (035) or
 * acknowledge the finding: false alarms that hide real tampering.
 *
 * The heads a verify run saw are now recorded by the database itself, in `verified_log_heads` (a row per run and
 * log), and only there are they read from:
 *
 * - `record_verified_log_heads(run)` computes each log's newest entry from the log itself (its id, hash, the
 *   record and catalog entry it concerns, the entries up to it: what verify read before) and records it for the
 *   run, which must be a `verify` run still `running` whose heads are not recorded yet. SECURITY DEFINER, owned by
 *   `credit_etl_procedure` like the legal-procedure functions, search_path pinned; the loader (which runs verify)
 *   may only execute it. A caller chooses the run, never what is recorded: a run the loader made up records
 *   the logs as they are, which a later run finds again.
 * - No role writes the table directly: an INSERT is taken only from that function (`current_user` is the
 *   procedure role only inside such a function; the owner and superusers are refused too while triggers are on),
 *   and UPDATE, DELETE and TRUNCATE from no one.
 *
 * The heads earlier runs stored in `runs.counts.logHeads` are copied in (`copied_from_counts`), so the past stays
 * comparable: a cut made before this migration is still found. After it, `counts.logHeads` is only what the run
 * shows (`verify --json`, `runs show`); nothing trusts it. `down` drops the table and the function: the runs'
 * counts still hold every head (verify keeps writing them), which is what the earlier code reads.
 */
const { procedure, loader } = WAREHOUSE_ROLES;

const RECORD_FUNCTION = 'record_verified_log_heads(bigint)';

/** One log's newest entry, as verify-log-heads.ts read it before (its HEAD_SQL), recorded for `p_run_id`. */
const RECORD_PROCEDURE_LOG = `
  INSERT INTO verified_log_heads (run_id, log, head_id, hash, record_id, catalog_code, entries)
  SELECT p_run_id, 'procedure_log', p.id, p.hash, p.record_id, p.catalog_code,
    (SELECT count(*) FROM procedure_log)::int
  FROM procedure_log p ORDER BY p.id DESC LIMIT 1
  RETURNING *`;

/** The newest step even when its objection is gone (objection-log-chain.ts names that): a later cut is seen. */
const RECORD_OBJECTION_LOG = `
  INSERT INTO verified_log_heads (run_id, log, head_id, hash, record_id, catalog_code, entries)
  SELECT p_run_id, 'objection_log', l.id, l.hash,
    COALESCE(o.record_id, CASE WHEN opened.detail ->> 'record_id' ~ '^[0-9]{1,18}$'
                               THEN (opened.detail ->> 'record_id')::bigint END),
    COALESCE(o.catalog_code, opened.detail ->> 'catalog_code'),
    (SELECT count(*) FROM objection_log)::int
  FROM objection_log l
  LEFT JOIN objections o ON o.id = l.objection_id
  LEFT JOIN LATERAL (SELECT s.detail FROM objection_log s
    WHERE o.id IS NULL AND s.objection_id = l.objection_id AND s.action = 'open' ORDER BY s.id LIMIT 1) opened ON true
  ORDER BY l.id DESC LIMIT 1
  RETURNING *`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '059-log-heads-recorded-by-database');
  await knex.raw(`
    CREATE TABLE verified_log_heads (
      run_id bigint NOT NULL REFERENCES runs (id),
      log text NOT NULL CHECK (log IN ('procedure_log', 'objection_log')),
      head_id bigint NOT NULL,
      hash text NOT NULL,
      record_id bigint,
      catalog_code text,
      -- The entries up to and including the head; null for a head copied from a run that did not count them.
      entries integer,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      -- Copied by this migration from the run's counts.logHeads (written by the caller, before 059).
      copied_from_counts boolean NOT NULL DEFAULT false,
      PRIMARY KEY (run_id, log)
    );
    COMMENT ON TABLE verified_log_heads IS
      'the newest entry of each hash-chained log as a verify run saw it, recorded by record_verified_log_heads (never by the caller): what every later verify asks for; append-only';

    -- The past stays comparable: what earlier verify runs stored, read as verify-log-heads.ts read it (a head
    -- without a numeric id or a hash was skipped there too).
    INSERT INTO verified_log_heads
      (run_id, log, head_id, hash, record_id, catalog_code, entries, recorded_at, copied_from_counts)
    SELECT r.id, h.log, (h.head ->> 'id')::bigint, h.head ->> 'hash',
      CASE WHEN h.head ->> 'recordId' ~ '^[0-9]{1,18}$' THEN (h.head ->> 'recordId')::bigint END,
      h.head ->> 'catalogCode',
      CASE WHEN jsonb_typeof(h.head -> 'entries') = 'number' AND h.head ->> 'entries' ~ '^[0-9]{1,9}$'
           THEN (h.head ->> 'entries')::int END,
      COALESCE(r.finished_at, r.started_at), true
    FROM runs r
    CROSS JOIN LATERAL (VALUES ('procedure_log', r.counts -> 'logHeads' -> 'procedure_log'),
                               ('objection_log', r.counts -> 'logHeads' -> 'objection_log')) h (log, head)
    WHERE r.kind = 'verify' AND jsonb_typeof(r.counts -> 'logHeads') = 'object'
      AND jsonb_typeof(h.head) = 'object' AND h.head ->> 'id' ~ '^[0-9]{1,18}$' AND h.head ->> 'hash' IS NOT NULL;

    CREATE FUNCTION verified_log_heads_recorded() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF TG_OP = 'INSERT' AND current_user = '${procedure}' THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'verified_log_heads: % refused: the heads a verify run saw are recorded only by record_verified_log_heads, and stay as recorded (%) / verify 所见日志末条由数据库记录，不得直接写入、修改或删除',
        TG_OP, current_user
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'credit-etl verify records them (record_verified_log_heads(run id) of its running verify run)';
    END $$;
    CREATE TRIGGER verified_log_heads_recorded BEFORE INSERT OR UPDATE OR DELETE ON verified_log_heads
      FOR EACH ROW EXECUTE FUNCTION verified_log_heads_recorded();
    CREATE TRIGGER verified_log_heads_no_truncate BEFORE TRUNCATE ON verified_log_heads
      FOR EACH STATEMENT EXECUTE FUNCTION verified_log_heads_recorded();

    CREATE FUNCTION record_verified_log_heads(p_run_id bigint) RETURNS SETOF verified_log_heads
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE r runs;
    BEGIN
      SELECT * INTO r FROM runs WHERE id = p_run_id;
      IF NOT FOUND OR r.kind <> 'verify' OR r.status <> 'running' THEN
        RAISE EXCEPTION 'run % is not a verify run still running (%): log heads are recorded only for one / 运行 % 不是进行中的 verify 运行，不记录日志末条',
          p_run_id, CASE WHEN r.id IS NULL THEN 'no such run' ELSE r.kind || ', ' || r.status END, p_run_id
          USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM verified_log_heads WHERE run_id = p_run_id) THEN
        RAISE EXCEPTION 'verify run %: its log heads are already recorded, once / verify 运行 % 的日志末条已记录', p_run_id, p_run_id
          USING ERRCODE = 'unique_violation';
      END IF;
      RETURN QUERY ${RECORD_PROCEDURE_LOG};
      RETURN QUERY ${RECORD_OBJECTION_LOG};
    END $$;
  `);
  await grantTo(knex, 'INSERT', 'verified_log_heads', procedure);
  await knex.raw(`ALTER FUNCTION ${RECORD_FUNCTION} OWNER TO ${procedure}`);
  await knex.raw(`REVOKE ALL ON FUNCTION ${RECORD_FUNCTION} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${RECORD_FUNCTION} TO ${loader}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ${RECORD_FUNCTION};
    DROP TABLE verified_log_heads;
    DROP FUNCTION verified_log_heads_recorded();
  `);
}
