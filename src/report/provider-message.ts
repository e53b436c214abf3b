import { UNDECODABLE_OPERATOR_NOTE } from '../../connectors/formats/csv-format.ts';
import {
  CELLS_PER_ROW_OPERATOR_NOTE,
  DELIMITER_OPERATOR_NOTE,
  LINE_BYTES_OPERATOR_NOTE,
} from '../../connectors/formats/csv-rows.ts';
import {
  SHEET_NOT_FOUND_OPERATOR_NOTE,
  SHEET_OPERATOR_NOTE,
} from '../../connectors/formats/xlsx-sheet-choice.ts';

/**
 * The operators' remarks a stored message may end with: an option of `ingest` or of a pipeline, or a setting of
 * the platform (`CREDIT_ETL_…`), which a provider cannot use. Each is a constant of the module that builds the
 * message, in parentheses of its own after what the provider does. The same text in another module's message (the
 * XLSX readers' `CREDIT_ETL_MAX_LINE_BYTES` and `CREDIT_ETL_MAX_CELLS_PER_ROW` remarks) is left off as well.
 */
const OPERATOR_NOTES: readonly string[] = [
  UNDECODABLE_OPERATOR_NOTE,
  DELIMITER_OPERATOR_NOTE,
  CELLS_PER_ROW_OPERATOR_NOTE,
  LINE_BYTES_OPERATOR_NOTE,
  SHEET_OPERATOR_NOTE,
  SHEET_NOT_FOUND_OPERATOR_NOTE,
];

/**
 * How messages stored before the constants said it (rows and files of earlier deliveries, shown again): left off
 * too, so that they read the same. What the provider does is in front of each, and stays.
 */
const EARLIER_NOTES: readonly (string | RegExp)[] = [
  // undecodable-bytes
  '，或用 --encoding 指定编码',
  // too-many-cells: the option in the middle of what the provider checks
  '（可用 --delimiter 指定）',
  // data-sheet-without-header: the sheet read was named in the remark
  /（确需只读「.*」表时，运维人员可用 --sheet 或管道的 sheet 指定）$/su,
  // multiple-data-sheets
  '（确需只读其中一个时，运维人员可用 --sheet 或管道的 sheet 指定）',
  // sheet-not-found
  '，请用 --sheet 指定名称或序号（从1开始，不计隐藏工作表）',
];

/**
 * A stored message as a provider reads it (the direct-report page, the rejection report it downloads there, a
 * review notice): without the operators' remarks. The operators' own outputs (the CLI, the staff's pages and
 * reports) show the message whole.
 */
export function providerMessage(message: string): string {
  return [...OPERATOR_NOTES, ...EARLIER_NOTES].reduce<string>(
    (text, note) => text.replace(note, ''),
    message,
  );
}
