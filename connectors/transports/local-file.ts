import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceUnit } from '../contracts.ts';

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
    receivedAt: receivedAt ?? new Date(),
    open: () => createReadStream(absolute, { highWaterMark: 256 * 1024 }),
  };
}
