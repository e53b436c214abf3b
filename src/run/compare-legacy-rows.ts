import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { compileContentHash } from '../dedupe/content-hash.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';
import { stagedBesideOtherLayout, takeCurrentContentHash } from '../warehouse/staging-repository.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';

/**
 * A delivery in a legacy layout (the 2016 双公示 one) of a decision the warehouse holds in a newer layout: the
 * old layout cannot carry the fields the new one added, so its row always hashes differently. Whether it really
 * differs is decided on the fields the legacy layout carries (its version's schema: `absent` fields are not
 * there): the current version's content is hashed by the legacy version, and where the hashes agree the staged
 * row takes the current version's hash, so the merge finds it unchanged (or merged from another channel) and no
 * version is made. A row that differs on a carried field stays as it is: a correction, a new version.
 * The other way round (2021 after 2016) is new content and is left to the merge.
 * Returns the number of rows found equal.
 */
export async function compareLegacyRows(session: UnitSession, entry: CatalogEntry): Promise<number> {
  if (!entry.legacyLayout) return 0;
  const candidates = await stagedBesideOtherLayout(session, entry.code, entry.version);
  if (candidates.length === 0) return 0;
  const carriedHash = compileContentHash(entry);
  const equal = candidates.filter(
    (candidate) => carriedHash(candidate.currentData as NormalizedRow) === candidate.stagedHash,
  );
  return takeCurrentContentHash(session, equal);
}
