import { repackWorkbook } from './xlsx-repack.test-support.ts';

/** The namespaces (and relationship types under them) a transitional part names, and their strict names. */
const STRICT_NAMES: readonly (readonly [string, string])[] = [
  [
    'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
    'http://purl.oclc.org/ooxml/spreadsheetml/main',
  ],
  [
    'http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties',
    'http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties',
  ],
  [
    'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
    'http://purl.oclc.org/ooxml/officeDocument/relationships',
  ],
  ['http://schemas.openxmlformats.org/drawingml/2006/main', 'http://purl.oclc.org/ooxml/drawingml/main'],
];

/** Excel's serial day 0 of the 1900 system, in milliseconds since 1970. */
const SERIAL_EPOCH = Date.UTC(1899, 11, 30);

/**
 * A workbook as Excel's "Strict Open XML Spreadsheet (*.xlsx)" saves it: the same parts and element names under the
 * ISO/IEC 29500 strict namespaces (`http://purl.oclc.org/ooxml/spreadsheetml/main`, relationship types
 * `http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet`), `conformance="strict"` on the workbook, and
 * the date cells of the columns `dateColumns` (`B`) stored as ISO 8601 text (`<c r="B2" s="1" t="d">
 * <v>2026-08-07T00:00:00</v></c>`) instead of a serial. The package's own names (content types, `_rels`'
 * namespace, core properties) are the same in both.
 */
export function strictWorkbook(bytes: Buffer, dateColumns: readonly string[] = []): Promise<Buffer> {
  return repackWorkbook(bytes, { edit: (_part, text) => asStrict(text, dateColumns) });
}

/** One part's text as the strict save writes it (`strictWorkbook`). */
export function asStrict(text: string, dateColumns: readonly string[] = []): string {
  let strict = text;
  for (const [transitional, name] of STRICT_NAMES) strict = strict.replaceAll(transitional, name);
  strict = strict.replace(/<((?:[\w.-]+:)?workbook) /, '<$1 conformance="strict" ');
  if (dateColumns.length === 0) return strict;
  const dateCell = new RegExp(
    `<c r="((?:${dateColumns.join('|')})\\d+)"( s="\\d+")?><v>([\\d.]+)</v></c>`,
    'g',
  );
  return strict.replace(dateCell, (_cell, ref: string, style = '', serial: string) => {
    const iso = new Date(SERIAL_EPOCH + Number(serial) * 86_400_000).toISOString().slice(0, 19);
    return `<c r="${ref}"${style} t="d"><v>${iso}</v></c>`;
  });
}
