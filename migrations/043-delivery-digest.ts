import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A loaded file's digest (011, 017, 025: `source_file_digest`, "v1") covers its lineage rows' row number, outcome
 * and content hash, the chain hashes of the versions it created and its compact summary — not what identifies the
 * delivery: the file's provider, channel, received time, run or name, the lineage rows' ids, record and version
 * ids, channel and conflict data, nor the file's rejections. A superuser with the triggers off could rewrite those
 * and `verify` saw nothing.
 *
 * Extending v1 would change every stored digest (every file has a provider), and v1's text is what the loader,
 * the tests and the operators' logged digests rely on: it stays as it is. Each file loaded from now on gets a
 * second digest, `digest_v2`, over its v1 digest as stored and everything above (every column of the file row —
 * those fixed at insert, and its bookkeeping: status, sha256, encoding, columns, counts, blank lines, threshold and
 * full-dump decisions, `forced`/`same_content_as`, error, finish —, each lineage row but its `late`/`working_days`
 * — the calendar recompute settles those —, the summary's channel, and each rejection: id, run, row number,
 * catalog, provider, the raw row and its errors: field, code, value). The sha256 is the ledger that skips a file
 * sent again and the counts are its "nothing is lost" accounting (read = inserted + … + rejected): rewritten, a
 * re-sent file would be loaded again or skipped wrongly, or a row would be lost unseen. Files loaded before keep
 * verifying under v1 alone (`digest_v2` null).
 *
 * `digest_v2` is set by the database, not by the loader: a trigger computes it when the file's digest is set (the
 * loader's `storeFileDigest`, the unit's last write before its commit: after the merge, when every lineage row and
 * rejection of the file is written, and after `finishSourceFile` stored its sha256, counts, encoding and columns),
 * and whatever the loader put there is replaced. The loader has no UPDATE privilege on the column, and 041's
 * `source_files_written_once` keeps it as recorded once the unit's transaction ends. A plain BEFORE INSERT OR
 * UPDATE trigger, not `UPDATE OF digest`: a column list would tie the trigger to 011's column. What anchors it
 * outside the database is the run log: the loader reads `digest_v2` back as the trigger set it and logs it with v1
 * (`file … loaded`, `digestV2`), so a superuser who nulls or recomputes it is caught against the kept log.
 *
 * Every value is rendered unambiguously (composite text per row, times in UTC whatever the session's time zone),
 * so a value cannot move from one field to the next with the digest unchanged.
 */
const { loader, procedure, officer, reader } = WAREHOUSE_ROLES;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '043-delivery-digest');
  await knex.raw(`
    ALTER TABLE source_files ADD COLUMN digest_v2 text;
    COMMENT ON COLUMN source_files.digest_v2 IS
      'sha256 over the file''s v1 digest, its row (provider, channel, received, run, sha256, counts…), its lineage with ids and conflict data, and its rejections: source_file_digest_v2()';

    -- Rows as composite text (ROW(...)::text: NULL and '' differ, a value holding a comma is quoted), under
    -- fixed TimeZone and DateStyle, so the text does not depend on the session. What v1 holds already (row number,
    -- outcome, content hash) is covered through f.digest; a lineage row's run, provider, level and received time
    -- are its file's unless rewritten, so only a difference is written (NULLIF). Measured on 1M generated lineage
    -- rows: 1.3 s and 32 bytes a row, where v1's own aggregate takes 1.1 s (a JSON array a row took 7.6 s and
    -- 176 bytes, and would reach PostgreSQL's 1 GB limit on a text at ~6M rows).
    CREATE FUNCTION source_file_digest_v2(f source_files) RETURNS text LANGUAGE plpgsql STABLE
      ${pinned} SET TimeZone = 'UTC' SET DateStyle = 'ISO, YMD' AS $$
    BEGIN
      RETURN encode(sha256(convert_to(
        ROW('file', 2, f.id, f.digest, f.run_id, f.name, f.path, f.size_bytes, f.format, f.catalog_code,
          f.catalog_version, f.provider_code, f.level, f.received_at, f.started_at, f.status, f.sha256, f.encoding,
          f.columns, f.counts, f.blank_lines, f.threshold, f.full_dump, f.forced, f.same_content_as, f.error_code,
          f.error, f.finished_at)::text
        || COALESCE((
          SELECT string_agg(E'\\n' || ROW(s.id, s.record_id, s.version_id, NULLIF(s.run_id, f.run_id),
              NULLIF(s.provider_code, f.provider_code), NULLIF(s.level, f.level), s.conflict_data,
              NULLIF(s.received_at, f.received_at), s.pending_formation_date, s.withdrawal_signal, s.warnings)::text,
              '' ORDER BY s.id)
          FROM record_sources s WHERE s.source_file_id = f.id), '')
        || COALESCE((
          SELECT E'\\nunchanged' || ROW(u.run_id, u.catalog_code, u.provider_code, u.level, u.rows, u.late,
              u.absent)::text
          FROM unchanged_deliveries u WHERE u.source_file_id = f.id), '')
        || COALESCE((
          SELECT string_agg(E'\\nrejection' || ROW(r.id, NULLIF(r.run_id, f.run_id), r.row_number,
              NULLIF(r.catalog_code, f.catalog_code), NULLIF(r.provider_code, f.provider_code), r.raw,
              r.errors)::text, '' ORDER BY r.id)
          FROM rejections r WHERE r.source_file_id = f.id), ''),
        'UTF8')), 'hex');
    END $$;

    -- Before source_files_written_once (name order), after source_files_digest_once: its refusal comes first.
    CREATE FUNCTION source_files_digest_v2() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF TG_OP = 'INSERT' OR NEW.digest IS DISTINCT FROM OLD.digest THEN
        NEW.digest_v2 := CASE WHEN NEW.digest IS NOT NULL THEN source_file_digest_v2(NEW) END;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER source_files_digest_v2 BEFORE INSERT OR UPDATE ON source_files
      FOR EACH ROW EXECUTE FUNCTION source_files_digest_v2();
  `);
  await knex.raw('REVOKE ALL ON FUNCTION source_file_digest_v2(source_files) FROM PUBLIC');
  await knex.raw(
    `GRANT EXECUTE ON FUNCTION source_file_digest_v2(source_files) TO ${loader}, ${procedure}, ${officer}, ${reader}`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER source_files_digest_v2 ON source_files;
    DROP FUNCTION source_files_digest_v2();
    DROP FUNCTION source_file_digest_v2(source_files);
    ALTER TABLE source_files DROP COLUMN digest_v2;
  `);
}
