import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { RECEIVED_DATE_SQL } from './scope-filter.ts';

/** One provider's deliveries in a period, counted from lineage (with its files' unchanged summaries) and rejections. */
export interface ProviderPeriodCounts {
  provider_code: string;
  /** Catalog entries it delivered, in code order. */
  entries: string[];
  level: string;
  sources: number;
  accepted: number;
  conflicts: number;
  late: number;
  rejected: number;
}

/** Per provider: what its files received in [from, to] (Shanghai dates) gave, optionally of one level. */
export async function providerPeriodCounts(
  warehouse: Warehouse,
  from: string,
  to: string,
  level: ChannelLevel | undefined,
): Promise<ProviderPeriodCounts[]> {
  const files = `SELECT f.id, f.provider_code, f.level, f.catalog_code FROM source_files f
    WHERE f.status = 'loaded' AND ${RECEIVED_DATE_SQL} BETWEEN ?::date AND ?::date
      AND (?::text IS NULL OR f.level = ?)`;
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
         FROM record_sources s JOIN files f ON f.id = s.source_file_id GROUP BY 1
         -- Unchanged rows a file's summary counts instead of lineage rows (017-compact-lineage): accepted.
         UNION ALL
         SELECT f.provider_code, sum(u.rows), sum(u.rows), 0, sum(u.late)
         FROM unchanged_deliveries u JOIN files f ON f.id = u.source_file_id GROUP BY 1
       ) parts GROUP BY 1),
     rejected AS (
       SELECT f.provider_code, count(*)::int AS rejected
       FROM rejections r JOIN files f ON f.id = r.source_file_id GROUP BY 1),
     entries AS (
       SELECT provider_code, array_agg(DISTINCT catalog_code ORDER BY catalog_code) AS entries,
         min(level) AS level
       FROM files GROUP BY 1)
     SELECT e.provider_code, e.entries, e.level, coalesce(l.sources, 0) AS sources,
       coalesce(l.accepted, 0) AS accepted, coalesce(l.conflicts, 0) AS conflicts, coalesce(l.late, 0) AS late,
       coalesce(r.rejected, 0) AS rejected
     FROM entries e LEFT JOIN lineage l USING (provider_code) LEFT JOIN rejected r USING (provider_code)`,
    bindings,
  );
  return rows;
}
