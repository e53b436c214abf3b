import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type ReportScope, whereInScope } from './report-scope.ts';

/** Errors of a scope counted by catalog entry, field and code, with one of the Chinese messages. */
export interface ErrorCount {
  catalogCode: string;
  field: string;
  code: string;
  count: number;
  /** One of the messages for this field and code (messages name the value: mask before use). */
  message: string;
  /** The value that message names, so that a personal one can be masked where the message quotes it. */
  value: string;
}

/** Counted in the database: the summary sheet is written before the streamed row sheets. */
export async function countErrors(warehouse: Warehouse, scope: ReportScope): Promise<ErrorCount[]> {
  const query = warehouse('rejections as r')
    .join('source_files as f', 'f.id', 'r.source_file_id')
    .joinRaw('CROSS JOIN LATERAL jsonb_array_elements(r.errors) AS e')
    .select(
      'r.catalog_code',
      warehouse.raw(`e->>'field' AS field`),
      warehouse.raw(`e->>'code' AS code`),
      warehouse.raw('count(*)::int AS count'),
      warehouse.raw(`min(e->>'message') AS message`),
      warehouse.raw(`(array_agg(e->>'value' ORDER BY e->>'message'))[1] AS value`),
    )
    .groupByRaw(`r.catalog_code, e->>'field', e->>'code'`)
    .orderByRaw(`count(*) DESC, r.catalog_code, e->>'code', e->>'field'`);
  const rows: {
    catalog_code: string;
    field: string;
    code: string;
    count: number;
    message: string;
    value: string | null;
  }[] = await whereInScope(query, scope);
  return rows.map((row) => ({
    catalogCode: row.catalog_code,
    field: row.field,
    code: row.code,
    count: row.count,
    message: row.message ?? '',
    value: row.value ?? '',
  }));
}

/** Rejected rows in the scope (a row with three errors counts once). */
export async function countRejectedRows(warehouse: Warehouse, scope: ReportScope): Promise<number> {
  const query = warehouse('rejections as r')
    .join('source_files as f', 'f.id', 'r.source_file_id')
    .count<{ count: string }[]>({ count: '*' });
  const [row] = await whereInScope(query, scope);
  return Number(row?.count ?? 0);
}
