import type { RejectionFilter } from '../../warehouse/rejection-browse-repository.ts';
import { html, query, type SafeHtml } from '../html.ts';
import { options, shown, table, when } from './page-parts.ts';
import type { RejectionLine } from './rejections-view.ts';

/** Everything the rejection list shows. */
export interface RejectionsModel {
  filter: RejectionFilter;
  lines: RejectionLine[];
  nextBefore: number | undefined;
  /** The page is a continuation (`before` given): offer the way back to the first page. */
  continued: boolean;
  providers: (readonly [code: string, label: string])[];
  catalogEntries: (readonly [code: string, title: string])[];
  errorCodes: (readonly [code: string, meaning: string])[];
  unmasked: boolean;
  /** The auditor's unmask form (or the link to mask again), from ../unmask.ts; empty for other roles. */
  unmaskSwitch: SafeHtml | '';
  /**
   * Unmasked: the hidden fields that post the reason on (../unmask.ts), so the downloads and the other pages
   * stay unmasked, each logged as a view of its own; else empty (links, masked).
   */
  unmaskCarried: SafeHtml | '';
  /** Why the download needs a narrower filter, or undefined when the filter is a report's scope. */
  downloadProblem: string | undefined;
}

/** The filter as query parameters (the form's names), for links that keep it. */
export function filterParams(filter: RejectionFilter): Record<string, string | number | undefined> {
  return {
    provider: filter.providerCode,
    catalog: filter.catalogCode,
    code: filter.errorCode,
    from: filter.from,
    to: filter.to,
    run: filter.runId,
  };
}

export function rejectionsBody(model: RejectionsModel): SafeHtml {
  const { filter } = model;
  const params = filterParams(filter);
  // Unmasked, a link becomes a form posting the reason on; masked, a plain link.
  const carried = model.unmaskCarried;
  const go = (target: string, id: string, label: string) =>
    carried
      ? html`<form method="post" action="${target}" class="inline">${carried}<button type="submit" id="${id}">${label}</button></form>`
      : html`<a id="${id}" href="${target}">${label}</a>`;
  const rows = model.lines.flatMap((line) =>
    line.errors.map((error, i) => [
      i === 0 ? when(line.receivedAt) : '',
      i === 0 ? line.provider : '',
      i === 0 ? html`${line.catalogTitle}<br><small>${line.catalogCode}</small>` : '',
      i === 0
        ? html`${line.file}<br><small><a href="/runs/${line.runId}">运行 ${line.runId}</a></small>`
        : '',
      i === 0 ? line.rowNumber : '',
      html`${error.fieldTitle}<br><small>${error.field}</small>`,
      html`<span class="value">${shown(error.value)}</span>`,
      html`<span class="error-code">${error.code}</span><br>${error.message}`,
      error.fix,
    ]),
  );
  const download = (format: string) => `/rejections/download${query({ ...params, format })}`;
  return html`<form class="filters" method="get" action="/rejections">
<label>报送单位 <select name="provider">${options('全部', model.providers, filter.providerCode)}</select></label>
<label>目录 <select name="catalog">${options('全部', model.catalogEntries, filter.catalogCode)}</select></label>
<label>错误代码 <select name="code">${options('全部', model.errorCodes, filter.errorCode)}</select></label>
<label>接收日期 从 <input type="date" name="from" value="${filter.from}"></label>
<label>至 <input type="date" name="to" value="${filter.to}"></label>
<label>运行批次 <input type="number" name="run" min="1" value="${filter.runId}" style="width:6em"></label>
<button type="submit">筛选</button> <a href="/rejections">清除筛选</a>
</form>
<p class="downloads">${
    model.downloadProblem
      ? html`下载报告：${model.downloadProblem}`
      : html`下载${carried ? '未脱敏的' : ''}报告（与命令 report rejections 相同）：${go(download('xlsx'), 'download-xlsx', 'Excel（XLSX）')} · ${go(download('csv'), 'download-csv', 'CSV')}`
  }</p>
${model.unmaskSwitch}
${table(['接收时间', '报送单位', '目录', '文件', '行号', '字段', '值', '错误', '处理建议'], rows, {
  id: 'rejections',
  empty: '没有符合条件的拒收数据',
})}
<p class="pager">${model.continued ? go(`/rejections${query(params)}`, 'first-page', '第一页') : ''}${
    model.nextBefore === undefined
      ? ''
      : go(`/rejections${query({ ...params, before: model.nextBefore })}`, 'next-page', '下一页')
  }</p>`;
}
