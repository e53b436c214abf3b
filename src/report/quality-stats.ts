import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type ProviderPeriodCounts, providerPeriodCounts } from '../warehouse/quality-repository.ts';
import type { Provider } from './providers.ts';

export interface QualityRequest {
  from: string;
  to: string;
  level?: ChannelLevel;
  /** How many of the last-ranked providers are highlighted (末位约谈 candidates). */
  bottom: number;
}

/** One provider's figures in one period. */
export interface PeriodFigures {
  /**
   * Rows delivered, the bulletin's volume: accepted + conflicts + rejected + held (every row counted in exactly one
   * of them). Re-deliveries are not in it: rows read = delivered + redelivered.
   */
  delivered: number;
  /** New rows applied: inserted, updated, merged, withdrawn (not conflicts, rejected, held, re-deliveries). */
  accepted: number;
  /**
   * Re-deliveries (重复报送): rows that brought nothing new — unchanged, or a conflict or withdrawal request the
   * provider had sent just so before (quality-repository.ts). Not volume, not late; shown apart.
   */
  redelivered: number;
  rejected: number;
  /** Valid rows of files held back whole over their reject threshold (整体退回): read, not applied. */
  held: number;
  /** New conflicts (a conflict sent again unchanged is a re-delivery). */
  conflicts: number;
  /** Of the new rows that passed validation (accepted + conflicts), those late (Art. 10). */
  late: number;
  /** rejected ÷ rows read (delivered + redelivered). */
  rejectionRate: number | null;
  /** late ÷ (accepted + conflicts): new information only, a record is late when its first delivery was. */
  lateRate: number | null;
  deliveredEntries: string[];
  /** Expected entries delivered ÷ expected; null when the provider has no expectations in the config. */
  coverage: number | null;
  score: number;
}

export interface ProviderQuality {
  code: string;
  name: string;
  level: string;
  expectedEntries: string[];
  /** False for a code not in config/providers.json (delivered with `--allow-unregistered-provider`): 未登记. */
  registered: boolean;
  /** Competition rank (1, 1, 3…): providers equal on score and rows delivered share one. */
  rank: number;
  /** 末位: in the last `bottom` places, or tied with a provider that is (so more than `bottom` may be). */
  bottom: boolean;
  current: PeriodFigures;
  /**
   * null when the previous period has no delivery of any provider (of the level asked), or the provider is
   * unregistered and delivered no file then: no earlier score (shown `—`).
   */
  previous: PeriodFigures | null;
  /** current.score − previous.score; null without a previous score. */
  trend: number | null;
}

export interface QualityBulletin {
  request: QualityRequest;
  previousPeriod: { from: string; to: string };
  providers: ProviderQuality[];
}

/**
 * The score providers are ranked on (0–100): 40 × (1 − rejection rate) + 30 × (1 − late rate) + 30 × catalog
 * coverage. A provider that delivered nothing scores 0: what should be collected was not (应归尽归). Equal scores
 * go to the larger volume; equal score and volume is a tie (`rankProviders`).
 */
export const SCORE_WEIGHTS = { acceptance: 40, timeliness: 30, coverage: 30 } as const;

export async function qualityBulletin(
  warehouse: Warehouse,
  providers: readonly Provider[],
  request: QualityRequest,
): Promise<QualityBulletin> {
  const previousPeriod = periodBefore(request.from, request.to);
  const current = await periodFigures(warehouse, providers, request.from, request.to, request.level);
  const previous = await periodFigures(
    warehouse,
    providers,
    previousPeriod.from,
    previousPeriod.to,
    request.level,
  );
  const codes = new Set([
    ...providers.filter((p) => !request.level || p.level === request.level).map((p) => p.code),
    ...current.keys(),
  ]);
  const rows = [...codes].map((code) => {
    const configured = providers.find((p) => p.code === code);
    const now: PeriodFigures & { level?: string } = current.get(code) ?? figures(configured, emptyCounts());
    // A registered provider that sent nothing while others did scored 0 then (应归尽归); a period in which no
    // provider sent anything (before the platform collected) gives no earlier score, nor does it an unregistered one.
    const before =
      previous.get(code) ?? (previous.size > 0 && configured ? figures(configured, emptyCounts()) : null);
    return {
      code,
      name: configured?.name ?? code,
      level: configured?.level ?? now.level ?? '',
      expectedEntries: configured?.expectedEntries ?? [],
      registered: configured !== undefined,
      rank: 0,
      bottom: false,
      current: now,
      previous: before,
      trend: before === null ? null : round(now.score - before.score),
    };
  });
  return { request, previousPeriod, providers: rankProviders(rows, request.bottom) };
}

/** What ranking reads of a provider. */
export interface Rankable {
  code: string;
  rank: number;
  bottom: boolean;
  current: Pick<PeriodFigures, 'score' | 'delivered'>;
}

/**
 * Sorts `rows` in place and ranks them: by score, then rows delivered (the larger volume first); equal on both is a
 * tie, ranked as competitions are (1, 1, 3…) and listed by code within it (the order only, never the rank). The last
 * `bottom` places are flagged 末位, and so is every provider tied with one of them: a tie across the cut-off is
 * flagged whole, so more than `bottom` may be.
 */
export function rankProviders<T extends Rankable>(rows: T[], bottom: number): T[] {
  const ahead = (a: T, b: T) =>
    b.current.score - a.current.score || b.current.delivered - a.current.delivered;
  rows.sort((a, b) => ahead(a, b) || a.code.localeCompare(b.code));
  rows.forEach((row, i) => {
    const before = rows[i - 1];
    row.rank = before && ahead(before, row) === 0 ? before.rank : i + 1;
  });
  // The rank at the first flagged place; everyone ranked there or below is flagged.
  const cut = rows[Math.max(rows.length - bottom, 0)]?.rank ?? Number.POSITIVE_INFINITY;
  for (const row of rows) row.bottom = bottom > 0 && row.rank >= cut;
  return rows;
}

/** A provider's counts of a period, its level optional (a configured provider that sent nothing has none). */
type Counts = Omit<ProviderPeriodCounts, 'provider_code' | 'level'> & { level?: string };

const emptyCounts = (): Counts => ({
  sources: 0,
  accepted: 0,
  conflicts: 0,
  late: 0,
  redelivered: 0,
  rejected: 0,
  held: 0,
  entries: [],
});

async function periodFigures(
  warehouse: Warehouse,
  providers: readonly Provider[],
  from: string,
  to: string,
  level: ChannelLevel | undefined,
): Promise<Map<string, PeriodFigures & { level?: string }>> {
  const rows = await providerPeriodCounts(warehouse, from, to, level);
  const result = new Map<string, PeriodFigures & { level?: string }>();
  for (const row of rows) {
    const configured = providers.find((p) => p.code === row.provider_code);
    result.set(row.provider_code, { ...figures(configured, row), level: row.level });
  }
  return result;
}

function figures(provider: Provider | undefined, counts: Counts): PeriodFigures {
  // The volume: new rows (lineage), rejected, and the valid rows of held-back files; re-deliveries apart. What
  // the run summaries read is both.
  const delivered = counts.sources + counts.rejected + counts.held;
  const read = delivered + counts.redelivered;
  const expected = provider?.expectedEntries ?? [];
  const coverage =
    expected.length === 0
      ? null
      : expected.filter((code) => counts.entries.includes(code)).length / expected.length;
  const rejectionRate = read > 0 ? counts.rejected / read : null;
  const lateRate = counts.sources > 0 ? counts.late / counts.sources : null;
  // Nothing delivered: no row read and no entry's data sent again (a file skipped as identical to a loaded one
  // covers its entry, as the same rows read again unchanged would). Re-sending an unchanged dump is not nothing.
  const score =
    read === 0 && counts.entries.length === 0
      ? 0
      : SCORE_WEIGHTS.acceptance * (1 - (rejectionRate ?? 0)) +
        SCORE_WEIGHTS.timeliness * (1 - (lateRate ?? 0)) +
        SCORE_WEIGHTS.coverage * (coverage ?? 1);
  return {
    delivered,
    accepted: counts.accepted,
    redelivered: counts.redelivered,
    rejected: counts.rejected,
    held: counts.held,
    conflicts: counts.conflicts,
    late: counts.late,
    rejectionRate,
    lateRate,
    deliveredEntries: counts.entries,
    coverage,
    score: round(score),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

const DAY = 86_400_000;

/**
 * The longest period a bulletin covers. A month, a quarter, a year, or years since the platform began; not one
 * of thousands of years (2026-01-01 to 9999-12-31), whose period compared with would start before year 1, a date
 * PostgreSQL misreads (`time zone displacement out of range: "-005948-01"`: a 500 on the console). With a first
 * day from 1900 on (isoDateProblem), the period compared with starts from 1800 on.
 */
export const MAX_PERIOD_YEARS = 100;

/** True when `from`…`to` (real `YYYY-MM-DD` days) is longer than MAX_PERIOD_YEARS years: `to` on or after `from` + 100 years. */
export function periodTooLong(from: string, to: string): boolean {
  return to >= `${String(Number(from.slice(0, 4)) + MAX_PERIOD_YEARS).padStart(4, '0')}${from.slice(4)}`;
}

/**
 * The period compared with: whole calendar months (a month, a quarter, a year) are compared with as many whole months
 * just before (November with all of October, not October 2–31); any other period with the same number of days
 * ending the day before `from`.
 */
export function periodBefore(from: string, to: string): { from: string; to: string } {
  if (periodTooLong(from, to))
    throw new RangeError(`period ${from} to ${to} is longer than ${MAX_PERIOD_YEARS} years (periodTooLong)`);
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  const iso = (time: number) => new Date(time).toISOString().slice(0, 10);
  const first = new Date(start);
  const dayAfter = new Date(end + DAY);
  if (first.getUTCDate() === 1 && dayAfter.getUTCDate() === 1) {
    const months =
      (dayAfter.getUTCFullYear() - first.getUTCFullYear()) * 12 +
      dayAfter.getUTCMonth() -
      first.getUTCMonth();
    return {
      from: iso(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() - months, 1)),
      to: iso(start - DAY),
    };
  }
  const days = Math.round((end - start) / DAY) + 1;
  return { from: iso(start - days * DAY), to: iso(start - DAY) };
}

/** A rate as a percentage for people, `—` when there was nothing to count. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}
