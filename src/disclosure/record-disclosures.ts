import { entryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { repairMarks } from '../warehouse/disclosure-repository.ts';
import { objectionMarks } from '../warehouse/objections-repository.ts';
import type { DisclosureRow } from './disclosure-period.ts';
import type { DisclosureState } from './disclosure-state.ts';
import { recordDisclosure } from './record-disclosure.ts';

/** A record as its disclosure needs it: status, catalog version, current version's data and formation date. */
export interface DisclosedRecord {
  id: number;
  status: 'current' | 'withdrawn' | 'superseded';
  catalogCode: string;
  catalogVersion: number;
  data: DisclosureRow;
  formationDate: string | null;
}

/** The disclosure state of each record on `asOf`, by record id: two queries (repairs, objection marks) for all. */
export async function disclosuresOf(
  warehouse: Warehouse,
  catalog: Catalog,
  records: readonly DisclosedRecord[],
  asOf: string,
): Promise<Map<number, DisclosureState>> {
  const ids = records.map((record) => record.id);
  const repairs = await repairMarks(warehouse, ids);
  const objections = await objectionMarks(warehouse, ids);
  const states = new Map<number, DisclosureState>();
  for (const record of records) {
    const entry = entryVersion(catalog, record.catalogCode, record.catalogVersion);
    states.set(
      record.id,
      recordDisclosure(
        entry,
        {
          status: record.status,
          data: record.data,
          formationDate: record.formationDate,
          repair: repairs.get(record.id),
          objection: objections.get(record.id),
        },
        asOf,
      ),
    );
  }
  return states;
}
