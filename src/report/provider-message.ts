import { UNDECODABLE_OPERATOR_NOTE } from '../../connectors/formats/csv-format.ts';
import {
  CELLS_PER_ROW_OPERATOR_NOTE,
  DELIMITER_OPERATOR_NOTE,
  LINE_BYTES_OPERATOR_NOTE,
} from '../../connectors/formats/csv-rows.ts';
import { SHEET_XML_BYTES_OPERATOR_NOTE } from '../../connectors/formats/xlsx-part-text.ts';
import { UNIT_HEAP_OPERATOR_NOTE } from '../../connectors/formats/xlsx-shared-strings.ts';
import {
  SHEET_NOT_FOUND_OPERATOR_NOTE,
  SHEET_OPERATOR_NOTE,
} from '../../connectors/formats/xlsx-sheet-choice.ts';
import { ARCHIVE_ENTRIES_OPERATOR_NOTE } from '../../connectors/transports/archive-units.ts';
import {
  EXPANDED_BYTES_OPERATOR_NOTE,
  EXPANSION_RATIO_OPERATOR_NOTE,
} from '../../connectors/transports/expansion-guard.ts';
import { FILE_BYTES_OPERATOR_NOTE } from '../../connectors/transports/file-size-limit.ts';
import { HEADER_ROW_OPERATOR_NOTE, REMOVE_TITLE_ROWS } from '../run/header-row-hint.ts';

/**
 * The operators' remarks a stored message may end with: an option of `ingest` or of a pipeline, or a setting of
 * the platform (`CREDIT_ETL_…`), which a provider cannot use. Each is a constant of the module that builds the
 * message, in parentheses of its own after what the provider does (the XLSX readers end theirs with the CSV
 * reader's `CREDIT_ETL_MAX_LINE_BYTES` and `CREDIT_ETL_MAX_CELLS_PER_ROW` remarks); the header-row remark names its
 * row, and is found by its pattern.
 */
const OPERATOR_NOTES: readonly (string | RegExp)[] = [
  UNDECODABLE_OPERATOR_NOTE,
  DELIMITER_OPERATOR_NOTE,
  CELLS_PER_ROW_OPERATOR_NOTE,
  LINE_BYTES_OPERATOR_NOTE,
  SHEET_OPERATOR_NOTE,
  SHEET_NOT_FOUND_OPERATOR_NOTE,
  SHEET_XML_BYTES_OPERATOR_NOTE,
  UNIT_HEAP_OPERATOR_NOTE,
  HEADER_ROW_OPERATOR_NOTE,
  ARCHIVE_ENTRIES_OPERATOR_NOTE,
  EXPANDED_BYTES_OPERATOR_NOTE,
  EXPANSION_RATIO_OPERATOR_NOTE,
  FILE_BYTES_OPERATOR_NOTE,
];

/**
 * How messages stored before the constants said it (rows and files of earlier deliveries, shown again): left off
 * too, or put as the provider's part now says it, so that they read the same. What the provider does is in front
 * of each, and stays.
 */
const EARLIER_NOTES: readonly (readonly [string | RegExp, string])[] = [
  // undecodable-bytes
  ['，或用 --encoding 指定编码', ''],
  // too-many-cells: the option in the middle of what the provider checks
  ['（可用 --delimiter 指定）', ''],
  // data-sheet-without-header: the sheet read was named in the remark
  [/（确需只读「.*」表时，运维人员可用 --sheet 或管道的 sheet 指定）$/su, ''],
  // multiple-data-sheets
  ['（确需只读其中一个时，运维人员可用 --sheet 或管道的 sheet 指定）', ''],
  // sheet-not-found
  ['，请用 --sheet 指定名称或序号（从1开始，不计隐藏工作表）', ''],
  // a header found lower down: the option was what the provider was told to do
  [/，请加 --header-row \d+ 重新读取（管道配置 headerRow: \d+）/u, `，${REMOVE_TITLE_ROWS}`],
  // decompression-limit: the setting inside the limit's brackets
  ['，上限 CREDIT_ETL_MAX_ARCHIVE_ENTRIES）', '）'],
  ['，CREDIT_ETL_MAX_EXPANDED_BYTES）', '）'],
  ['；上限 CREDIT_ETL_MAX_EXPANSION_RATIO）', '）'],
  // unit-timeout, unit-out-of-memory, workbook-too-large (isolated-unit.ts, stored so today too): the setting
  // after the limit inside its brackets, `（单个文件的处理时限，CREDIT_ETL_UNIT_TIMEOUT_S）`, `（512 MB，CREDIT_ETL_UNIT_HEAP_MB）`
  [/，CREDIT_ETL_UNIT_(?:TIMEOUT_S|HEAP_MB)）/gu, '）'],
];

/**
 * A stored message as a provider reads it (the direct-report page, the rejection report it downloads there, a
 * review notice): without the operators' remarks. The operators' own outputs (the CLI, the staff's pages and
 * reports) show the message whole.
 */
export function providerMessage(message: string): string {
  const earlier = EARLIER_NOTES.reduce<string>((text, [note, now]) => text.replace(note, now), message);
  return OPERATOR_NOTES.reduce<string>((text, note) => text.replace(note, ''), earlier);
}
