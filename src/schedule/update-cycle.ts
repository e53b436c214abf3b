import { DEADLINE_WORKING_DAYS } from '../calendar/timeliness.ts';
import type { WorkingDayCalendar } from '../calendar/working-days.ts';

/**
 * How long a provider may go without delivering an entry, read from the catalog's 更新周期 (Art. 7), whose first
 * words name the cycle: 每日/每天 1 day, 每周 7 days, 每月 1 month, 每季度 3 months, 每半年 6 months, 每年
 * 12 months, and 实时 (as soon as formed, Art. 10's 7 working days) DEADLINE_WORKING_DAYS working days.
 * Anything else: no cycle to check (undefined).
 */
export type UpdateCycle = { days: number } | { months: number } | { workingDays: number };

const CYCLES: readonly [RegExp, UpdateCycle][] = [
  [/^实时/, { workingDays: DEADLINE_WORKING_DAYS }],
  [/^每(日|天)/, { days: 1 }],
  [/^每周/, { days: 7 }],
  [/^每月/, { months: 1 }],
  [/^每(季度|季)/, { months: 3 }],
  [/^每半年/, { months: 6 }],
  [/^每年/, { months: 12 }],
];

export function updateCycleOf(text: string): UpdateCycle | undefined {
  const trimmed = text.trim();
  return CYCLES.find(([pattern]) => pattern.test(trimmed))?.[1];
}

/**
 * Whether a delivery on `lastDelivery` is overdue on `today` (YYYY-MM-DD): the cycle has passed and the next
 * delivery is later than it. Throws CalendarMissingError for working days in a year without calendar data.
 */
export function cycleMissed(
  cycle: UpdateCycle,
  lastDelivery: string,
  today: string,
  days: WorkingDayCalendar,
): boolean {
  if ('workingDays' in cycle) return days.workingDaysBetween(lastDelivery, today) > cycle.workingDays;
  const last = new Date(`${lastDelivery}T00:00:00Z`);
  if ('days' in cycle) last.setUTCDate(last.getUTCDate() + cycle.days);
  else last.setUTCMonth(last.getUTCMonth() + cycle.months);
  return today > last.toISOString().slice(0, 10);
}
