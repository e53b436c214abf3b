import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { missingEntryText } from '../catalog/entry-version.ts';
import type { ObjectionMark } from '../warehouse/objections-repository.ts';
import { type DisclosureRow, disclosurePeriod } from './disclosure-period.ts';
import { type DisclosureState, disclosureState, type RepairMark } from './disclosure-state.ts';

/** What is known of one record: its status, its current version, its repair and objection marks. */
export interface RecordFacts {
  status: 'current' | 'withdrawn' | 'superseded';
  data: DisclosureRow;
  formationDate: string | null;
  /** Its credit repairs, oldest first. */
  repairs?: readonly RepairMark[] | undefined;
  objection?: ObjectionMark | undefined;
  /** False: on the (past) day asked, the record was not yet in the warehouse. */
  recorded?: boolean | undefined;
}

/**
 * A record's disclosure state on `asOf` under its catalog entry's rule: the entry version it was stored under
 * (entryVersion), never another. A record whose entry version is not in the catalog directory is never shown:
 * nothing says for how long it may be. Its reason is `version-missing` (目录版本文件缺失，公示状态未知), not the
 * `not-public` of an entry that is never shown, and `stored` (its code and version) names the missing file in the
 * label.
 */
export function recordDisclosure(
  entry: CatalogEntry | undefined,
  facts: RecordFacts,
  asOf: string,
  stored?: { code: string; version: number },
): DisclosureState {
  const rule = entry?.disclosure ?? {
    period: 'not-public' as const,
    repair: false,
    retention: 'permanent' as const,
    basis: 'catalog entry not found',
  };
  const period = disclosurePeriod(rule, facts.data, facts.formationDate);
  const state = disclosureState(
    {
      status: facts.status,
      period,
      repairs: facts.repairs,
      objection: facts.objection,
      recorded: facts.recorded,
    },
    asOf,
  );
  if (entry || !stored) return state;
  // Withdrawn or superseded says more than that; otherwise the disclosure is unknown, and why.
  if (state.reason !== 'not-public') return state;
  return {
    ...state,
    reason: 'version-missing',
    label: `公示状态未知，不公示：${missingEntryText(stored.code, stored.version)}`,
  };
}
