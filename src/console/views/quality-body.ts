import { CHANNEL_LEVELS } from '../../catalog/catalog-entry.ts';
import { qualityBulletinHtml } from '../../report/quality-html.ts';
import type { QualityBulletin, QualityRequest } from '../../report/quality-stats.ts';
import { html, query, raw, type SafeHtml } from '../html.ts';
import { options } from './page-parts.ts';

const LEVEL_TITLES = { province: '省级', city: '市级', county: '县级' } as const;

/** The period form, then the bulletin itself (the same HTML `report quality --format html` writes). */
export function qualityBody(
  request: QualityRequest,
  bulletin: QualityBulletin | undefined,
  problem: string | undefined,
): SafeHtml {
  return html`<form class="filters" method="get" action="/quality">
<label>统计期间 从 <input type="date" name="from" value="${request.from}" required></label>
<label>至 <input type="date" name="to" value="${request.to}" required></label>
<label>层级 <select name="level">${options(
    '全部',
    CHANNEL_LEVELS.map((level) => [level, LEVEL_TITLES[level]] as const),
    request.level,
  )}</select></label>
<label>标出末位 <input type="number" name="bottom" min="0" value="${request.bottom}" style="width:4em"> 位</label>
<button type="submit">生成通报</button>
${bulletin ? html`<a id="download-quality" href="/quality/download${query({ from: request.from, to: request.to, level: request.level, bottom: request.bottom })}">下载 Excel（XLSX）</a>` : ''}
</form>
${problem ? html`<p class="problem" role="alert">${problem}</p>` : ''}
${bulletin ? html`<div class="quality-bulletin">${raw(qualityBulletinHtml(bulletin, { heading: false }))}</div>` : ''}`;
}
