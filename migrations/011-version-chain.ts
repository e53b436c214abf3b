import type { Knex } from 'knex';

/**
 * Tamper evidence (issue #15): every version carries `chain_hash`, a sha256 over the previous version's
 * chain_hash (same record, version_no − 1; empty for version 1) and this version's whole row, so a version
 * changed, removed or re-hashed behind the engine's back no longer fits the chain `credit-etl verify`
 * recomputes. Each loaded source file carries `digest`, over what it added (its lineage rows and the chain
 * hashes of the versions they created, in row order), set once by the loader in the unit's transaction.
 *
 * The row is hashed as jsonb without `chain_hash` and with null columns left out: a column added later
 * (nullable, e.g. a procedure's id) is covered from then on without changing any existing chain. A column
 * added with a non-null default would change every existing hash: such a migration must recompute the
 * chains (as this one does). TimeZone is fixed for the hash: a timestamptz in jsonb is written in the
 * session's zone, and a verify run from another zone must recompute the same text.
 *
 * The version also records the subject it was filed under (`subject_code`, written by the merge), so
 * `records.subject_code` can be checked against the current version's: a subject moved by an UPDATE of
 * `records` alone is named by verify.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE record_versions ADD COLUMN subject_code text;
    ALTER TABLE record_versions ADD COLUMN chain_hash text;
    ALTER TABLE source_files ADD COLUMN digest text;
    COMMENT ON COLUMN record_versions.chain_hash IS
      'sha256(previous version''s chain_hash || the row): version_chain_hash(); set by a trigger on insert';
    COMMENT ON COLUMN source_files.digest IS
      'sha256 over what the file added (lineage rows and the chain hashes of its versions): source_file_digest()';

    CREATE FUNCTION version_chain_hash(previous text, version record_versions) RETURNS text
      LANGUAGE sql STABLE SET "TimeZone" = 'UTC' AS $$
        -- The row data is appended as its own text, not merged back into the jsonb: a second copy of a large
        -- document per version cost more than the hash itself (bench/chain-cost.ts).
        SELECT encode(sha256(convert_to(
          COALESCE(previous, '') || ':'
            || jsonb_strip_nulls(to_jsonb(version) - 'chain_hash' - 'data')::text || ':' || version.data::text,
          'UTF8')), 'hex')
      $$;

    -- What a loaded file added, in row order: its lineage rows (outcome and content) and, for the versions it
    -- created, their chain hashes. Versions are reached through lineage (indexed by file): every version a
    -- file creates has a lineage row 'inserted' or 'updated' pointing at it (merge-staged.ts).
    CREATE FUNCTION source_file_digest(file_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT encode(sha256(convert_to(COALESCE(string_agg(
          s.row_number || ':' || s.outcome || ':' || s.content_hash || ':' || COALESCE(v.chain_hash, ''),
          E'\\n' ORDER BY s.row_number, s.id), ''), 'UTF8')), 'hex')
      FROM record_sources s
      LEFT JOIN record_versions v ON v.id = s.version_id AND s.outcome IN ('inserted', 'updated')
      WHERE s.source_file_id = file_id
    $$;

    -- Hook for legal procedures (procedure_log, 012): true when a procedure left the record's current version
    -- other than its highest (a withdrawal, a restoration). Until then, the highest version is always current.
    CREATE FUNCTION procedure_explains_current(record_id bigint, version_id bigint) RETURNS boolean
      LANGUAGE sql STABLE AS $$ SELECT false $$;
  `);
  await chainExistingVersions(knex);
  await knex.raw(`
    ALTER TABLE record_versions ALTER COLUMN chain_hash SET NOT NULL;

    -- Every path that appends a version (the merge, a legal procedure) is chained here, with no coordination.
    -- Named to fire after any other BEFORE INSERT trigger (they fire in name order): the hash is of the row
    -- as stored.
    CREATE FUNCTION chain_record_version() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      previous text := '';
    BEGIN
      IF NEW.version_no > 1 THEN
        SELECT v.chain_hash INTO previous FROM record_versions v
        WHERE v.record_id = NEW.record_id AND v.version_no = NEW.version_no - 1;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'record_versions: record % has no version % to chain version % to',
            NEW.record_id, NEW.version_no - 1, NEW.version_no;
        END IF;
      END IF;
      NEW.chain_hash := version_chain_hash(previous, NEW);
      RETURN NEW;
    END $$;
    CREATE TRIGGER zz_record_versions_chain BEFORE INSERT ON record_versions
      FOR EACH ROW EXECUTE FUNCTION chain_record_version();

    -- A file's digest is written once, by the loader; afterwards only the procedure role may change it.
    CREATE FUNCTION forbid_digest_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.digest IS NOT NULL AND NEW.digest IS DISTINCT FROM OLD.digest
         AND current_user <> 'credit_etl_procedure' THEN
        RAISE EXCEPTION 'source_files.digest of file % is set once by the loader and never changed', OLD.id;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER source_files_digest_once BEFORE UPDATE OF digest ON source_files
      FOR EACH ROW EXECUTE FUNCTION forbid_digest_change();
  `);
}

/**
 * An existing warehouse: versions get their chain in version order (one set-based statement per version
 * number), loaded files their digest. The append-only guard is switched off for this transaction only: ALTER
 * TABLE holds an exclusive lock until the migration commits, so no other session writes meanwhile. The
 * current version's subject is taken from its record (the only place it was kept); older versions have none.
 */
async function chainExistingVersions(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE record_versions DISABLE TRIGGER record_versions_append_only');
  await knex.raw(`UPDATE record_versions v SET subject_code = r.subject_code
    FROM records r WHERE r.current_version_id = v.id AND r.id = v.record_id`);
  const { rows } = await knex.raw<{ rows: { highest: number | null }[] }>(
    'SELECT max(version_no) AS highest FROM record_versions',
  );
  const highest = rows[0]?.highest ?? 0;
  for (let versionNo = 1; versionNo <= highest; versionNo++) {
    await knex.raw(
      `UPDATE record_versions v SET chain_hash = version_chain_hash(
         CASE WHEN v.version_no = 1 THEN '' ELSE (SELECT p.chain_hash FROM record_versions p
           WHERE p.record_id = v.record_id AND p.version_no = v.version_no - 1) END, v)
       WHERE v.version_no = ?`,
      [versionNo],
    );
  }
  await knex.raw('ALTER TABLE record_versions ENABLE TRIGGER record_versions_append_only');
  await knex.raw(`UPDATE source_files SET digest = source_file_digest(id) WHERE status = 'loaded'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER source_files_digest_once ON source_files;
    DROP TRIGGER zz_record_versions_chain ON record_versions;
    DROP FUNCTION forbid_digest_change(), chain_record_version(), procedure_explains_current(bigint, bigint),
      source_file_digest(bigint), version_chain_hash(text, record_versions);
    ALTER TABLE source_files DROP COLUMN digest;
    ALTER TABLE record_versions DISABLE TRIGGER record_versions_append_only;
    ALTER TABLE record_versions DROP COLUMN chain_hash, DROP COLUMN subject_code;
    ALTER TABLE record_versions ENABLE TRIGGER record_versions_append_only;
  `);
}
