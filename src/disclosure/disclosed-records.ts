import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { entryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type DisclosureRecordRow, disclosurePage } from '../warehouse/disclosure-repository.ts';
import { keysetPages } from '../warehouse/keyset-pages.ts';
import { type ObjectionMark, objectionMarks } from '../warehouse/objections-repository.ts';
import type { DisclosureState } from './disclosure-state.ts';
import { recordDisclosure } from './record-disclosure.ts';
import { pastDay } from './record-disclosures.ts';

/** Records read per page: memory stays flat whatever the size of the warehouse. */
export const DISCLOSURE_PAGE_SIZE = 1000;

export interface DisclosedRecordState {
  record: DisclosureRecordRow;
  entry: CatalogEntry | undefined;
  state: DisclosureState;
}

/**
 * Every record of one catalog entry (every status) with its disclosure state on `asOf`, in id order, read by
 * keyset pages; each page's objection marks are read in one query, its repairs come with the page. For a past
 * day, each record's status, version and objection marks as they stood at its end.
 */
export async function* entryDisclosures(
  warehouse: Warehouse,
  catalog: Catalog,
  catalogCode: string,
  asOf: string,
  pageSize = DISCLOSURE_PAGE_SIZE,
): AsyncGenerator<DisclosedRecordState> {
  const day = pastDay(asOf);
  let marks = new Map<number, ObjectionMark>();
  const records = keysetPages(pageSize, async (after) => {
    const page = await disclosurePage(warehouse, catalogCode, after, pageSize, day);
    marks = await objectionMarks(
      warehouse,
      page.map((record) => record.id),
      day,
    );
    return page;
  });
  for await (const record of records) {
    const entry = entryVersion(catalog, record.catalogCode, record.catalogVersion);
    const state = recordDisclosure(
      entry,
      {
        status: record.status,
        data: record.data,
        formationDate: record.formationDate,
        repairs: record.repairs,
        objection: marks.get(record.id),
      },
      asOf,
      { code: record.catalogCode, version: record.catalogVersion },
    );
    yield { record, entry, state };
  }
}
