import type { Format } from '../contracts.ts';
import { csvFormat } from './csv-format.ts';

/**
 * The formats, apart from the transports: a unit worker reads bytes and needs no SFTP, HTTP or MySQL client, so
 * it imports this file alone (each worker is a V8 instance of its own: what it loads costs start-up and memory).
 */

/** exceljs takes ~0.35 s and ~30 MB to load: it is loaded the first time a workbook is opened. */
const xlsxFormat: Format = {
  name: 'xlsx',
  open: async (input, options) => (await import('./xlsx-format.ts')).xlsxFormat.open(input, options),
};

/** Every format by the file extensions it reads, listed by hand: no folder scanning. */
const FORMAT_BY_EXTENSION: ReadonlyMap<string, Format> = new Map([
  ['csv', csvFormat],
  ['txt', csvFormat],
  ['tsv', csvFormat],
  ['xlsx', xlsxFormat],
]);

/** The format for a file name by its extension, or undefined. */
export function formatForFile(name: string): Format | undefined {
  const extension = name.toLowerCase().split('.').pop() ?? '';
  return FORMAT_BY_EXTENSION.get(extension);
}
