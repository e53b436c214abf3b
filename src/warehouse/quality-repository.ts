import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { RECEIVED_DATE_SQL } from './scope-filter.ts';

/**
 * One provider's deliveries in a period, counted from lineage (with its files' unchanged summaries) and rejections.
 * Lineage exists for loaded files only; rejections are counted for every file that stored them, a file held back
 * over its reject threshold (`failed-threshold`) included: the worst deliveries must weigh in the ranking (Art. 15).
 */
export interface ProviderPeriodCounts {
  provider_code: string;
  /** Catalog entries it delivered, in code order. */
  entries: string[];
  level: string;
  sources: number;
  accepted: number;
  conflicts: number;
  late: number;
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
  // rejections (a `failed` file is rolled back and stores none). Lineage and coverage read only the loaded ones;
  // rejections and held-back rows count as the run summary counts them (`read`, `rejected`).
  const files = `SELECT f.id, f.provider_code, f.level, f.catalog_code, f.status = 'loaded' AS loaded,
      CASE WHEN f.status = 'failed-threshold'
        THEN greatest(coalesce((f.counts->>'read')::bigint, 0) - coalesce((f.counts->>'rejected')::bigint, 0), 0)
        ELSE 0 END AS held
    FROM source_files f
    WHERE ${RECEIVED_DATE_SQL} BETWEEN ?::date AND ?::date
      AND (?::text IS NULL OR f.level = ?)
      AND (f.status IN ('loaded', 'failed-threshold')
        OR EXISTS (SELECT 1 FROM rejections x WHERE x.source_file_id = f.id))`;
  const bindings = [from, to, level ?? null, level ?? null];
  const { rows } = await warehouse.raw<{ rows: ProviderPeriodCounts[] }>(
    `WITH files AS (${files}),
     lineage AS (
       SELECT provider_code, sum(sources)::int AS sources, sum(accepted)::int AS accepted,
         sum(conflicts)::int AS conflicts, sum(late)::int AS late
       FROM (
         SELECT f.provider_code, count(*) AS sources,
           count(*) FILTER (WHERE s.outcome <> 'conflict') AS accepted,
           count(*) FILTER (WHERE s.outcome = 'conflict') AS conflicts,
           count(*) FILTER (WHERE s.late) AS late
         FROM record_sources s JOIN files f ON f.id = s.source_file_id WHERE f.loaded GROUP BY 1
         -- Unchanged rows a file's summary counts instead of lineage rows (017-compact-lineage): accepted.
         UNION ALL
         SELECT f.provider_code, sum(u.rows), sum(u.rows), 0, sum(u.late)
         FROM unchanged_deliveries u JOIN files f ON f.id = u.source_file_id WHERE f.loaded GROUP BY 1
       ) parts GROUP BY 1),
     rejected AS (
       SELECT f.provider_code, count(*)::int AS rejected
       FROM rejections r JOIN files f ON f.id = r.source_file_id GROUP BY 1),
     entries AS (
       SELECT provider_code,
         coalesce(array_agg(DISTINCT catalog_code ORDER BY catalog_code) FILTER (WHERE loaded), '{}') AS entries,
         min(level) AS level, sum(held)::int AS held
       FROM files GROUP BY 1)
     SELECT e.provider_code, e.entries, e.level, coalesce(l.sources, 0) AS sources,
       coalesce(l.accepted, 0) AS accepted, coalesce(l.conflicts, 0) AS conflicts, coalesce(l.late, 0) AS late,
       coalesce(r.rejected, 0) AS rejected, e.held
     FROM entries e LEFT JOIN lineage l USING (provider_code) LEFT JOIN rejected r USING (provider_code)`,
    bindings,
  );
  return rows;
}
