import type { RowStream } from '../../connectors/contracts.ts';

/** How many rows after a header that does not fit are looked at for the real one. */
const LOOK_AHEAD_ROWS = 20;

/** What the provider does about title rows above the header it sent: in every output. */
export const REMOVE_TITLE_ROWS = '请删除这些标题行，使列名位于第1行后重新报送';

/**
 * The operators' remark after it: `ingest --header-row` and a pipeline's `headerRow`, which a provider cannot give,
 * naming the row so that the operator need not count lines. What a provider reads (the direct-report page, the
 * report it downloads, a review notice) is the message without it (src/report/provider-message.ts), which finds
 * it by `HEADER_ROW_OPERATOR_NOTE`.
 */
export function headerRowOperatorNote(rowNumber: number): string {
  return `（运维人员可加 --header-row ${rowNumber} 重新读取，或在管道配置 headerRow: ${rowNumber}）`;
}
export const HEADER_ROW_OPERATOR_NOTE =
  /（运维人员可加 --header-row \d+ 重新读取，或在管道配置 headerRow: \d+）/u;

/**
 * When a file's header does not fit its entry, the real header is often a few rows down, under title rows
 * (`山东省行政处罚信息报送表`, `报送单位：…`): Excel passes over them (xlsx-format.ts), a CSV is read from its first
 * record unless told. The first of the next rows that fits is named: the provider removes the title rows, the operator
 * may read the file with the option the remark names. Reads the stream's first rows: only for a unit that fails anyway.
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
          return `第${row.rowNumber}行与目录的表头相符：若其上方是标题行，${REMOVE_TITLE_ROWS}${headerRowOperatorNote(row.rowNumber)}`;
        }
        if (++looked >= LOOK_AHEAD_ROWS) return undefined;
      }
    }
  } catch {
    // The rows cannot be read (a quote never closed, a line over the limit): the header's problem is what to say.
  }
  return undefined;
}
