/**
 * Excel cell values as the text a person sees, the way the CSV path sees them: dates as ISO dates, numbers
 * with Excel's 15 significant digits, rich text and formulas (stored result) as their text, `_xHHHH_` escapes
 * decoded. A cell that shows an error, or a formula whose result the file does not hold, has no value to load:
 * it says so (`fault`), and its text is the error or the formula, for the rejection to quote.
 */

const DAY_MS = 86_400_000;
const DAY_SECONDS = 86_400;
/** Day 0 of the 1900 date system once Excel's fictitious 1900-02-29 (serial 60) is accounted for. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
/** Serial 0 of the 1904 date system (Mac Excel) is serial 1462 of the 1900 system. */
const OFFSET_1904 = 1462;
/** Serial of 1970-01-01 in the 1900 system: exceljs converts serials to Dates with it. */
const UNIX_EPOCH_SERIAL = 25_569;

export interface CellText {
  text: string;
  /** The cell holds a number (not a date): codes stored this way have lost digits. */
  isNumber: boolean;
  /** The cell has no value to load (`ErrorCell.kind`): an error, or a formula without a usable result. */
  fault?: 'error' | 'formula-error' | 'no-result';
  /**
   * The file holds no value Excel could show in the cell: a number cell whose `<v>` is no number (exceljs' NaN), a
   * date cell whose serial is none or beyond any date (exceljs' invalid Date). The sheet's defect, not the data's.
   */
  unreadable?: 'not-a-number' | 'not-a-date';
}

/** The shapes exceljs gives a cell's value. */
type ExcelValue =
  | null
  | undefined
  | string
  | number
  | boolean
  | Date
  | { richText: { text: string }[] }
  | { formula?: string; sharedFormula?: string; result?: unknown }
  | { error: string }
  | { text: unknown; hyperlink: string };

type FormulaValue = { formula?: string; sharedFormula?: string; result?: unknown };

const isFormula = (value: unknown): value is FormulaValue =>
  value !== null && typeof value === 'object' && ('formula' in value || 'sharedFormula' in value);

/**
 * A formula cell's value with the result the file stores for it. exceljs' value leaves out a result that is
 * falsy — 0, an empty text, and NaN, which its streaming reader makes of an error result (`<v>#N/A</v>` read as a
 * number) — so a formula that computed 0 looked like one without a result; the cell's own `result` keeps them.
 */
export function withStoredResult(value: unknown, cell: { result?: unknown }): unknown {
  if (!isFormula(value) || 'result' in value) return value;
  return { ...value, result: cell.result };
}

export function cellText(value: unknown, numFmt: string | undefined, date1904: boolean): CellText {
  const v = value as ExcelValue;
  if (v === null || v === undefined) return { text: '', isNumber: false };
  if (typeof v === 'string') return { text: decodeEscapes(v), isNumber: false };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { text: '', isNumber: false, unreadable: 'not-a-number' };
    // Excel shows ##### for a serial no date stands for (a negative one, one past 9999-12-31): it is the number.
    if (isDateFormat(numFmt) && isDateSerial(v, date1904))
      return { text: serialToIsoDate(v, date1904), isNumber: false };
    return { text: numberText(v), isNumber: true };
  }
  // What Excel shows of a logical value (Chinese Excel too): the text a CSV export of it holds.
  if (typeof v === 'boolean') return { text: v ? 'TRUE' : 'FALSE', isNumber: false };
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return { text: '', isNumber: false, unreadable: 'not-a-date' };
    return dateCellText(v, date1904);
  }
  if ('richText' in v)
    return { text: decodeEscapes(v.richText.map((run) => run.text).join('')), isNumber: false };
  if ('error' in v) return { text: String(v.error), isNumber: false, fault: 'error' };
  if (isFormula(v)) {
    // A formula cell: what Excel last computed and stored is what the provider saw.
    const { result } = v;
    const formula = `=${v.formula || v.sharedFormula || '（共享公式）'}`;
    if (result === undefined || result === null)
      return { text: formula, isNumber: false, fault: 'no-result' };
    const failed =
      (typeof result === 'number' && Number.isNaN(result)) ||
      (typeof result === 'object' && 'error' in result);
    if (failed) return { text: formula, isNumber: false, fault: 'formula-error' };
    return cellText(result, numFmt, date1904);
  }
  if ('hyperlink' in v) return cellText(v.text, numFmt, date1904);
  return { text: String(v), isNumber: false };
}

/**
 * Text as ECMA-376 stores it (ST_Xstring): a character XML cannot hold, or Excel chose to escape, is written
 * `_xHHHH_` — a carriage return in a cell as `_x000D_` — and a literal `_x` that would read as one has its
 * underscore escaped, `_x005F_`. Decoded once, left to right: `_x005F_x0031_` is the text `_x0031_`.
 */
export function decodeEscapes(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(X_ESCAPE, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

const X_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

/**
 * What Excel shows in a General cell: at most 15 significant digits, no float noise (0.1 + 0.2 → 0.3), and
 * long integers written out with zeros where Excel dropped the digits (913701020000123456 → …123000).
 */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const [mantissa = '', exponent = '0'] = value.toExponential(14).split('e');
  const power = Number(exponent);
  if (Number.isInteger(value) && power >= 15 && power < 21) {
    const digits = mantissa.replace('-', '').replace('.', '');
    return `${value < 0 ? '-' : ''}${digits.padEnd(power + 1, '0')}`;
  }
  return String(Number(value.toPrecision(15)));
}

/**
 * An Excel serial as `YYYY-MM-DD` (with ` HH:MM:SS` when it has a time). In the 1900 system serial 60 is
 * 1900-02-29, a day that never existed (Lotus 1-2-3's leap-year bug, kept by Excel): it comes out as
 * `1900-02-29` so the validator rejects it as an impossible date instead of it silently moving a day.
 */
export function serialToIsoDate(serial: number, date1904: boolean): string {
  let whole = Math.floor(serial);
  let seconds = Math.round((serial - whole) * 86_400);
  if (seconds >= 86_400) {
    whole += 1;
    seconds = 0;
  }
  let day: string;
  if (!date1904 && whole === 60) day = '1900-02-29';
  else {
    const days = date1904 ? whole + OFFSET_1904 : whole < 60 ? whole + 1 : whole;
    day = new Date(EPOCH_1900 + days * DAY_MS).toISOString().slice(0, 10);
  }
  return withTime(day, seconds);
}

/** A day and the seconds into it, the time left out at midnight. */
function withTime(day: string, seconds: number): string {
  if (seconds === 0) return day;
  const hh = String(Math.floor(seconds / 3600)).padStart(2, '0');
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  return `${day} ${hh}:${mm}:${ss}`;
}

/**
 * A date stored as ISO 8601 text (a `t="d"` cell) as `serialToIsoDate` writes a date cell: `YYYY-MM-DD`, with
 * ` HH:MM:SS` (seconds rounded) when the time is not midnight. The wall-clock time is kept as written and a zone
 * (`Z`, `+08:00`) left out: Excel has no time zones, and a date moved to UTC would be another day for a provider
 * at +08:00. Undefined for text that is no such date (a time alone, an hour 25).
 */
export function isoDateText(text: string): string | undefined {
  const parts = ISO_DATE_TIME.exec(text);
  if (!parts) return undefined;
  const [, year = '', month = '', date = '', hours, minutes = '0', secondsText = '0'] = parts;
  let day = `${year}-${month}-${date}`;
  if (hours === undefined) return day;
  const second = Number(secondsText.replace(',', '.'));
  const seconds = Number(hours) * 3600 + Number(minutes) * 60 + Math.round(second);
  if (Number(minutes) > 59 || second >= 61 || seconds > DAY_SECONDS) return undefined;
  if (seconds === DAY_SECONDS) {
    // 24:00:00, or 23:59:59.5 rounded: the next day's midnight, as Excel shows it.
    const next = new Date(0);
    next.setUTCFullYear(Number(year), Number(month) - 1, Number(date));
    if (next.getUTCMonth() !== Number(month) - 1 || next.getUTCDate() !== Number(date)) return undefined;
    next.setUTCDate(next.getUTCDate() + 1);
    day = next.toISOString().slice(0, 10);
  }
  return withTime(day, seconds % DAY_SECONDS);
}

const ISO_DATE_TIME =
  /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:[.,]\d+)?))?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

/** exceljs turned a date cell's serial into a Date with a plain formula; take the serial back and convert it. */
function dateCellText(date: Date, date1904: boolean): CellText {
  const serial = UNIX_EPOCH_SERIAL + date.getTime() / DAY_MS - (date1904 ? OFFSET_1904 : 0);
  const seconds = Math.round(serial * 86_400) / 86_400;
  if (!isDateSerial(seconds, date1904)) return { text: numberText(seconds), isNumber: true };
  return { text: serialToIsoDate(seconds, date1904), isNumber: false };
}

/** The last day Excel shows, 9999-12-31, as a serial of the 1900 system. */
const LAST_SERIAL_1900 = 2_958_465;

/** Whether Excel shows the serial as a date: from day 0 to 9999-12-31 (in the workbook's date system). */
function isDateSerial(serial: number, date1904: boolean): boolean {
  return serial >= 0 && serial + (date1904 ? OFFSET_1904 : 0) < LAST_SERIAL_1900 + 1;
}

/**
 * Excel's rule: a number format with y/m/d/h/s outside what is shown literally shows a date. Literal: quoted
 * text, a character escaped (`\d`), a space as wide as a character (`_)`), a fill character (`* `) and the
 * bracketed colours, conditions and locales (`[Red]`, `[$-804]`); an elapsed-time bracket (`[h]`, `[mm]`) counts.
 */
export function isDateFormat(numFmt: string | undefined): boolean {
  if (!numFmt) return false;
  return /[ymdhs]/i.test(numFmt.replace(LITERAL_IN_FORMAT, ''));
}

const LITERAL_IN_FORMAT = /"[^"]*"|[\\_*].|\[(?![hms]+\])[^\]]*\]|General/gi;
