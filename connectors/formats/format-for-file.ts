import type { Format } from '../contracts.ts';
import { csvFormat as papaparseFormat } from './csv-format.ts';
import { csvParseFormat } from './csv-parse-format.ts';

/**
 * The formats, apart from the transports: a unit worker reads bytes and needs no SFTP, HTTP or MySQL client, so
 * it imports this file alone (each worker is a V8 instance of its own: what it loads costs start-up and memory).
 */

/** exceljs takes ~0.35 s and ~30 MB to load: it is loaded the first time a workbook is opened. */
const xlsxFormat: Format = {
  name: 'xlsx',
  open: async (input, options) => (await import('./xlsx-format.ts')).xlsxFormat.open(input, options),
};

// The benchmark compares the parsers end to end through the CLI; papaparse ships (README "Design notes").
const csvFormat = process.env.CREDIT_ETL_CSV_PARSER === 'csv-parse' ? csvParseFormat : papaparseFormat;

/** Every format, listed by hand: no folder scanning. */
export const FORMATS: Readonly<Record<string, Format>> = {
  csv: csvFormat,
  xlsx: xlsxFormat,
};

/** The format for a file name by its extension, or undefined. */
export function formatForFile(name: string): Format | undefined {
  const extension = name.toLowerCase().split('.').pop() ?? '';
  return { csv: csvFormat, txt: csvFormat, tsv: csvFormat, xlsx: xlsxFormat }[extension];
}
