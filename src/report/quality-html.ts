import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeDirectory } from '../../connectors/make-directory.ts';
import { escapeHtml, rankingChart, trendChart } from './quality-charts.ts';
import { QUALITY_DEFINITIONS, QUALITY_HEADERS, qualityCells } from './quality-columns.ts';
import type { QualityBulletin } from './quality-stats.ts';

/** The bulletin's look; the console's page scopes it under its own layout. */
export const QUALITY_STYLE = `
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: right; }
th { background: #d9e1f2; } td:nth-child(2), td:nth-child(3) { text-align: left; }
tr.bottom td { background: #ffc7ce; color: #9c0006; }
svg text { font-size: 13px; fill: #222; } svg .small, svg .axis { font-size: 11px; fill: #555; }
.meta { color: #555; } .charts { display: flex; flex-wrap: wrap; gap: 32px; }
dl { font-size: 13px; } dt { font-weight: bold; float: left; width: 6em; } dd { margin-left: 7em; }`;

/**
 * The quality bulletin as one self-contained HTML file: inline CSS and inline SVG charts (ranking, trend),
 * no script and no network request, so it opens the same offline, in a mail client or printed.
 */
export async function writeQualityHtml(bulletin: QualityBulletin, outFile: string): Promise<void> {
  const { request } = bulletin;
  const html = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>公共信用信息归集质量通报 ${escapeHtml(request.from)} 至 ${escapeHtml(request.to)}</title>
<style>${QUALITY_STYLE}</style>
</head>
<body>
${qualityBulletinHtml(bulletin)}
</body>
</html>
`;
  await makeDirectory(path.dirname(path.resolve(outFile)));
  await writeFile(outFile, html);
}

/**
 * The bulletin's body (heading, charts, ranking table, definitions): the file above and the console's page. The
 * console leaves the heading out (`heading: false`): its layout already titles the page.
 */
export function qualityBulletinHtml(
  bulletin: QualityBulletin,
  { heading = true }: { heading?: boolean } = {},
): string {
  const { request, previousPeriod, providers } = bulletin;
  const rows = providers.map(
    (p) =>
      `<tr data-provider="${escapeHtml(p.code)}" data-rank="${p.rank}"${p.bottom ? ' class="bottom"' : ''}>${qualityCells(
        p,
      )
        .map((cell) => `<td>${escapeHtml(String(cell))}</td>`)
        .join('')}</tr>`,
  );
  return `${heading ? '<h1>公共信用信息归集质量通报</h1>\n' : ''}<p class="meta">统计期间 ${escapeHtml(request.from)} 至 ${escapeHtml(request.to)}（上期 ${escapeHtml(previousPeriod.from)} 至 ${escapeHtml(previousPeriod.to)}）· 层级 ${escapeHtml(request.level ?? '全部')} · 排名最后 ${request.bottom} 位以红色标出，与其并列者一并标出（末位约谈，第十五条）</p>
<div class="charts">
<section><h2>得分排名</h2>${rankingChart(providers)}</section>
<section><h2>与上期比较</h2>${trendChart(providers)}</section>
</div>
<h2>明细</h2>
<table id="ranking">
<thead><tr>${QUALITY_HEADERS.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<h2>指标说明</h2>
<dl>${QUALITY_DEFINITIONS.map(([term, text]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(text)}</dd>`).join('')}</dl>`;
}
