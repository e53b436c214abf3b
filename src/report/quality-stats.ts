import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { providerPeriodCounts } from '../warehouse/quality-repository.ts';
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
  /** Rows read: accepted + conflicts + rejected + held (every row counted in exactly one of them). */
  delivered: number;
  /** Rows applied or confirmed (every outcome but conflict, rejected and held). */
  accepted: number;
  rejected: number;
  /** Valid rows of files held back whole over their reject threshold (整体退回): read, not applied. */
  held: number;
  conflicts: number;
  late: number;
  rejectionRate: number | null;
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
  rank: number;
  bottom: boolean;
  current: PeriodFigures;
  previous: PeriodFigures;
  /** current.score − previous.score */
  trend: number;
}

export interface QualityBulletin {
  request: QualityRequest;
  previousPeriod: { from: string; to: string };
  providers: ProviderQuality[];
}

/**
 * The score providers are ranked on (0–100): 40 × (1 − rejection rate) + 30 × (1 − late rate) + 30 × catalog
 * coverage. A provider that delivered nothing scores 0: what should be collected was not (应归尽归). Ties go
 * to the larger volume, then the code.
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
    const before = previous.get(code) ?? figures(configured, emptyCounts());
    return {
      code,
      name: configured?.name ?? code,
      level: configured?.level ?? now.level ?? '',
      expectedEntries: configured?.expectedEntries ?? [],
      rank: 0,
      bottom: false,
      current: now,
      previous: before,
      trend: round(now.score - before.score),
    };
  });
  rows.sort(
    (a, b) =>
      b.current.score - a.current.score ||
      b.current.delivered - a.current.delivered ||
      a.code.localeCompare(b.code),
  );
  rows.forEach((row, i) => {
    row.rank = i + 1;
    row.bottom = i >= rows.length - request.bottom;
  });
  return { request, previousPeriod, providers: rows };
}

interface Counts {
  sources: number;
  accepted: number;
  conflicts: number;
  late: number;
  rejected: number;
  /** Valid rows of files held back over their reject threshold: read, not applied. */
  held: number;
  entries: string[];
  level?: string;
}

const emptyCounts = (): Counts => ({
  sources: 0,
  accepted: 0,
  conflicts: 0,
  late: 0,
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
  // Rows read, as the run summary counts them: applied (lineage), rejected, and the valid rows of held-back files.
  const delivered = counts.sources + counts.rejected + counts.held;
  const expected = provider?.expectedEntries ?? [];
  const coverage =
    expected.length === 0
      ? null
      : expected.filter((code) => counts.entries.includes(code)).length / expected.length;
  const rejectionRate = delivered > 0 ? counts.rejected / delivered : null;
  const lateRate = counts.sources > 0 ? counts.late / counts.sources : null;
  const score =
    delivered === 0
      ? 0
      : SCORE_WEIGHTS.acceptance * (1 - (rejectionRate ?? 0)) +
        SCORE_WEIGHTS.timeliness * (1 - (lateRate ?? 0)) +
        SCORE_WEIGHTS.coverage * (coverage ?? 1);
  return {
    delivered,
    accepted: counts.accepted,
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

/** The period of the same length that ends the day before `from`. */
export function periodBefore(from: string, to: string): { from: string; to: string } {
  const start = Date.parse(`${from}T00:00:00Z`);
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - start) / DAY) + 1;
  const iso = (time: number) => new Date(time).toISOString().slice(0, 10);
  return { from: iso(start - days * DAY), to: iso(start - DAY) };
}

/** A rate as a percentage for people, `—` when there was nothing to count. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}
