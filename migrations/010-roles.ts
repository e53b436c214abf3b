import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Least privilege (issue #15, Art. 17 "非经法定程序不得撤除、篡改"). Until now any session could rewrite the record:
 * point a record back at an old version, move it to another subject, delete notice rows, or set
 * `credit_etl.legal_procedure` and lift every guard without a trace. From here:
 *
 * - The engine runs as `credit_etl_loader` (connect-warehouse.ts sets the role on every connection). It may
 *   append (versions, lineage, rejections, files, runs, notices…), update only bookkeeping columns (column
 *   grants below), and never DELETE or TRUNCATE anything.
 * - `records` move only along their history, for every role but the procedure owner (records_guard): the
 *   current version may only become a newer version of the same record, delivered by the channel the record's
 *   level then names; subject and level change only with such a move (a level alone may rise to a channel
 *   whose lineage delivered the current version); id, catalog, key and creation time never change.
 * - A legal procedure runs as a database function owned by `credit_etl_procedure` (SECURITY DEFINER, 012): the
 *   guards let a change through only when `current_user` is that role, which is true only inside such a
 *   function. The session flag `credit_etl.legal_procedure` no longer lifts anything.
 * - `credit_etl.timeliness_recompute` keeps its narrow meaning (008): it lets a pending timeliness flag become
 *   decided, nothing else, and the loader may write no other column of lineage anyway. It stays a flag, not a
 *   function, because the decision (the calendar) is computed outside the database: a function would accept
 *   whatever values the caller computed, exactly as the flag does, and add nothing but indirection.
 * - `credit_etl_officer` will execute the procedure functions (012 grants EXECUTE per function); it and
 *   `credit_etl_reader` read.
 *
 * Roles are cluster-wide and never dropped here (other databases on the server use them); grants are per
 * database. Many databases may migrate at once on one server (the tests do), so creating a role or a
 * membership tolerates another migration doing the same a moment earlier.
 */
const { loader, procedure, officer, reader } = WAREHOUSE_ROLES;
const ALL_ROLES = [loader, procedure, officer, reader] as const;

/** Every table that exists at this migration; later migrations grant on their own tables (grant-roles.ts). */
const TABLES = [
  'runs',
  'source_files',
  'records',
  'record_versions',
  'record_sources',
  'rejections',
  'catalog_entries',
  'notices',
  'notice_rows',
  'watermarks',
  'calendar_recomputes',
] as const;

/** What the loader appends to: every table it writes is one it only adds rows to, records included. */
const LOADER_INSERTS = TABLES;

/** The only columns the engine ever updates (every UPDATE in src/): bookkeeping, and a record's pointer. */
const LOADER_UPDATES: Readonly<Record<string, readonly string[]>> = {
  // finishRun, markInterruptedRuns, endRunsOfThisProcess (run-ledger.ts), attempts (run-pipeline.ts)
  runs: ['status', 'counts', 'errors_by_code', 'error', 'finished_at', 'attempts'],
  // finishSourceFile, recordSkippedUnit, markForced (source-file-ledger.ts), reject-threshold.ts;
  // never its identity, channel or receipt time: records_guard trusts source_files.level.
  source_files: [
    'status',
    'sha256',
    'encoding',
    'columns',
    'counts',
    'blank_lines',
    'threshold',
    'error_code',
    'error',
    'finished_at',
    'same_content_as',
    'forced',
  ],
  // merge-staged.ts, checked row by row by records_guard
  records: ['current_version_id', 'subject_code', 'level', 'updated_at'],
  // calendar recompute (008): pending flags only, checked by record_sources_guard
  record_sources: ['late', 'working_days'],
  // calendar recompute: a provisional deadline becomes decided, checked by notices_guard
  notices: ['deadline', 'provisional'],
  // advanceWatermark (watermark-ledger.ts)
  watermarks: ['position', 'updated_at'],
};

/** Tables whose rows are never updated or deleted by anyone but a procedure function. */
const APPEND_ONLY_NEW = ['notice_rows', 'calendar_recomputes'] as const;
/** Tables that refuse TRUNCATE from here on (007 covered the rest). */
const NO_TRUNCATE_NEW = ['notices', 'notice_rows', 'calendar_recomputes', 'watermarks'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const role of ALL_ROLES) await ensureRole(knex, role);
  // The migrating user (the owner) can SET ROLE to each duty, and, when it is not a superuser, hand a
  // procedure function to its owner role (ALTER FUNCTION … OWNER TO requires membership).
  for (const role of ALL_ROLES) await ensureMembership(knex, role);

  const schema = await currentSchema(knex);
  const database = await knex.raw<{ rows: { name: string }[] }>('SELECT current_database() AS name');
  const quotedDatabase = quoteIdentifier(database.rows[0]!.name);
  await knex.raw(`GRANT CONNECT ON DATABASE ${quotedDatabase} TO ${ALL_ROLES.join(', ')}`);
  // The merge stages each unit in temp tables.
  await knex.raw(`GRANT TEMPORARY ON DATABASE ${quotedDatabase} TO ${loader}`);
  await knex.raw(`GRANT USAGE ON SCHEMA ${schema} TO ${ALL_ROLES.join(', ')}`);
  // ALTER FUNCTION … OWNER TO credit_etl_procedure requires the new owner to be able to create in the schema.
  await knex.raw(`GRANT CREATE ON SCHEMA ${schema} TO ${procedure}`);

  // Everyone reads everything (the ledger of migrations included: the engine checks it is up to date).
  await knex.raw(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${ALL_ROLES.join(', ')}`);
  await knex.raw(
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT ON TABLES TO ${ALL_ROLES.join(', ')}`,
  );
  await knex.raw(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${loader}, ${procedure}`);
  await knex.raw(
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT USAGE ON SEQUENCES TO ${loader}, ${procedure}`,
  );

  // A new function is executable by PUBLIC unless revoked: a procedure function (012) must be executable by
  // the officer it is granted to, never by the loader. Functions this user or the procedure role create from
  // here on start closed.
  await knex.raw('ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC');
  await knex.raw(`ALTER DEFAULT PRIVILEGES FOR ROLE ${procedure} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`);

  for (const table of LOADER_INSERTS) await grantTo(knex, 'INSERT', table, loader);
  for (const [table, columns] of Object.entries(LOADER_UPDATES)) {
    await grantTo(knex, `UPDATE (${columns.join(', ')})`, table, loader);
  }
  // What the procedure functions (012) change: a record's pointer, subject and level; new versions, lineage
  // and records (a reattribution creates the right record). Its procedure log is granted where it is created.
  await grantTo(knex, 'INSERT, UPDATE', 'records', procedure);
  await grantTo(knex, 'INSERT', 'record_versions', procedure);
  await grantTo(knex, 'INSERT', 'record_sources', procedure);

  await knex.raw(GUARDS);
  for (const table of APPEND_ONLY_NEW) {
    await knex.raw(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change()`);
  }
  for (const table of NO_TRUNCATE_NEW) {
    await knex.raw(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change()`);
  }
}

const GUARDS = `
  -- Art. 14, 17: history, lineage, rejections, notices are append-only. Only a legal-procedure function
  -- (SECURITY DEFINER, owned by credit_etl_procedure) runs as that role; privileges still decide what it may do.
  CREATE OR REPLACE FUNCTION forbid_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF current_user = '${procedure}' THEN
      RETURN COALESCE(NEW, OLD);
    END IF;
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted outside a legal procedure', TG_TABLE_NAME
      USING HINT = 'a legal procedure runs as a function owned by ${procedure}; the session flag credit_etl.legal_procedure no longer lifts this guard';
  END $$;

  CREATE OR REPLACE FUNCTION record_sources_guard() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF current_user = '${procedure}' THEN
      RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('credit_etl.timeliness_recompute', true) = 'on'
       AND OLD.late IS NULL AND NEW.late IS NOT NULL
       AND to_jsonb(NEW) - 'late' - 'working_days' = to_jsonb(OLD) - 'late' - 'working_days' THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted outside a legal procedure', TG_TABLE_NAME
      USING HINT = 'a legal procedure runs as a function owned by ${procedure}; the session flag credit_etl.legal_procedure no longer lifts this guard';
  END $$;

  -- A record is a pointer into its own history. The merge inserts the new version (and the file that carried
  -- it) before it moves the pointer, and the lineage of an equal delivery before it raises the level.
  CREATE FUNCTION records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    old_no integer;
    new_no integer;
    new_owner bigint;
    new_channel text;
  BEGIN
    IF current_user = '${procedure}' THEN
      RETURN NEW;
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.catalog_code IS DISTINCT FROM OLD.catalog_code
       OR NEW.business_key IS DISTINCT FROM OLD.business_key OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
      RAISE EXCEPTION 'records: record % keeps its id, catalog, business key and creation time forever', OLD.id
        USING HINT = 'a record whose key was wrong is superseded by a legal procedure, never rewritten';
    END IF;
    IF NEW.current_version_id IS DISTINCT FROM OLD.current_version_id THEN
      SELECT version_no INTO old_no FROM record_versions WHERE id = OLD.current_version_id;
      SELECT v.record_id, v.version_no, f.level INTO new_owner, new_no, new_channel
        FROM record_versions v LEFT JOIN source_files f ON f.id = v.source_file_id
        WHERE v.id = NEW.current_version_id;
      IF new_owner IS DISTINCT FROM OLD.id OR old_no IS NULL OR new_no IS NULL OR new_no <= old_no THEN
        RAISE EXCEPTION 'records: the current version of record % may only become a newer version of that record (version % → %)',
          OLD.id, OLD.current_version_id, NEW.current_version_id
          USING HINT = 'going back to an earlier version, or to another record''s, is a legal procedure';
      END IF;
      IF NEW.level IS DISTINCT FROM new_channel THEN
        RAISE EXCEPTION 'records: record % level % is not the channel (%) that delivered its new version %',
          OLD.id, NEW.level, new_channel, NEW.current_version_id;
      END IF;
      RETURN NEW;
    END IF;
    IF NEW.subject_code IS DISTINCT FROM OLD.subject_code THEN
      RAISE EXCEPTION 'records: the subject of record % changes only with a newer version (% → %)',
        OLD.id, OLD.subject_code, NEW.subject_code
        USING HINT = 'moving a record to another subject''s archive is a legal procedure (reattribution)';
    END IF;
    IF NEW.level IS DISTINCT FROM OLD.level AND NOT EXISTS (
      SELECT 1 FROM record_sources s
      WHERE s.record_id = OLD.id AND s.version_id = OLD.current_version_id AND s.level = NEW.level
        AND s.outcome <> 'conflict'
    ) THEN
      RAISE EXCEPTION 'records: record % level may become % only when that channel delivered its current version',
        OLD.id, NEW.level;
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER records_move_along_history BEFORE UPDATE ON records
    FOR EACH ROW EXECUTE FUNCTION records_guard();

  -- A notice is a legal communication: what was sent stays as sent. Only the calendar recompute settles a
  -- provisional deadline (008), once.
  CREATE FUNCTION notices_guard() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF current_user = '${procedure}' THEN
      RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.provisional AND NOT NEW.provisional
       AND to_jsonb(NEW) - 'deadline' - 'provisional' = to_jsonb(OLD) - 'deadline' - 'provisional' THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: a notice stays as it was issued (only a provisional deadline is settled, once)', TG_TABLE_NAME;
  END $$;
  CREATE TRIGGER notices_as_issued BEFORE UPDATE OR DELETE ON notices
    FOR EACH ROW EXECUTE FUNCTION notices_guard();
`;

export async function down(knex: Knex): Promise<void> {
  for (const table of NO_TRUNCATE_NEW) await knex.raw(`DROP TRIGGER ${table}_no_truncate ON ${table}`);
  for (const table of APPEND_ONLY_NEW) await knex.raw(`DROP TRIGGER ${table}_append_only ON ${table}`);
  await knex.raw(`
    DROP TRIGGER notices_as_issued ON notices;
    DROP FUNCTION notices_guard();
    DROP TRIGGER records_move_along_history ON records;
    DROP FUNCTION records_guard();
    CREATE OR REPLACE FUNCTION forbid_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('credit_etl.legal_procedure', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
      END IF;
      RAISE EXCEPTION '% is append-only: rows are never updated or deleted outside a legal procedure', TG_TABLE_NAME;
    END $$;
    CREATE OR REPLACE FUNCTION record_sources_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('credit_etl.legal_procedure', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
      END IF;
      IF TG_OP = 'UPDATE' AND current_setting('credit_etl.timeliness_recompute', true) = 'on'
         AND OLD.late IS NULL AND NEW.late IS NOT NULL
         AND to_jsonb(NEW) - 'late' - 'working_days' = to_jsonb(OLD) - 'late' - 'working_days' THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION '% is append-only: rows are never updated or deleted outside a legal procedure', TG_TABLE_NAME;
    END $$;
  `);
  // The roles stay: they are the server's, and other databases on it may use them. Their grants here go.
  const schema = await currentSchema(knex);
  const roles = ALL_ROLES.join(', ');
  await knex.raw('ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC');
  await knex.raw(`ALTER DEFAULT PRIVILEGES FOR ROLE ${procedure} GRANT EXECUTE ON FUNCTIONS TO PUBLIC`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} REVOKE ALL ON TABLES FROM ${roles}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} REVOKE ALL ON SEQUENCES FROM ${roles}`);
  await knex.raw(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${roles}`);
  await knex.raw(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${roles}`);
  await knex.raw(`REVOKE ALL ON SCHEMA ${schema} FROM ${roles}`);
  const database = await knex.raw<{ rows: { name: string }[] }>('SELECT current_database() AS name');
  await knex.raw(`REVOKE ALL ON DATABASE ${quoteIdentifier(database.rows[0]!.name)} FROM ${roles}`);
}

/** Creates a NOLOGIN role unless it exists; another migration creating it at the same moment is fine. */
async function ensureRole(knex: Knex, role: string): Promise<void> {
  const found = await knex.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_roles WHERE rolname = ?', [role]);
  if (found.rows.length > 0) return;
  await tolerateConcurrentCreation(knex, `CREATE ROLE ${role} NOLOGIN`);
}

/** Makes the migrating user a member of `role` unless it already is (a superuser always is). */
async function ensureMembership(knex: Knex, role: string): Promise<void> {
  const member = await knex.raw<{ rows: { member: boolean }[] }>(
    `SELECT pg_has_role(current_user, ?, 'MEMBER') AS member`,
    [role],
  );
  if (member.rows[0]?.member) return;
  await tolerateConcurrentCreation(knex, `GRANT ${role} TO CURRENT_USER`);
}

const CONCURRENT_ATTEMPTS = 10;
const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';

/**
 * Runs a statement on a shared catalog (roles, memberships) in a savepoint. Another database migrating on the
 * same server may create the same role or membership first: PostgreSQL then reports a duplicate (done, by
 * the other) or, for a catalog row both touch, "tuple concurrently updated" (try again shortly).
 */
async function tolerateConcurrentCreation(knex: Knex, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await knex.transaction((savepoint) => savepoint.raw(sql));
      return;
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      if (code === DUPLICATE_OBJECT || code === UNIQUE_VIOLATION) return;
      if (!/tuple concurrently updated/.test(message ?? '') || attempt >= CONCURRENT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
    }
  }
}

async function currentSchema(knex: Knex): Promise<string> {
  const result = await knex.raw<{ rows: { name: string }[] }>('SELECT current_schema() AS name');
  return quoteIdentifier(result.rows[0]!.name);
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
