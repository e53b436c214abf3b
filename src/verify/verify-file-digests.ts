import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { digestPages } from '../warehouse/integrity-repository.ts';
import type { FileFinding, VerifyScope } from './integrity-finding.ts';

export interface DigestPage {
  files: number;
  findings: FileFinding[];
}

/**
 * Every loaded file in scope, a page at a time, with the ones whose digest no longer fits: each digest is
 * recomputed by the same function the loader used (source_file_digest, 011-version-chain).
 */
export async function* verifyFileDigests(
  warehouse: Warehouse,
  scope: VerifyScope,
  pageSize = 1_000,
): AsyncGenerator<DigestPage> {
  yield* digestPages(warehouse, scope, pageSize);
}
