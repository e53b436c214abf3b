import type { Knex } from 'knex';

/**
 * `source_file_digest` (011, extended by 017) as plpgsql, the same expression. A SQL function that cannot be
 * inlined (its body has sub-selects) is planned with its argument unknown: the planner took the file's lineage
 * for a share of the whole table and hash-joined every version of the warehouse to it. Measured on a warehouse of
 * a million versions: 0.85 s to digest a file of 10,000 lineage rows, 0.03 s with the file's id known, and the
 * first grew with the warehouse, for every loaded file and every file `verify` checks. plpgsql plans its query
 * for the value it is called with. The text hashed is unchanged, so every stored digest still verifies.
 */
const DIGEST_QUERY = `
  SELECT encode(sha256(convert_to(
    (SELECT COALESCE(string_agg(
        s.row_number || ':' || s.outcome || ':' || s.content_hash || ':' || COALESCE(v.chain_hash, ''),
        E'\\n' ORDER BY s.row_number, s.id), '')
     FROM record_sources s
     LEFT JOIN record_versions v ON v.id = s.version_id AND s.outcome IN ('inserted', 'updated')
     WHERE s.source_file_id = file_id)
    || COALESCE((
      SELECT E'\\nunchanged:' || u.rows || ':' || u.late || ':' || u.absent || ':' || COALESCE((
        SELECT string_agg(a.record_id::text, ',' ORDER BY a.record_id)
        FROM unchanged_delivery_absences a WHERE a.source_file_id = file_id), '')
      FROM unchanged_deliveries u WHERE u.source_file_id = file_id), ''),
    'UTF8')), 'hex')`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION source_file_digest(file_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
    BEGIN
      RETURN (${DIGEST_QUERY});
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION source_file_digest(file_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
      ${DIGEST_QUERY}
    $$;
  `);
}
