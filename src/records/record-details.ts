import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { entryVersion, entryVersionOrNewest } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { disclosuresOf, pastDay } from '../disclosure/record-disclosures.ts';
import { clearFieldMaskerOf, fieldMaskerOf } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { objectionMarks } from '../warehouse/objections-repository.ts';
import { recordHistory } from './record-history.ts';
import { type RecordView, recordView } from './record-view.ts';

/** A record as `record` and the console show it, with the catalog entry its current version follows. */
export interface RecordDetails {
  view: RecordView;
  entry: CatalogEntry | undefined;
}

/**
 * Everything about one record: versions, lineage, conflicts side by side, its disclosure state and 保存期限, its
 * objection mark and its refused withdrawal requests on `asOf` (a past day's as they stood at its end). Personal data
 * masked unless `unmasked` (an entitled person asked; the caller logs it).
 */
export async function recordDetails(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  asOf: string,
  options: { unmasked?: boolean } = {},
): Promise<RecordDetails | undefined> {
  // A past day's refused withdrawal requests are those refused by its end, as its objection mark below is then's.
  const history = await recordHistory(warehouse, recordId, pastDay(asOf));
  if (!history) return undefined;
  const { record, versions } = history;
  const current = versions.find((version) => version.id === record.currentVersionId) ?? versions.at(-1);
  // The version its current version was stored under, exactly (undefined when catalog/ no longer has it: its
  // disclosure then says so); masked by the newest when it is missing, never less.
  const entry = current && entryVersion(catalog, record.catalogCode, current.catalogVersion);
  const maskedBy = entry ?? entryVersionOrNewest(catalog, record.catalogCode, current?.catalogVersion);
  const disclosure = current
    ? (
        await disclosuresOf(
          warehouse,
          catalog,
          [
            {
              id: record.id,
              status: record.status,
              catalogCode: record.catalogCode,
              catalogVersion: current.catalogVersion,
              data: current.data,
              formationDate: current.formationDate,
            },
          ],
          asOf,
          { retention: true },
        )
      ).get(record.id)
    : undefined;
  // A past day's mark is that day's (an objection received since is not shown for it).
  const marks = await objectionMarks(warehouse, [record.id], pastDay(asOf));
  const masker = options.unmasked ? clearFieldMaskerOf(maskedBy) : fieldMaskerOf(maskedBy);
  return {
    view: {
      ...recordView(history, entry, disclosure ?? null, masker),
      objection: marks.get(record.id) ?? null,
    },
    entry,
  };
}
