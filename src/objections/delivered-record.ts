import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import { entryVersionOrNewest } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { deliveredData, recordHistory, type SourceRow } from '../records/record-history.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { DeliveredRecord } from './verification-workbook.ts';

/**
 * What a verification notice shows: the record as `providerCode` last delivered it, by default as the provider
 * whose delivery made the record's current content (the content the platform shows and the subject disputes)
 * did. A current version written by a legal procedure has no delivery: the default provider is then the latest
 * one of the record's channel level. Undefined when there is no such record or that provider never delivered it.
 */
export async function deliveredRecord(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  providerCode?: string,
): Promise<{ providerCode: string; record: DeliveredRecord } | undefined> {
  const history = await recordHistory(warehouse, recordId);
  if (!history) return undefined;
  const { record, versions, sources } = history;
  const current = versions.find((version) => version.id === record.currentVersionId) ?? versions.at(-1);
  const accepted = sources.filter((source) => source.outcome !== 'conflict');
  const brought =
    accepted.find((source) => source.versionId === current?.id) ??
    accepted.filter((source) => source.level === record.level).at(-1);
  const provider = providerCode ?? brought?.providerCode;
  const latest: SourceRow | undefined = sources.filter((source) => source.providerCode === provider).at(-1);
  if (!provider || !latest) return undefined;
  const entry = entryVersionOrNewest(catalog, record.catalogCode, current?.catalogVersion);
  return {
    providerCode: provider,
    record: {
      recordId: record.id,
      catalogCode: record.catalogCode,
      businessKey: record.businessKey,
      keyFields: entry?.businessKey ?? [],
      data: deliveredData(history, latest) ?? current?.data ?? {},
      fileName: latest.fileName,
      rowNumber: latest.rowNumber,
      receivedAt: shanghaiTime(latest.receivedAt),
    },
  };
}
