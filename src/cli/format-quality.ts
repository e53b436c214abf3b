import { maskPersonalText } from '../log/mask-personal-data.ts';
import { QUALITY_HEADERS, qualityCells } from '../report/quality-columns.ts';
import type { PeriodFigures, QualityBulletin } from '../report/quality-stats.ts';
import { formatTable } from './format-table.ts';

/** A file `report quality` wrote. */
export interface QualityFile {
  format: 'xlsx' | 'html';
  /** Absolute. */
  path: string;
}

/** The bulletin's columns the console shows, in this order, under the bulletin's own labels; then 末位. */
const CONSOLE_COLUMNS = [
  '排名',
  '报送单位',
  '代码',
  '得分',
  '报送行数',
  '拒收率',
  '迟报率',
  '目录覆盖',
  '重复报送行数',
] as const satisfies readonly (typeof QUALITY_HEADERS)[number][];

/** The flag column: the bulletin's word for the highlighted last places (末位约谈). */
const BOTTOM_COLUMN = '末位';

/**
 * What `report quality` prints once its file is written: the period, one line per provider in rank order, then
 * the files. Each cell is the bulletin's own (qualityCells: `12.5%`, `1/2（50.0%）`, `<code>（未登记）`, `—`), so the
 * console says what the HTML table says. Provider names and codes come from the registry or are checked codes
 * (USCCs, never masked); a path the operator chose may name a person, and is masked as every printed path is.
 */
export function qualityText(bulletin: QualityBulletin, files: readonly QualityFile[]): string {
  const { request, previousPeriod, providers } = bulletin;
  const index = CONSOLE_COLUMNS.map((header) => QUALITY_HEADERS.indexOf(header));
  const rows = providers.map((provider) => {
    const cells = qualityCells(provider);
    return [...index.map((i) => cells[i] ?? ''), provider.bottom ? BOTTOM_COLUMN : ''];
  });
  const lines = [
    `quality bulletin ${request.from} to ${request.to} (previous period ${previousPeriod.from} to ${previousPeriod.to}), level ${request.level ?? 'all'}: ${providers.length} provider(s), the last ${request.bottom} place(s) flagged ${BOTTOM_COLUMN} (ties at the cut-off whole)`,
  ];
  // 排名, 报送单位 and 代码 read left to right; the figures after them right-aligned.
  if (providers.length > 0)
    lines.push(formatTable([...CONSOLE_COLUMNS, BOTTOM_COLUMN], rows, { leftColumns: 3 }));
  for (const file of files) lines.push(`written: ${maskPersonalText(file.path)} (${file.format})`);
  return lines.join('\n');
}

/**
 * `report quality --json`: the bulletin's figures as quality-stats computes them (the numbers the files show,
 * rates as fractions 0–1, `null` where the files show `—`), and the files written. Codes are never masked.
 */
export function qualityJson(bulletin: QualityBulletin, files: readonly QualityFile[]): object {
  const { request, previousPeriod } = bulletin;
  return {
    period: { from: request.from, to: request.to },
    previousPeriod,
    level: request.level ?? null,
    bottom: request.bottom,
    providers: bulletin.providers.map((provider) => ({
      rank: provider.rank,
      code: provider.code,
      name: provider.name,
      level: provider.level,
      registered: provider.registered,
      bottom: provider.bottom,
      expectedEntries: provider.expectedEntries,
      current: figuresJson(provider.current),
      previous: provider.previous === null ? null : figuresJson(provider.previous),
      trend: provider.trend,
    })),
    files: files.map((file) => ({ format: file.format, path: maskPersonalText(file.path) })),
  };
}

/** One period's figures, field by field (the bulletin's own object also carries the channel level it read). */
function figuresJson(figures: PeriodFigures): PeriodFigures {
  return {
    delivered: figures.delivered,
    accepted: figures.accepted,
    redelivered: figures.redelivered,
    rejected: figures.rejected,
    held: figures.held,
    conflicts: figures.conflicts,
    late: figures.late,
    rejectionRate: figures.rejectionRate,
    lateRate: figures.lateRate,
    deliveredEntries: figures.deliveredEntries,
    coverage: figures.coverage,
    score: figures.score,
  };
}
