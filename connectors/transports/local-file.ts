import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceUnit } from '../contracts.ts';
import { DeliveryChangedError } from './retry-with-backoff.ts';

/** A file on this machine handed over directly (数据直报, `credit-etl ingest`). */
export async function localFileUnit(file: string, receivedAt?: Date): Promise<SourceUnit> {
  const absolute = path.resolve(file);
  const info = await stat(absolute);
  if (!info.isFile()) throw new Error(`${file} is not a file`);
  return {
    name: path.basename(absolute),
    path: absolute,
    locator: { kind: 'file', path: absolute },
    sizeBytes: info.size,
    listed: { size: info.size, mtimeMs: info.mtimeMs },
    receivedAt: receivedAt ?? new Date(),
    open: () => createReadStream(absolute, { highWaterMark: 256 * 1024 }),
  };
}

/**
 * A unit's file (`path`) checked against how it was `listed`, once its bytes are read: how it differs (size,
 * time), or undefined. A file gone meanwhile is not one that changed: the bytes read were all of it.
 */
export async function changedSinceListed(unit: SourceUnit): Promise<string | undefined> {
  const was = unit.listed;
  if (!unit.path || !was) return undefined;
  const now = await stat(unit.path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!now) return undefined;
  if (now.size !== was.size) return `its size went from ${was.size} to ${now.size} bytes`;
  if (now.mtimeMs !== was.mtimeMs)
    return `it was written again (modified ${new Date(was.mtimeMs).toISOString()}, now ${new Date(now.mtimeMs).toISOString()})`;
  return undefined;
}

/**
 * A file handed over directly (`ingest`, the direct-report page) that changed while it was read: the attempt ends as
 * a drop folder's delivery that changed does (`file-changed`: an infrastructure fault, nothing recorded against the
 * file or the provider, nothing of it committed).
 */
export function changedWhileLoading(name: string, how: string): DeliveryChangedError {
  return new DeliveryChangedError(
    `${name} changed while it was loading (${how}): still being written; nothing of it was loaded, load it again once it is complete`,
  );
}
