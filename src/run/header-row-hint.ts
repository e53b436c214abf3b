import type { RowStream } from '../../connectors/contracts.ts';

/** How many rows after a header that does not fit are looked at for the real one. */
const LOOK_AHEAD_ROWS = 20;

/**
 * When a file's header does not fit its entry, the real header is often a few rows down, under title rows
 * (`山东省行政处罚信息报送表`, `报送单位：…`): Excel passes over them (xlsx-format.ts), a CSV is read from its first
 * record unless told. The first of the next rows that fits is named with the option that reads it, so the operator
 * need not count lines. Reads the stream's first rows: only for a unit that fails anyway.
 */
export async function headerRowHint(
  rows: RowStream,
  fits: (cells: string[]) => boolean,
): Promise<string | undefined> {
  let looked = 0;
  try {
    for await (const batch of rows.batches) {
      for (const row of batch) {
        if (fits(row.cells)) {
          return `第${row.rowNumber}行与目录的表头相符：若其上方是标题行，请加 --header-row ${row.rowNumber} 重新读取（管道配置 headerRow: ${row.rowNumber}）`;
        }
        if (++looked >= LOOK_AHEAD_ROWS) return undefined;
      }
    }
  } catch {
    // The rows cannot be read (a quote never closed, a line over the limit): the header's problem is what to say.
  }
  return undefined;
}
