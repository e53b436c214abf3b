import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { entryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { recordsAsOf, repairMarks } from '../warehouse/disclosure-repository.ts';
import { objectionMarks } from '../warehouse/objections-repository.ts';
import type { DisclosureRow } from './disclosure-period.ts';
import type { DisclosureState } from './disclosure-state.ts';
import { recordDisclosure } from './record-disclosure.ts';
import { recordRetention } from './record-retention.ts';

/** A record as its disclosure needs it: status, catalog version, current version's data and formation date. */
export interface DisclosedRecord {
  id: number;
  status: 'current' | 'withdrawn' | 'superseded';
  catalogCode: string;
  catalogVersion: number;
  data: DisclosureRow;
  formationDate: string | null;
}

/**
 * `asOf` when that day has ended (Asia/Shanghai): a past day's state is read from the warehouse as it stood at the
 * day's end. Null for today or a later day: the present state is that day's, as far as anyone knows.
 */
export function pastDay(asOf: string, today: string = todayInShanghai()): string | null {
  return asOf < today ? asOf : null;
}

/**
 * The disclosure state of each record on `asOf`, by record id: two queries (repairs, objection marks) for all. For
 * a past day, a third reads each record's status and version as they stood at its end (they replace what
 * `records` gives; a record not yet in the warehouse then was not shown), and the objection marks are those of then.
 * `retention`: each state also says the record's 保存期限 that day (record-retention.ts).
 */
export async function disclosuresOf(
  warehouse: Warehouse,
  catalog: Catalog,
  records: readonly DisclosedRecord[],
  asOf: string,
  options: { retention?: boolean } = {},
): Promise<Map<number, DisclosureState>> {
  const ids = records.map((record) => record.id);
  const day = pastDay(asOf);
  const then = day === null ? undefined : await recordsAsOf(warehouse, ids, day);
  const repairs = await repairMarks(warehouse, ids);
  const objections = await objectionMarks(warehouse, ids, day);
  const states = new Map<number, DisclosureState>();
  for (const now of records) {
    const record = then?.get(now.id) ?? now;
    const recorded = then === undefined || then.has(now.id);
    const entry = entryVersion(catalog, record.catalogCode, record.catalogVersion);
    const state = recordDisclosure(
      entry,
      {
        status: record.status,
        data: record.data,
        formationDate: record.formationDate,
        repairs: repairs.get(record.id),
        objection: objections.get(record.id),
        recorded,
      },
      asOf,
      { code: record.catalogCode, version: record.catalogVersion },
    );
    // Under the same entry version as the state: a past day's version may be under another than today's.
    states.set(record.id, options.retention ? { ...state, retention: recordRetention(entry, state) } : state);
  }
  return states;
}
