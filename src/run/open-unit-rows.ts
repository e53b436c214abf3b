import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import {
  FileFormatError,
  type Format,
  type FormatOptions,
  type RowStream,
  type SourceUnit,
} from '../../connectors/contracts.ts';
import { describeUnstorable, unstorableAt, visibleText } from '../load/copy-text.ts';
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
    checkHeader(rows, () => rows.close?.());
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
  checkHeader(rows, () => {
    rows.close?.();
    input.destroy();
  });
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

/**
 * A header cell holding a character PostgreSQL cannot store (U+0000, a lone surrogate) fails the unit: the header
 * is recorded with the unit and quoted in every message about it, so nothing could be recorded at all.
 */
function checkHeader(rows: RowStream, release: () => void): void {
  rows.header.forEach((name, i) => {
    const at = unstorableAt(name);
    if (at < 0) return;
    release();
    throw new FileFormatError(
      'invalid-header-character',
      `表头第${i + 1}列「${visibleText(name)}」的第${at + 1}个字符是数据库无法保存的${describeUnstorable(name.charAt(at))}，整个文件未入库：请在表头中删除该字符（多由导出程序或文件损坏带入），按目录列名重新导出后报送`,
    );
  });
}
