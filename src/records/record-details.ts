import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { entryVersion, entryVersionOrNewest } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { DisclosureState } from '../disclosure/disclosure-state.ts';
import { disclosuresOf, pastDay } from '../disclosure/record-disclosures.ts';
import { clearFieldMaskerOf, fieldMaskerOf } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { objectionMarks } from '../warehouse/objections-repository.ts';
import { recordThen } from '../warehouse/records-repository.ts';
import {
  historyAsOf,
  type RecordHistory,
  type RecordRow,
  recordHistory,
  type VersionRow,
} from './record-history.ts';
import { type RecordNotYetView, type RecordView, recordView } from './record-view.ts';

/** A record as `record` and the console show it, with the catalog entry its current version follows. */
export interface RecordDetails {
  view: RecordView;
  entry: CatalogEntry | undefined;
}

/** `record --as-of` a past day before the record was in the warehouse: what is said instead of its page. */
export interface RecordNotYet {
  notYet: RecordNotYetView;
}

/**
 * Everything about one record: versions, lineage, conflicts side by side, its disclosure state and 保存期限, its
 * objection mark and its refused withdrawal requests on `asOf`. A past day's is the record as it stood at the day's
 * end (recordThen, historyAsOf): its version and status of then, only what had happened by then, with counts of what
 * came later (`view.asOf`); a record with no version by then says so (RecordNotYet). Personal data masked unless
 * `unmasked` (an entitled person asked; the caller logs it), a past day's as much as today's.
 */
export async function recordDetailsAsOf(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  asOf: string,
  options: { unmasked?: boolean } = {},
): Promise<RecordDetails | RecordNotYet | undefined> {
  const day = pastDay(asOf);
  // A past day's refused withdrawal requests are those refused by its end, as its objection mark below is then's.
  const whole = await recordHistory(warehouse, recordId, day);
  if (!whole) return undefined;
  const then = day === null ? undefined : await recordThen(warehouse, recordId, day);
  if (day !== null && !then) return undefined;
  if (day !== null && then && then.versionId === null) {
    return { notYet: await notYetView(warehouse, catalog, whole, day, then.firstVersionAt) };
  }
  const cut = then && historyAsOf(whole, then);
  const history = cut?.history ?? whole;
  const { record, versions } = history;
  const current = versions.find((version) => version.id === record.currentVersionId) ?? versions.at(-1);
  // The version its current version was stored under, exactly (undefined when catalog/ no longer has it: its
  // disclosure then says so); masked by the newest when it is missing, never less.
  const entry = current && entryVersion(catalog, record.catalogCode, current.catalogVersion);
  const maskedBy = entry ?? entryVersionOrNewest(catalog, record.catalogCode, current?.catalogVersion);
  const disclosure = current && (await disclosureOn(warehouse, catalog, record, current, asOf));
  // A past day's mark is that day's (an objection received since is not shown for it).
  const marks = await objectionMarks(warehouse, [record.id], day);
  const masker = options.unmasked ? clearFieldMaskerOf(maskedBy) : fieldMaskerOf(maskedBy);
  // A past day's page masks the record's personal values of every version and delivery, as today's does, not
  // only those of then.
  const owned = cut
    ? masker.owning(
        [
          ...whole.versions.map((version) => version.data),
          ...whole.sources.flatMap((source) => (source.conflictData ? [source.conflictData] : [])),
        ],
        whole.record.subjectCode,
      )
    : masker;
  return {
    view: {
      ...recordView(history, entry, disclosure ?? null, owned),
      objection: marks.get(record.id) ?? null,
      ...(day !== null && cut ? { asOf: { day, recorded: true as const, later: cut.later } } : {}),
    },
    entry,
  };
}

/**
 * recordDetailsAsOf for a caller that wants a record's page only (tests read its view): undefined for a record not
 * found, or not yet in the warehouse on a past `asOf`.
 */
export async function recordDetails(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  asOf: string,
  options: { unmasked?: boolean } = {},
): Promise<RecordDetails | undefined> {
  const details = await recordDetailsAsOf(warehouse, catalog, recordId, asOf, options);
  return details && 'view' in details ? details : undefined;
}

/**
 * A record not yet in the warehouse at the end of `day`: its entry, its first version's time, that day's disclosure
 * state (its period and 保存期限 left out: they would be of a later version).
 */
async function notYetView(
  warehouse: Warehouse,
  catalog: Catalog,
  history: RecordHistory,
  day: string,
  firstVersionAt: Date,
): Promise<RecordNotYetView> {
  const { record } = history;
  const current =
    history.versions.find((version) => version.id === record.currentVersionId) ?? history.versions.at(-1);
  const entry = entryVersionOrNewest(catalog, record.catalogCode, current?.catalogVersion);
  // Today's version stands in: disclosuresOf reads the day's own state, and finds none (不公示：当日尚无此记录).
  const disclosure = current && (await disclosureOn(warehouse, catalog, record, current, day));
  return {
    id: record.id,
    catalogCode: record.catalogCode,
    title: entry?.title ?? record.catalogCode,
    asOf: { day, recorded: false, firstVersionAt },
    disclosure: disclosure
      ? { asOf: disclosure.asOf, state: disclosure.state, reason: disclosure.reason, label: disclosure.label }
      : null,
  };
}

/** The record's disclosure state and 保存期限 on `asOf`, its version `current` (a past day's own are read anew). */
async function disclosureOn(
  warehouse: Warehouse,
  catalog: Catalog,
  record: RecordRow,
  current: VersionRow,
  asOf: string,
): Promise<DisclosureState | undefined> {
  const disclosures = await disclosuresOf(
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
  );
  return disclosures.get(record.id);
}
