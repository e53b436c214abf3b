import type { Knex } from 'knex';
import type { RowError } from '../../connectors/row-error.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { keysetPages } from './keyset-pages.ts';
import { RECEIVED_DATE_SQL, type ReportScope, whereInScope } from './scope-filter.ts';
import type { UnitSession } from './unit-session.ts';

/** A file's rejections counted by error code, most frequent first. */
/** A rejected row as the reports and the console read it: its file's name beside it. */
export const REJECTION_COLUMNS = [
  'r.id',
  'f.name as file',
  'r.source_file_id',
  'r.run_id',
  'r.row_number',
  'r.catalog_code',
  'r.provider_code',
  'r.raw',
  'r.errors',
] as const;

export async function rejectionsByCode(
  session: UnitSession,
  sourceFileId: number,
): Promise<Record<string, number>> {
  const rows = await session.query<{ code: string; count: number }>(
    `SELECT error ->> 'code' AS code, count(*)::int AS count
     FROM rejections, jsonb_array_elements(errors) AS error WHERE source_file_id = $1 GROUP BY 1 ORDER BY 2 DESC`,
    [sourceFileId],
  );
  return Object.fromEntries(rows.map((row) => [row.code, row.count]));
}

/** What went wrong with a rejected row, without the wording: its (field, code) pairs in a fixed order. */
const problemsOf = (alias: string) =>
  `(SELECT coalesce(jsonb_agg(jsonb_build_array(e->>'field', e->>'code') ORDER BY e->>'field', e->>'code'), '[]')
    FROM jsonb_array_elements(${alias}.errors) AS e)`;

/**
 * The rejections of a scope, each problem once. Over a provider's date range the same problem comes back with
 * every re-delivery of a file whose other rows were fixed: **the same problem** is the same catalog entry, the
 * same delivered cells and the same errors (field and code), and only its latest delivery is listed (the file and
 * row the provider has now). A run or a file is one delivery: each of its rows is its own problem (two identical
 * rows in one file are `duplicate-key-in-batch`, both to fix).
 */
function inScopeOnce(query: Knex.QueryBuilder, scope: ReportScope): Knex.QueryBuilder {
  whereInScope(query, scope);
  if (scope.kind !== 'provider') return query;
  return query.whereRaw(
    `NOT EXISTS (
       SELECT 1 FROM rejections AS later JOIN source_files AS lf ON lf.id = later.source_file_id
       WHERE later.id > r.id AND later.catalog_code = r.catalog_code AND later.raw = r.raw
         AND lf.provider_code = ? AND ${RECEIVED_DATE_SQL.replaceAll('f.', 'lf.')} BETWEEN ?::date AND ?::date
         AND ${problemsOf('later')} = ${problemsOf('r')})`,
    [scope.providerCode, scope.from, scope.to],
  );
}

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
  }[] = await inScopeOnce(query, scope);
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
  const [row] = await inScopeOnce(query, scope);
  return Number(row?.count ?? 0);
}

export interface RejectionRow {
  id: number;
  file: string;
  sourceFileId: number;
  runId: number;
  rowNumber: number;
  catalogCode: string;
  providerCode: string;
  raw: Record<string, string>;
  errors: RowError[];
  /** Values the errors quote besides the row's own (a conflict's current version), for masking them. */
  current?: Record<string, string>;
}

// Rejected rows keep every cell as sent: a page of 5,000 rows of 30 KB each (a broken wide export) took 150 MB of
// the CLI's 192 MB heap while the run summary's report was written. 1,000 bounds it at a fifth of that.
const PAGE = 1000;

/** A rejection as `REJECTION_COLUMNS` select it (snake_case columns). */
export interface RejectionRecord {
  id: number;
  file: string;
  source_file_id: number;
  run_id: number;
  row_number: number;
  catalog_code: string;
  provider_code: string;
  raw: Record<string, string>;
  errors: RowError[];
}

/**
 * A run's or a provider's scope again on the rejection's own columns, which are its file's (a rejection is written
 * with its file's run and provider): a page then starts among the scope's rejections (rejections_run_id,
 * rejections_provider_id) instead of walking every earlier one by id. After three nights of 10,000 rejections, the
 * first page of the third night's report read 20,000 rows to find its 1,000 (51 of its 57 ms), and a year of
 * nights would make that 3.6 million. A file's scope needs no repeating: the planner carries `f.id = …` over the
 * join to `r.source_file_id` (rejections_file_id).
 */
function onRejectionColumns(query: Knex.QueryBuilder, scope: ReportScope): Knex.QueryBuilder {
  if (scope.kind === 'run') return query.where('r.run_id', scope.runId);
  if (scope.kind === 'provider') return query.where('r.provider_code', scope.providerCode);
  return query;
}

/**
 * A page is read in id order from the scope's index (rejections_run_id, rejections_file_id,
 * rejections_provider_id: each `(scope column, id)`), never fetched whole and sorted, whatever the statistics say.
 * Right after a big load, before autovacuum has analyzed the table, the planner guessed a run's 240,000
 * rejections at 14 rows and took a bitmap scan of every remaining rejection of the run plus a sort for each page
 * (340 ms a page, each page as slow as the first) against 1 ms reading 1,000 entries in index order. Ordering by
 * `run_id, id` does not change that plan (the planner drops a column fixed by the WHERE from the order), so the
 * page runs with sorting disabled in a transaction of its own: the index order is the plan left. Called inside
 * a caller's transaction (a notice's rows), that is a savepoint, which a SET LOCAL outlives: the setting is put
 * back before the rows are yielded.
 */
async function inIndexOrder<Row>(warehouse: Warehouse, page: (trx: Knex.Transaction) => Promise<Row[]>) {
  return warehouse.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { before: string }[] }>(
      `SELECT current_setting('enable_sort') AS before, set_config('enable_sort', 'off', true)`,
    );
    const found = await page(trx);
    await trx.raw(`SELECT set_config('enable_sort', ?, true)`, [rows[0]!.before]);
    return found;
  });
}

/** The rejections of a scope (optionally of one catalog entry) in id order, page by page (keyset). */
export async function* rejectionsIn(
  warehouse: Warehouse,
  scope: ReportScope,
  catalogCode?: string,
): AsyncGenerator<RejectionRow> {
  const pages = keysetPages<RejectionRecord>(PAGE, (after) =>
    inIndexOrder(warehouse, (trx) => {
      const query = trx('rejections as r')
        .join('source_files as f', 'f.id', 'r.source_file_id')
        .andWhere('r.id', '>', after)
        .orderBy('r.id')
        .limit(PAGE)
        .select(...REJECTION_COLUMNS);
      if (catalogCode) query.where('r.catalog_code', catalogCode);
      return inScopeOnce(onRejectionColumns(query, scope), scope);
    }),
  );
  for await (const row of pages) yield rejectionRow(row);
}

/** A rejection as the readers take it. */
export function rejectionRow(row: RejectionRecord): RejectionRow {
  return {
    id: row.id,
    file: row.file,
    sourceFileId: row.source_file_id,
    runId: row.run_id,
    rowNumber: row.row_number,
    catalogCode: row.catalog_code,
    providerCode: row.provider_code,
    raw: row.raw,
    errors: row.errors,
  };
}

/** The catalog entries that have rejections in the scope, in code order. */
export async function rejectedCatalogCodes(warehouse: Warehouse, scope: ReportScope): Promise<string[]> {
  const query = warehouse('rejections as r')
    .join('source_files as f', 'f.id', 'r.source_file_id')
    .distinct('r.catalog_code')
    .orderBy('r.catalog_code');
  const rows: { catalog_code: string }[] = await whereInScope(query, scope);
  return rows.map((row) => row.catalog_code);
}

/**
 * The catalog version each given file was read by (`source_files.catalog_version`): a rejection's `raw` is keyed
 * by that version's fields, so a report shows it in that version's layout (report-columns.ts layoutColumns).
 */
export async function fileCatalogVersions(
  warehouse: Warehouse,
  sourceFileIds: readonly number[],
): Promise<Map<number, number | null>> {
  if (sourceFileIds.length === 0) return new Map();
  const rows: { id: number; catalog_version: number | null }[] = await warehouse('source_files')
    .whereIn('id', [...new Set(sourceFileIds)])
    .select('id', 'catalog_version');
  return new Map(rows.map((row) => [row.id, row.catalog_version]));
}

/**
 * The files of a scope's rejections of one entry, each with the catalog version it was read by and the columns it
 * carried (the fields its header was read as, `source_files.columns`; a rejection's `raw` is keyed by them), so
 * that a report can group them by layout before writing. Read from the scope's files, each asked whether it has a
 * rejection of the entry (rejections_file_id: the first index entry answers): the cost follows the files, not the
 * rejections. Expanding every rejection's `raw` keys instead took 6 to 11 s for a run of 200,000 rejections in two
 * files, against under 10 ms this way.
 * A file with no recorded header (none is stored before its unit finishes, and rejections are written in that unit)
 * falls back on the keys of its first rejection.
 */
export async function rejectedFileLayouts(
  warehouse: Warehouse,
  scope: ReportScope,
  catalogCode: string,
): Promise<{ sourceFileId: number; catalogVersion: number | null; columns: string[] }[]> {
  const query = warehouse('source_files as f')
    .whereExists(
      warehouse('rejections as r')
        .whereRaw('r.source_file_id = f.id')
        .where('r.catalog_code', catalogCode)
        .select(warehouse.raw('1')),
    )
    .orderBy('f.id')
    .select(
      'f.id',
      'f.catalog_version',
      warehouse.raw(
        `CASE WHEN jsonb_typeof(f.columns) = 'array'
           THEN array(SELECT c->>'field' FROM jsonb_array_elements(f.columns) AS c WHERE c->>'field' IS NOT NULL)
           ELSE array(SELECT jsonb_object_keys(first.raw) FROM (
             SELECT r.raw FROM rejections AS r WHERE r.source_file_id = f.id AND r.catalog_code = ?
             ORDER BY r.id LIMIT 1) AS first)
         END AS columns`,
        [catalogCode],
      ),
    );
  const rows: { id: number; catalog_version: number | null; columns: string[] }[] = await whereInScope(
    query,
    scope,
  );
  return rows.map((row) => ({
    sourceFileId: Number(row.id),
    catalogVersion: row.catalog_version,
    columns: row.columns,
  }));
}
