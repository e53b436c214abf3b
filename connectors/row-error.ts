/**
 * One thing wrong with one row: a stable kebab-case `code` for machines and reports, a Chinese `message` for
 * the provider that names the field, the value and the fix, and the offending `value` as received.
 */
export interface RowError {
  /** Field code (`CF_WSH`), or `*` for a problem with the row as a whole. */
  field: string;
  code: string;
  message: string;
  value?: string | undefined;
  /** `warning`: worth telling the provider, but the row is loaded (e.g. a pilot-era USCC). Absent = error. */
  severity?: 'warning';
  /** A refused withdrawal request (merge-withdrawals.ts): the record it asked about, and its signal (`del_flag=1`). */
  record?: number;
  signal?: string;
}

export const isWarning = (error: RowError): boolean => error.severity === 'warning';

/** A whole-row problem (`field-count`, `duplicate-key-in-batch`, ...), not tied to one field. */
export const WHOLE_ROW = '*';
