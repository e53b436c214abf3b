import type { ProviderQuality } from './quality-stats.ts';

/** Escapes text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );
}

const BAR = 360;
const ROW = 28;
const TOP = 24;
/** Room right of a bar for its score (`100`) and of the chart's edge. */
const SCORE = 60;

/**
 * Pixels a label needs at the charts' 13px font: a CJK character (and full-width punctuation, ▲▼) is as wide as the
 * font size, anything else at most 0.62 of it (digits of a code, Latin). Generous, so no name or code is cut.
 */
export function labelWidth(text: string): number {
  let width = 0;
  for (const char of text)
    width += /[\u25A0-\u25FF\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFFEF]/.test(char) ? 13 : 8.1;
  return Math.ceil(width);
}

/** Where the bars start: after the widest label, never less than 120px. */
function labelColumn(labels: readonly string[]): number {
  return Math.max(120, ...labels.map((label) => labelWidth(label) + 16));
}

/** Horizontal bars of the score in rank order (rank 1 on top), the bottom N in red. Inline SVG, no script. */
export function rankingChart(providers: readonly ProviderQuality[]): string {
  const height = TOP + providers.length * ROW + 8;
  const label = (p: ProviderQuality) => `${p.rank}. ${p.name}${p.registered ? '' : '（未登记）'}`;
  const left = labelColumn(providers.map(label));
  const bars = providers.map((p, i) => {
    const y = TOP + i * ROW;
    const width = (Math.max(p.current.score, 0) / 100) * BAR;
    return `<g class="bar${p.bottom ? ' bottom' : ''}" data-provider="${escapeHtml(p.code)}" data-rank="${p.rank}">
  <text x="${left - 8}" y="${y + 17}" text-anchor="end">${escapeHtml(label(p))}</text>
  <rect x="${left}" y="${y + 4}" width="${width.toFixed(1)}" height="${ROW - 8}" fill="${p.bottom ? '#c00000' : '#2f6fb3'}"/>
  <text x="${left + width + 6}" y="${y + 17}">${p.current.score}</text>
</g>`;
  });
  return `<svg id="ranking-chart" xmlns="http://www.w3.org/2000/svg" width="${left + BAR + SCORE}" height="${height}" role="img" aria-label="得分排名">
<text x="${left}" y="14" class="axis">得分（0–100）</text>
${bars.join('\n')}
</svg>`;
}

/** The previous and the current score of each provider side by side (grey: previous, blue: current). */
export function trendChart(providers: readonly ProviderQuality[]): string {
  const group = ROW * 1.6;
  const label = ({ name, trend }: ProviderQuality) =>
    trend === null ? `${name} —` : `${name} ${trend > 0 ? '▲' : trend < 0 ? '▼' : '＝'}${Math.abs(trend)}`;
  const left = labelColumn(providers.map(label));
  const height = TOP + providers.length * group + 8;
  const bar = (x: number, y: number, score: number, colour: string, kind: string) => {
    const width = (Math.max(score, 0) / 100) * BAR;
    return `<rect class="${kind}" x="${x}" y="${y}" width="${width.toFixed(1)}" height="${ROW / 2 - 2}" fill="${colour}"/>
  <text x="${x + width + 6}" y="${y + ROW / 2 - 4}" class="small">${score}</text>`;
  };
  const groups = providers.map((p, i) => {
    const y = TOP + i * group;
    return `<g class="trend" data-provider="${escapeHtml(p.code)}">
  <text x="${left - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${escapeHtml(label(p))}</text>
  ${p.previous ? bar(left, y, p.previous.score, '#a6a6a6', 'previous') : `<text x="${left + 6}" y="${y + ROW / 2 - 4}" class="small">上期 —</text>`}
  ${bar(left, y + ROW / 2, p.current.score, '#2f6fb3', 'current')}
</g>`;
  });
  return `<svg id="trend-chart" xmlns="http://www.w3.org/2000/svg" width="${left + BAR + SCORE}" height="${height}" role="img" aria-label="与上期比较">
<rect x="${left}" y="4" width="10" height="10" fill="#a6a6a6"/><text x="${left + 14}" y="13" class="small">上期</text>
<rect x="${left + 60}" y="4" width="10" height="10" fill="#2f6fb3"/><text x="${left + 74}" y="13" class="small">本期</text>
${groups.join('\n')}
</svg>`;
}
