import { ERROR_SCOPE_TITLES, type PublishedErrorCode, publishedEntries } from './catalog-docs.ts';
import type { CatalogEntry } from './catalog-entry.ts';
import type { EntryDescription } from './describe-entry.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

const STYLE = `
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;color:#1f2328;line-height:1.55}
header{background:#8b1a1a;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.6rem}
nav{padding:.8rem 2rem;background:#f6f1e9;border-bottom:1px solid #ddd}nav a{margin-right:1.2rem;color:#8b1a1a}
main{padding:0 2rem 3rem;max-width:1400px}section{margin-top:2rem;border-top:2px solid #8b1a1a}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.92rem}
th,td{border:1px solid #d0d7de;padding:.35rem .55rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.code{font-family:ui-monospace,Consolas,monospace;white-space:nowrap}
.nowrap{white-space:nowrap}.req{color:#b42318;font-weight:600}.cond{color:#9a6700}.meta th{width:10rem}
@media print{nav{display:none}}`;

/** The published catalog as one self-contained HTML page: no scripts, no external files. */
export function catalogHtml(
  entries: readonly CatalogEntry[],
  generatedOn: string,
  errorCodes: readonly PublishedErrorCode[] = [],
): string {
  const { nav, sections } = catalogParts(entries, errorCodes);
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>公共信用信息目录</title><style>${STYLE}</style></head>
<body>
<header><h1>公共信用信息目录</h1><div>生成日期：${escapeHtml(generatedOn)}；每行数据按其接收日期适用当日有效的版本校验。</div></header>
<nav>${nav}</nav>
<main>
${sections}
</main>
</body>
</html>
`;
}

/**
 * The catalog's table of contents (links) and its sections, as escaped HTML fragments: the published page above,
 * and the console's catalog page inside its own layout.
 */
export function catalogParts(
  entries: readonly CatalogEntry[],
  errorCodes: readonly PublishedErrorCode[] = [],
): { nav: string; sections: string } {
  const published = publishedEntries(entries);
  const anchor = (entry: EntryDescription) => `${entry.code}-v${entry.version}`;
  const nav =
    published
      .map((entry) => `<a href="#${anchor(entry)}">${escapeHtml(entry.title)} v${entry.version}</a>`)
      .join('') + (errorCodes.length > 0 ? '<a href="#error-codes">错误代码说明</a>' : '');
  const sections = `${published.map((entry) => section(entry, anchor(entry))).join('\n')}
${errorCodes.length > 0 ? errorCodeSection(errorCodes) : ''}`;
  return { nav, sections };
}

function section(entry: EntryDescription, id: string): string {
  const attributes = entry.attributes
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  const fields = entry.fields
    .map((field) => {
      const required = field.required === '必填' ? 'req' : field.required === '选填' ? '' : 'cond';
      return `<tr><td class="code">${escapeHtml(field.code)}</td><td>${escapeHtml(field.title)}</td><td class="nowrap">${field.type}</td><td class="${required}">${escapeHtml(field.required)}</td><td>${escapeHtml(field.constraints)}</td><td>${escapeHtml(field.aliases)}</td></tr>`;
    })
    .join('\n');
  const versions =
    entry.otherVersions.length > 0 ? `<p>其他版本：${escapeHtml(entry.otherVersions.join('、'))}</p>` : '';
  const rules =
    entry.rules.length > 0
      ? `<h3>校验规则</h3><ul>${entry.rules.map((rule) => `<li>${escapeHtml(rule)}</li>`).join('')}</ul>`
      : '';
  return `<section id="${id}">
<h2>${escapeHtml(entry.title)}（${escapeHtml(entry.code)}）v${entry.version}</h2>
<p>自 ${escapeHtml(entry.effectiveFrom)} 起施行。</p>${versions}
<table class="meta">${attributes}</table>
<h3>字段</h3>
<table><thead><tr><th>字段代码</th><th>名称</th><th>类型</th><th>必填</th><th>格式与取值</th><th>可用列名</th></tr></thead>
<tbody>
${fields}
</tbody></table>
${rules}
</section>`;
}

/** The table of error codes: what each means, whether a row or the file is concerned, and how to fix it. */
function errorCodeSection(errorCodes: readonly PublishedErrorCode[]): string {
  const rows = errorCodes
    .map(
      (error) =>
        `<tr><td class="code">${escapeHtml(error.code)}${error.code.endsWith('-') ? '…' : ''}</td><td class="nowrap">${ERROR_SCOPE_TITLES[error.scope]}</td><td>${escapeHtml(error.meaning)}</td><td>${escapeHtml(error.fix)}</td></tr>`,
    )
    .join('\n');
  return `<section id="error-codes">
<h2>错误代码说明</h2>
<p>拒收报告和复核通知中的错误代码：含义、涉及范围和更正方法。</p>
<table><thead><tr><th>错误代码</th><th>范围</th><th>含义</th><th>如何更正</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}
