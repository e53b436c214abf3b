import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Format, FormatOptions, RowStream, SourceUnit } from '../../connectors/contracts.ts';
import { UnitFailure } from './unit-failure.ts';

export interface OpenedUnit {
  rows: RowStream;
  /** sha256 of the bytes read (byte units), or what the transport stated (row units). */
  sha256(): string | undefined;
  /** Stops reading (a header problem found before the rows). */
  abort(): void;
}

/** A unit's rows: bytes through its format, fingerprinted while they stream, or the unit's own rows. */
export async function openUnitRows(
  unit: SourceUnit,
  format: Format | undefined,
  options: FormatOptions,
): Promise<OpenedUnit> {
  if (unit.rows) {
    const rows = await unit.rows();
    return { rows, sha256: () => unit.sha256, abort: () => undefined };
  }
  if (!unit.open || !format) {
    throw new UnitFailure('unsupported-format', `${unit.name}: no format can read this unit`);
  }
  const hasher = createHash('sha256');
  const input = unit.open();
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      callback(null, chunk);
    },
  });
  input.on('error', (error) => hashing.destroy(error));
  const rows = await format.open(input.pipe(hashing), options);
  let digest: string | undefined;
  return {
    rows,
    sha256: () => {
      digest ??= hasher.digest('hex');
      return digest;
    },
    abort: () => {
      rows.close?.();
      input.destroy();
    },
  };
}
