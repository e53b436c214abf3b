import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { RECEIVED_DATE_SQL } from './scope-filter.ts';

/**
 * One provider's deliveries in a period, counted from lineage (with its files' unchanged summaries) and rejections.
 * Lineage exists for loaded files only; rejections are counted for every file that stored them, a file held back
 * over its reject threshold (`failed-threshold`) included: the worst deliveries must weigh in the ranking (Art. 15).
 *
 * A row is new information, counted in `sources`, `accepted`, `conflicts` and `late`, unless it re-delivers what the
 * warehouse already had from the provider: then it is counted in `redelivered` alone, never in the volume nor in
 * lateness (a record is late when its first delivery was, docs/warehouse.md "Timeliness"). A re-delivery is
 *  - an `unchanged` row of a record the provider had delivered in an earlier file (a lineage row of its own at the
 *    same level; the same content first sent by another provider is this one's first delivery, a row repeated within
 *    one file is that file's duplicate), or any row its file's unchanged summary counts (017: the fast path takes
 *    only rows the provider's own channel delivered before), or
 *  - a `conflict` or `withdrawn` row holding exactly what the provider's latest lineage row of the record (same level)
 *    from an earlier file held: a stale row or a soft-deleted one sent again with every nightly full dump.
 * So rows read (`counts.read` of the files) = sources + redelivered + rejected + held.
 */
export interface ProviderPeriodCounts {
  provider_code: string;
  /**
   * Catalog entries it delivered data of, in code order: a loaded file with at least one valid row (lineage or
   * unchanged summary; an empty or wholly rejected file covers nothing), or a file skipped as byte-identical to such
   * a file (the sha256 ledger's `same_content_as`): the provider sent the entry's data again.
   */
  entries: string[];
  level: string;
  /** Rows of new information that passed validation: accepted + conflicts. */
  sources: number;
  /** New rows applied: inserted, updated, merged, withdrawn (an unchanged row is a re-delivery). */
  accepted: number;
  /** New conflicts: not one the provider had sent before with the same content. */
  conflicts: number;
  /** Of `sources`, late by the timeliness rule (pending rows are not late). */
  late: number;
  /** Re-deliveries: rows that brought nothing new (see above). No volume, no lateness. */
  redelivered: number;
  /** Rejected rows of every file in the period, held-back (`failed-threshold`) files included. */
  rejected: number;
  /**
   * Valid rows of held-back files: read, not rejected, deliberately not applied (the run summary counts them in
   * `read`). Not lineage: they have no outcome and no timeliness.
   */
  held: number;
}

/** Per provider: what its files received in [from, to] (Shanghai dates) gave, optionally of one level. */
export async function providerPeriodCounts(
  warehouse: Warehouse,
  from: string,
  to: string,
  level: ChannelLevel | undefined,
): Promise<ProviderPeriodCounts[]> {
  // The files of the period that were read: loaded, held back over a threshold, or any other that stored
  // rejections (a `failed` file is rolled back and stores none); and the files skipped as identical to a loaded one,
  // for coverage alone. Lineage reads only the loaded ones; rejections and held-back rows count as the run summary
  // counts them (`read`, `rejected`). `data_file` is the loaded file whose rows the file delivered: its own, or for a
  // skipped file the one it repeats byte for byte.
  const files = `SELECT f.id, f.provider_code, f.level, f.catalog_code, f.status = 'loaded' AS loaded,
      CASE f.status WHEN 'loaded' THEN f.id WHEN 'skipped' THEN f.same_content_as END AS data_file,
      CASE WHEN f.status = 'failed-threshold'
        THEN greatest(coalesce((f.counts->>'read')::bigint, 0) - coalesce((f.counts->>'rejected')::bigint, 0), 0)
        ELSE 0 END AS held
    FROM source_files f
    WHERE ${RECEIVED_DATE_SQL} BETWEEN ?::date AND ?::date
      AND (?::text IS NULL OR f.level = ?)
      AND (f.status IN ('loaded', 'failed-threshold', 'skipped')
        OR EXISTS (SELECT 1 FROM rejections x WHERE x.source_file_id = f.id))`;
  const bindings = [from, to, level ?? null, level ?? null];
  const { rows } = await warehouse.raw<{ rows: ProviderPeriodCounts[] }>(
    `WITH files AS (${files}),
     judged AS (
       SELECT f.provider_code, s.outcome, s.late,
         (s.outcome = 'unchanged' AND EXISTS (
           -- The provider had delivered the record in an earlier file: the same content another provider sent first
           -- is this provider's first delivery of it (its duty met), and a row repeated within one file is no
           -- re-delivery either (the file's own duplicate, counted as before).
           SELECT 1 FROM record_sources e
           WHERE e.record_id = s.record_id AND e.provider_code = s.provider_code AND e.level = s.level
             AND e.id < s.id AND e.source_file_id <> s.source_file_id))
         OR (s.outcome IN ('conflict', 'withdrawn') AND EXISTS (
           -- The provider's latest lineage row of the record at this level from an earlier file (a handful a record).
           SELECT 1 FROM (
             SELECT e.content_hash, e.outcome FROM record_sources e
             WHERE e.record_id = s.record_id AND e.provider_code = s.provider_code AND e.level = s.level
               AND e.id < s.id AND e.source_file_id <> s.source_file_id
             ORDER BY e.id DESC LIMIT 1) latest
           WHERE latest.content_hash = s.content_hash
             AND (latest.outcome = 'withdrawn') = (s.outcome = 'withdrawn'))) AS again
       FROM record_sources s JOIN files f ON f.id = s.source_file_id WHERE f.loaded),
     lineage AS (
       SELECT provider_code, sum(sources)::int AS sources, sum(accepted)::int AS accepted,
         sum(conflicts)::int AS conflicts, sum(late)::int AS late, sum(redelivered)::int AS redelivered
       FROM (
         SELECT provider_code, count(*) FILTER (WHERE NOT again) AS sources,
           count(*) FILTER (WHERE NOT again AND outcome <> 'conflict') AS accepted,
           count(*) FILTER (WHERE NOT again AND outcome = 'conflict') AS conflicts,
           count(*) FILTER (WHERE NOT again AND late) AS late,
           count(*) FILTER (WHERE again) AS redelivered
         FROM judged GROUP BY 1
         -- Unchanged rows a file's summary counts instead of lineage rows (017-compact-lineage): re-deliveries.
         UNION ALL
         SELECT f.provider_code, 0, 0, 0, 0, sum(u.rows)
         FROM unchanged_deliveries u JOIN files f ON f.id = u.source_file_id WHERE f.loaded GROUP BY 1
       ) parts GROUP BY 1),
     rejected AS (
       SELECT f.provider_code, count(*)::int AS rejected
       FROM rejections r JOIN files f ON f.id = r.source_file_id GROUP BY 1),
     covering AS (
       SELECT f.id FROM files f
       WHERE EXISTS (SELECT 1 FROM record_sources s WHERE s.source_file_id = f.data_file)
         OR EXISTS (SELECT 1 FROM unchanged_deliveries u WHERE u.source_file_id = f.data_file AND u.rows > 0)),
     entries AS (
       SELECT provider_code,
         coalesce(array_agg(DISTINCT catalog_code ORDER BY catalog_code)
           FILTER (WHERE id IN (SELECT id FROM covering)), '{}') AS entries,
         min(level) AS level, sum(held)::int AS held
       FROM files GROUP BY 1)
     SELECT e.provider_code, e.entries, e.level, coalesce(l.sources, 0) AS sources,
       coalesce(l.accepted, 0) AS accepted, coalesce(l.conflicts, 0) AS conflicts, coalesce(l.late, 0) AS late,
       coalesce(l.redelivered, 0) AS redelivered, coalesce(r.rejected, 0) AS rejected, e.held
     FROM entries e LEFT JOIN lineage l USING (provider_code) LEFT JOIN rejected r USING (provider_code)`,
    bindings,
  );
  return rows;
}
