import { Transform } from 'node:stream';
import {
  FileFormatError,
  type Format,
  type FormatOptions,
  type RowStream,
  type SourceUnit,
} from '../../connectors/contracts.ts';
import {
  openSkimmedCsv,
  type RecordSkimmer,
  type SkimDeclined,
  type SkimmedCsv,
} from '../../connectors/formats/csv-skim.ts';
import { characterNumber, describeUnstorable, quotedText, unstorableAt } from '../load/copy-text.ts';
import { unitDigest } from './unit-digest.ts';
import { UnitFailure } from './unit-failure.ts';

export interface OpenedUnit {
  rows: RowStream;
  /** sha256 of the bytes read (byte units, once read to their end), or what the transport stated (row units). */
  sha256(): Promise<string | undefined>;
  /** Stops reading (a header problem found before the rows). */
  abort(): void;
  /** Data rows a skim took before they were parsed (0 without a skim), and why it gave up, if it did. */
  skimmed(): { taken: number; declined: SkimDeclined | undefined };
}

/** A UTF-8 CSV unit read through a skim (csv-skim.ts): the records the skimmer takes are never parsed. */
export interface UnitSkim {
  headerCells: number;
  skimmer: RecordSkimmer;
}

const NOT_SKIMMED = { taken: 0, declined: undefined };

/** A unit's rows: bytes through its format, fingerprinted while they stream, or the unit's own rows. */
export async function openUnitRows(
  unit: SourceUnit,
  format: Format | undefined,
  options: FormatOptions,
  skim?: UnitSkim,
): Promise<OpenedUnit> {
  if (unit.rows) {
    const rows = await unit.rows();
    checkHeader(rows, () => rows.close?.());
    return { rows, sha256: async () => unit.sha256, abort: () => undefined, skimmed: () => NOT_SKIMMED };
  }
  // Recorded against the unit (source_files) like any failure, so in the provider's words. A file of a type no
  // format reads is refused before (ingest-files.ts); a unit that gives neither bytes nor rows is a transport's.
  if (!unit.open || !format) {
    throw new UnitFailure(
      'unsupported-format',
      `无法读取文件 ${unit.name}：平台没有能读取该文件的方式（支持 .csv .txt .tsv .xlsx，及装有这些文件的 .zip .gz），未入库任何数据；请另存为 CSV（UTF-8）或 .xlsx 工作簿后重新报送，如文件已是这些格式请联系平台运维人员`,
    );
  }
  const digest = unitDigest(unit.sizeBytes);
  const input = unit.open();
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        digest.update(chunk);
      } catch (error) {
        callback(error as Error);
        return;
      }
      callback(null, chunk);
    },
    // Every byte is in: the digest is finished now (a worker's parent hashing the unit lets its ring go then).
    flush(callback) {
      void digest.digest().catch(() => undefined);
      callback();
    },
    destroy(error, callback) {
      digest.close();
      callback(error);
    },
  });
  input.on('error', (error) => hashing.destroy(error));
  let skimmed: SkimmedCsv | undefined;
  let rows: RowStream;
  try {
    skimmed = skim && (await openSkimmedCsv(input.pipe(hashing), options, skim.headerCells, skim.skimmer));
    rows = skimmed ? skimmed.rows : await format.open(input.pipe(hashing), options);
  } catch (error) {
    // The format refused the unit before its rows (not text, no header): `.pipe` leaves the input open and
    // paused when its destination goes, so it is let go here, or a file's descriptor stays open for good.
    input.destroy();
    hashing.destroy();
    throw error;
  }
  checkHeader(rows, () => {
    rows.close?.();
    input.destroy();
    digest.close();
  });
  return {
    rows,
    sha256: () => digest.digest(),
    abort: () => {
      rows.close?.();
      input.destroy();
      digest.close();
    },
    skimmed: () => (skimmed ? { taken: skimmed.taken(), declined: skimmed.declined() } : NOT_SKIMMED),
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
      `表头第${i + 1}列「${quotedText(name)}」的第${characterNumber(name, at)}个字符是${describeUnstorable(name.charAt(at))}，整个文件未入库：请在表头中删除该字符（多由导出程序或文件损坏带入），按目录列名重新导出后报送`,
    );
  });
}
