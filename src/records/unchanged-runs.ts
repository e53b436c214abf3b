import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { ChannelFileRow, SourceRow } from '../warehouse/records-repository.ts';

/** A re-delivery of a record, unchanged, that its file counted in its summary instead of a lineage row. */
export type UnchangedDelivery = Omit<ChannelFileRow, 'summarized' | 'absent'>;

/** Lineage outcomes after which a channel stands with the record's content (017-compact-lineage.ts). */
const ACCEPTED = new Set(['inserted', 'updated', 'merged', 'unchanged']);

/**
 * The record's unchanged re-deliveries kept compactly, found as feed_standing (017) finds them, one channel at a
 * time in file order: a lineage row of the channel starts (accepted content) or ends (conflict, withdrawal) a
 * run; a later file with a summary continues it unless it lists the record as absent; a file without a summary
 * and without a row of the record ends it.
 */
export function unchangedDeliveries(
  sources: readonly SourceRow[],
  files: readonly ChannelFileRow[],
): UnchangedDelivery[] {
  const channel = (providerCode: string, level: ChannelLevel) => `${level}|${providerCode}`;
  const lastRowOfFile = new Map<string, SourceRow>();
  for (const source of sources) {
    const key = `${channel(source.providerCode, source.level)}|${source.sourceFileId}`;
    const seen = lastRowOfFile.get(key);
    if (!seen || source.id > seen.id) lastRowOfFile.set(key, source);
  }
  const firstRows = new Map<string, SourceRow>();
  for (const source of sources) {
    const key = channel(source.providerCode, source.level);
    const seen = firstRows.get(key);
    if (!seen || source.id < seen.id) firstRows.set(key, source);
  }
  const standing = new Map<string, boolean>();
  for (const [key, first] of firstRows) {
    const last = lastRowOfFile.get(`${key}|${first.sourceFileId}`);
    standing.set(key, last !== undefined && ACCEPTED.has(last.outcome));
  }
  const found: UnchangedDelivery[] = [];
  for (const { summarized, absent, ...file } of files) {
    const key = channel(file.providerCode, file.level);
    const own = lastRowOfFile.get(`${key}|${file.sourceFileId}`);
    if (own) standing.set(key, ACCEPTED.has(own.outcome));
    else if (!summarized || absent) standing.set(key, false);
    else if (standing.get(key)) found.push(file);
  }
  return found;
}

/** What lineage answers for one channel of a record: how often, and when first and last, it delivered it. */
export interface ChannelDeliveries {
  providerCode: string;
  level: ChannelLevel;
  /** Files that delivered the record: with a lineage row or in an unchanged run. */
  files: number;
  /** Of those, deliveries of content the channel had delivered before (lineage `unchanged` and compact runs). */
  redeliveries: number;
  /** Of the re-deliveries, those counted compactly (no lineage row of their own). */
  compacted: number;
  first: { sourceFileId: number; fileName: string; receivedAt: Date };
  last: { sourceFileId: number; fileName: string; receivedAt: Date };
}

/** Per channel (in order of its first delivery): files, re-deliveries, first and last delivery. */
export function channelDeliveries(
  sources: readonly SourceRow[],
  unchanged: readonly UnchangedDelivery[],
): ChannelDeliveries[] {
  const byChannel = new Map<string, ChannelDeliveries & { fileIds: Set<number> }>();
  const add = (
    delivery: {
      providerCode: string;
      level: ChannelLevel;
      sourceFileId: number;
      fileName: string;
      receivedAt: Date;
    },
    redelivery: boolean,
    compacted: boolean,
  ) => {
    const key = `${delivery.level}|${delivery.providerCode}`;
    const point = {
      sourceFileId: delivery.sourceFileId,
      fileName: delivery.fileName,
      receivedAt: delivery.receivedAt,
    };
    let entry = byChannel.get(key);
    if (!entry) {
      entry = {
        providerCode: delivery.providerCode,
        level: delivery.level,
        files: 0,
        redeliveries: 0,
        compacted: 0,
        first: point,
        last: point,
        fileIds: new Set(),
      };
      byChannel.set(key, entry);
    }
    entry.fileIds.add(delivery.sourceFileId);
    if (redelivery) entry.redeliveries++;
    if (compacted) entry.compacted++;
    if (delivery.sourceFileId < entry.first.sourceFileId) entry.first = point;
    if (delivery.sourceFileId > entry.last.sourceFileId) entry.last = point;
  };
  for (const source of [...sources].sort((a, b) => a.id - b.id))
    add(source, source.outcome === 'unchanged', false);
  for (const delivery of unchanged) add(delivery, true, true);
  return [...byChannel.values()].map(({ fileIds, ...entry }) => ({ ...entry, files: fileIds.size }));
}
