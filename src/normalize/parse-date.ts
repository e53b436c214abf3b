/**
 * Dates as providers type them — `2026-03-05`, `2026/3/5`, `2026.3.5`, `2026年3月5日`, `20260305`, with or
 * without a time part — become `YYYY-MM-DD`. Impossible dates keep the ISO shape (`2025-02-30`) so the
 * validator can say exactly what is wrong; anything else is returned unchanged.
 */
const SEPARATED =
  /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2}(?:\.\d+)?)?)?$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;

export function toIsoDate(text: string): string {
  const match = SEPARATED.exec(text) ?? COMPACT.exec(text);
  if (!match) return text;
  const [, year, month, day] = match as unknown as [string, string, string, string];
  return `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a `YYYY-MM-DD` string naming a real calendar day. */
export function isRealIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Today's date in Asia/Shanghai, as `YYYY-MM-DD`. */
export function todayInShanghai(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
