import type { UnitSession } from '../warehouse/unit-session.ts';

/**
 * Fixes what a unit added (its lineage rows and the chain hashes of its versions) as the file's digest, in the
 * unit's transaction, once its merge is done. The hash is the database's own (source_file_digest,
 * 011-version-chain), the one `credit-etl verify` recomputes; the database refuses to change it afterwards.
 */
export async function storeFileDigest(session: UnitSession, sourceFileId: number): Promise<string> {
  const [row] = await session.query<{ digest: string }>(
    'UPDATE source_files SET digest = source_file_digest(id) WHERE id = $1 RETURNING digest',
    [sourceFileId],
  );
  if (!row) throw new Error(`file digest: source file ${sourceFileId} not found`);
  return row.digest;
}
