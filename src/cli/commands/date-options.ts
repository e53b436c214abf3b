import { shanghaiTime, todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { dateOptionProblem, isRealTime } from '../../normalize/parse-date.ts';
import { UsageError } from '../exit-codes.ts';

/**
 * A `YYYY-MM-DD` option naming a real day. `new Date` would roll 2026-02-30 over to 2026-03-02 without a word:
 * an impossible date is a usage error (exit 2) that says what is wrong; a day before 1900 is one too early
 * (dateOptionProblem).
 */
export function dateOption(flag: string, text: string): string {
  const problem = dateOptionProblem(flag, text, 'use e.g. 2026-10-01');
  if (problem) throw new UsageError(problem);
  return text;
}

/** What a date or date-time option takes, when one is refused. */
const FIX = 'use e.g. 2026-11-20 or 2026-11-20T14:30';

const INSTANT = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * A date or date-time option: `2026-11-20`, `2026-11-20T14:30`, `2026-11-20 14:30:05`, with an optional zone
 * (`Z`, `+08:00`). Without a zone it is Asia/Shanghai time, as the platform's operators mean it. Every part is
 * checked, so `2026-02-30` or `24:61` is refused rather than rolled over.
 */
export function instantOption(flag: string, text: string): Date {
  const usage = (why: string) =>
    new UsageError(`${flag} ${text} is not a real date or time (${why}): ${FIX}`);
  const match = INSTANT.exec(text.trim());
  if (!match) throw usage('use YYYY-MM-DD or YYYY-MM-DDTHH:MM');
  const [, day, hour = '00', minute = '00', second = '00', fraction = '', zone] = match as unknown as [
    string,
    string,
    ...(string | undefined)[],
  ];
  const problem = dateOptionProblem(flag, text, FIX, { day, what: 'a real date or time' });
  if (problem) throw new UsageError(problem);
  if (!isRealTime(Number(hour), Number(minute), Number(second)))
    throw usage(`${hour}:${minute}:${second} is not a time of day`);
  const offset = zone === undefined ? '+08:00' : zone.toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  return new Date(`${day}T${hour}:${minute}:${second}${fraction}${offset}`);
}

/** What a day not yet come is refused as: `文件接收日期`, and what to give instead. */
export interface DayMeant {
  /** What the day is, in Chinese: `文件接收日期`, `核查日期`. */
  what: string;
  /** What to give instead, in Chinese: `请填写平台实际收到文件的日期或时间`. */
  fix: string;
}

/**
 * A day that must already have come (Asia/Shanghai), such as a receipt or a day judged: one later than today is a
 * usage error (exit 2) naming the option, the value as typed and the day it falls on, before anything is recorded:
 * `--as-of 2026-12-07：核查日期 2026-12-07 晚于今天 2026-12-06（Asia/Shanghai）：… (--as-of is in the future)`.
 */
function refuseDayNotYetCome(flag: string, text: string, day: string, meant: DayMeant): void {
  const today = todayInShanghai();
  if (day > today)
    throw new UsageError(
      `${flag} ${text}：${meant.what} ${day} 晚于今天 ${today}（Asia/Shanghai）：${meant.fix} (${flag} is in the future)`,
    );
}

/** A `YYYY-MM-DD` option (dateOption) on a day already come (Asia/Shanghai): today or before. */
export function pastOrTodayOption(flag: string, text: string, meant: DayMeant): string {
  const day = dateOption(flag, text);
  refuseDayNotYetCome(flag, text, day, meant);
  return day;
}

/**
 * A date or date-time option (instantOption) on a day already come: its day in Asia/Shanghai is today or before
 * (`2026-12-06T20:00Z` is 04:00 on 2026-12-07 there, a day not yet come on 2026-12-06).
 */
export function pastOrTodayInstantOption(flag: string, text: string, meant: DayMeant): Date {
  const instant = instantOption(flag, text);
  refuseDayNotYetCome(flag, text, shanghaiTime(instant).slice(0, 10), meant);
  return instant;
}
