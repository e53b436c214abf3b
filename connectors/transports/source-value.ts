import { cellText } from './cell-text.ts';

/** A timestamp's text with a zone of its own, as PostgreSQL prints a `timestamptz`: `2016-05-03 00:00:00+08`. */
const ZONED_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * A typed 前置库 value as the cell text a provider would have exported, without loss: decimals and big integers
 * arrive as the database's own text (never a float: `12345678.123456` stays that); a date-only value stays its
 * day; a datetime stays the source's wall-clock time; an instant (a `timestamptz`, a JS Date) is shown in the
 * source's zone (`+08:00`, Asia/Shanghai, unless the pipeline says otherwise), so that its date is the day
 * people there saw, never the UTC day before.
 */
export function sourceValueText(value: unknown, offset: string): string {
  if (value instanceof Date) return wallClock(value, offset);
  if (typeof value === 'string') {
    const zoned = ZONED_TIMESTAMP.exec(value);
    if (zoned) {
      const [, date, time, fraction = '', zone] = zoned;
      const iso =
        zone === 'Z' ? 'Z' : zone!.length === 3 ? `${zone}:00` : `${zone!.slice(0, 3)}:${zone!.slice(-2)}`;
      const instant = new Date(`${date}T${time}${fraction.slice(0, 4)}${iso}`);
      if (!Number.isNaN(instant.getTime())) return wallClock(instant, offset, fraction);
    }
  }
  return cellText(value);
}

/** `YYYY-MM-DD HH:mm:ss` (with the fraction given) in the zone `±HH:MM`. */
function wallClock(instant: Date, offset: string, fraction = ''): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0] = offset.slice(1).split(':').map(Number);
  const shifted = new Date(instant.getTime() + sign * (hours * 60 + minutes) * 60_000);
  return `${shifted.toISOString().slice(0, 10)} ${shifted.toISOString().slice(11, 19)}${fraction}`;
}
