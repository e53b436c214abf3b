import type { Format, TransportFactory } from './contracts.ts';
import { csvFormat as papaparseFormat } from './formats/csv-format.ts';
import { csvParseFormat } from './formats/csv-parse-format.ts';
import { dropFolderTransport } from './transports/drop-folder.ts';
import { httpTransportFactory } from './transports/http-transport.ts';
import { sftpTransportFactory } from './transports/sftp-transport.ts';
import { tableTransportFactory } from './transports/table-transport.ts';

/** exceljs takes ~0.35 s and ~30 MB to load: it is loaded the first time a workbook is opened. */
const xlsxFormat: Format = {
  name: 'xlsx',
  open: async (input, options) => (await import('./formats/xlsx-format.ts')).xlsxFormat.open(input, options),
};

// The benchmark compares the parsers end to end through the CLI; papaparse ships (README "Design notes").
const csvFormat = process.env.CREDIT_ETL_CSV_PARSER === 'csv-parse' ? csvParseFormat : papaparseFormat;

/** Every format, listed by hand: no folder scanning. */
export const FORMATS: Readonly<Record<string, Format>> = {
  csv: csvFormat,
  xlsx: xlsxFormat,
};

/** Every transport type a pipeline file may name, listed by hand. */
export const TRANSPORTS: Readonly<Record<string, TransportFactory<never>>> = {
  'drop-folder': dropFolderTransport,
  http: httpTransportFactory,
  sftp: sftpTransportFactory,
  table: tableTransportFactory,
};

/** The format for a file name by its extension, or undefined. */
export function formatForFile(name: string): Format | undefined {
  const extension = name.toLowerCase().split('.').pop() ?? '';
  return { csv: csvFormat, txt: csvFormat, tsv: csvFormat, xlsx: xlsxFormat }[extension];
}
