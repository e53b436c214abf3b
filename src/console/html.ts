import type { ConsoleUser } from './console-user.ts';
import { ROLE_LABELS } from './console-user.ts';
import { NAV_ITEMS } from './nav.ts';

/**
 * Server-rendered HTML without a template engine: `html\`<td>${value}</td>\`` escapes every interpolated value;
 * a fragment built by `html` (or wrapped in `raw()` when it is trusted markup) goes in as is. Arrays are joined,
 * so `${rows.map((row) => html\`<tr>…</tr>\`)}` works; null, undefined and false render nothing.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const escapeText = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

/** Trusted markup (e.g. the catalog's own rendered HTML): never pass user or warehouse text through it. */
export const raw = (text: string): SafeHtml => new SafeHtml(text);

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeText(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** A query string from defined values only: `query({ run: 3, page: undefined })` → `?run=3`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Plain, readable, no build: system Chinese fonts, one colour per run status (runs grid), print-friendly. */
const STYLE = `
*{box-sizing:border-box}body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;color:#1f2328;line-height:1.5;background:#fafafa}
header{background:#8b1a1a;color:#fff;padding:.6rem 1.5rem;display:flex;align-items:center;gap:1.5rem;flex-wrap:wrap}
header .brand{font-weight:600;font-size:1.1rem}header nav a{color:#fff;margin-right:1rem;text-decoration:none;opacity:.85}
header nav a.active{opacity:1;border-bottom:2px solid #fff}header .who{margin-left:auto;font-size:.9rem}
header .who form{display:inline}header button.link{background:none;border:1px solid #fff8;color:#fff;border-radius:3px;cursor:pointer;margin-left:.6rem}
main{padding:1rem 1.5rem 3rem;max-width:1500px}h1{font-size:1.4rem;margin:.4rem 0 1rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem;background:#fff}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f4f6;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.mono{font-family:ui-monospace,Consolas,monospace}
form.inline{display:inline;margin:0}
form.filters{display:flex;gap:.8rem;flex-wrap:wrap;align-items:end;background:#fff;border:1px solid #d0d7de;padding:.6rem .8rem;border-radius:4px}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:#57606a}
input,select,button{font:inherit;padding:.25rem .4rem}button{cursor:pointer}
.notice{padding:.6rem .8rem;border-radius:4px;margin:.6rem 0;background:#fff8c5;border:1px solid #d4a72c}
.error{padding:.6rem .8rem;border-radius:4px;margin:.6rem 0;background:#ffebe9;border:1px solid #cf222e;color:#82071e}
.muted{color:#57606a}.pager{margin:.8rem 0}.pager a{margin-right:1rem}
.status{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.85rem;color:#fff}
.s-completed{background:#1a7f37}.s-failed{background:#cf222e}.s-failed-threshold{background:#bc4c00}
.s-interrupted{background:#8250df}.s-running{background:#0969da}.s-none{background:#eaeef2;color:#57606a}
table.grid td.day{padding:0;width:1.3rem;height:1.3rem;border:2px solid #fff}table.grid td.day a{display:block;width:100%;height:1.3rem}
table.grid th.day{font-weight:normal;font-size:.7rem;color:#57606a;padding:0 .1rem;writing-mode:vertical-rl}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:#fff;border:1px solid #d0d7de;padding:.6rem .8rem}
dl.facts dt{color:#57606a}dl.facts dd{margin:0}
@media print{header nav,header .who form,form.filters{display:none}}`;

export interface PageParts {
  title: string;
  /** The logged-in user (undefined on the login page: no navigation then). */
  user: ConsoleUser | undefined;
  /** The navigation entry to highlight (its href, e.g. `/runs`). */
  nav?: string;
  body: SafeHtml;
  /** The logout form needs the session's CSRF field. */
  csrf?: SafeHtml;
}

/** The console's one layout: header with the navigation the user's role may see, the page, nothing external. */
export function page({ title, user, nav, body, csrf }: PageParts): string {
  const links = user
    ? NAV_ITEMS.filter((item) => item.roles.includes(user.role)).map(
        (item) => html`<a href="${item.href}" class="${item.href === nav ? 'active' : ''}">${item.label}</a>`,
      )
    : [];
  const who = user
    ? html`<span class="who">${user.name}（${ROLE_LABELS[user.role]}）<form method="post" action="/logout">${csrf}<button class="link" type="submit">退出登录</button></form></span>`
    : '';
  return html`<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · 公共信用信息平台 数据归集控制台</title><style>${raw(STYLE)}</style></head>
<body>
<header><span class="brand">数据归集控制台</span><nav>${links}</nav>${who}</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.text;
}
