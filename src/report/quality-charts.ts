import type { ProviderQuality } from './quality-stats.ts';

/** Escapes text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );
}

const LABEL = 200;
const BAR = 360;
const ROW = 28;
const TOP = 24;

/** Horizontal bars of the score in rank order (rank 1 on top), the bottom N in red. Inline SVG, no script. */
export function rankingChart(providers: readonly ProviderQuality[]): string {
  const height = TOP + providers.length * ROW + 8;
  const bars = providers.map((p, i) => {
    const y = TOP + i * ROW;
    const width = (Math.max(p.current.score, 0) / 100) * BAR;
    return `<g class="bar${p.bottom ? ' bottom' : ''}" data-provider="${escapeHtml(p.code)}" data-rank="${p.rank}">
  <text x="${LABEL - 8}" y="${y + 17}" text-anchor="end">${p.rank}. ${escapeHtml(p.name)}</text>
  <rect x="${LABEL}" y="${y + 4}" width="${width.toFixed(1)}" height="${ROW - 8}" fill="${p.bottom ? '#c00000' : '#2f6fb3'}"/>
  <text x="${LABEL + width + 6}" y="${y + 17}">${p.current.score}</text>
</g>`;
  });
  return `<svg id="ranking-chart" xmlns="http://www.w3.org/2000/svg" width="${LABEL + BAR + 60}" height="${height}" role="img" aria-label="得分排名">
<text x="${LABEL}" y="14" class="axis">得分（0–100）</text>
${bars.join('\n')}
</svg>`;
}

/** The previous and the current score of each provider side by side (grey: previous, blue: current). */
export function trendChart(providers: readonly ProviderQuality[]): string {
  const group = ROW * 1.6;
  const height = TOP + providers.length * group + 8;
  const bar = (x: number, y: number, score: number, colour: string, kind: string) => {
    const width = (Math.max(score, 0) / 100) * BAR;
    return `<rect class="${kind}" x="${x}" y="${y}" width="${width.toFixed(1)}" height="${ROW / 2 - 2}" fill="${colour}"/>
  <text x="${x + width + 6}" y="${y + ROW / 2 - 4}" class="small">${score}</text>`;
  };
  const groups = providers.map((p, i) => {
    const y = TOP + i * group;
    const sign = p.trend > 0 ? '▲' : p.trend < 0 ? '▼' : '＝';
    return `<g class="trend" data-provider="${escapeHtml(p.code)}">
  <text x="${LABEL - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${escapeHtml(p.name)} ${sign}${Math.abs(p.trend)}</text>
  ${bar(LABEL, y, p.previous.score, '#a6a6a6', 'previous')}
  ${bar(LABEL, y + ROW / 2, p.current.score, '#2f6fb3', 'current')}
</g>`;
  });
  return `<svg id="trend-chart" xmlns="http://www.w3.org/2000/svg" width="${LABEL + BAR + 60}" height="${height}" role="img" aria-label="与上期比较">
<rect x="${LABEL}" y="4" width="10" height="10" fill="#a6a6a6"/><text x="${LABEL + 14}" y="13" class="small">上期</text>
<rect x="${LABEL + 60}" y="4" width="10" height="10" fill="#2f6fb3"/><text x="${LABEL + 74}" y="13" class="small">本期</text>
${groups.join('\n')}
</svg>`;
}
