import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { FileFinding, VerifyScope } from './integrity-finding.ts';

/**
 * One page of loaded files (keyset: id above `after`), each digest recomputed by the same function the loader
 * used (source_file_digest, 011-version-chain); only the page's mismatches come back.
 */
const DIGEST_PAGE = `
  WITH page AS (
    SELECT id, name, catalog_code, digest FROM source_files
    WHERE id > ? AND status = 'loaded' AND (?::text IS NULL OR catalog_code = ?)
      AND (?::timestamptz IS NULL OR started_at >= ?)
    ORDER BY id LIMIT ?
  ),
  checked AS (SELECT page.*, source_file_digest(page.id) AS recomputed FROM page)
  SELECT (SELECT max(id) FROM page) AS last_id, (SELECT count(*) FROM page)::int AS files,
    COALESCE((
      SELECT json_agg(json_build_object('sourceFileId', id, 'name', name, 'catalogCode', catalog_code,
        'problem', 'file-digest-differs',
        'detail', 'stored ' || COALESCE(left(digest, 16), 'nothing') || ', recomputed ' || left(recomputed, 16))
        ORDER BY id)
      FROM checked WHERE digest IS DISTINCT FROM recomputed), '[]') AS findings`;

export interface DigestPage {
  files: number;
  findings: FileFinding[];
}

/** Every loaded file in scope, a page at a time, with the ones whose digest no longer fits. */
export async function* verifyFileDigests(
  warehouse: Warehouse,
  scope: VerifyScope,
  pageSize = 1_000,
): AsyncGenerator<DigestPage> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  let after = 0;
  for (;;) {
    const { rows } = await warehouse.raw<{
      rows: { last_id: number | null; files: number; findings: FileFinding[] }[];
    }>(DIGEST_PAGE, [after, catalog, catalog, since, since, pageSize]);
    const page = rows[0];
    if (!page || page.last_id === null) return;
    yield { files: page.files, findings: page.findings };
    after = page.last_id;
  }
}
