import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { html, type SafeHtml } from '../html.ts';

/*
 * What the data pages share beyond the `html` template (which escapes every value): a dash for nothing, Beijing
 * time, a table from headers and cells, a select's options, and the pages' extra styles.
 */

/** A value shown in a cell: a dash for nothing (the template escapes the rest). */
export function shown(value: unknown): unknown {
  return value === undefined || value === null || value === '' ? '—' : value;
}

/** A moment as operators read it: Beijing time. */
export function when(date: Date | null | undefined): string {
  return date ? shanghaiTime(date) : '—';
}

/** A table from headers and cells (text, or `html` fragments); `empty` says what an empty list means. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: { id?: string; empty?: string; rowClass?: (index: number) => string | undefined } = {},
): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${options.empty ?? '无'}</p>`;
  return html`<table${options.id ? html` id="${options.id}"` : ''}><thead><tr>${headers.map(
    (header) => html`<th>${header}</th>`,
  )}</tr></thead><tbody>${rows.map((cells, i) => {
    const rowClass = options.rowClass?.(i);
    return html`<tr${rowClass ? html` class="${rowClass}"` : ''}>${cells.map((cell) => html`<td>${cell}</td>`)}</tr>`;
  })}</tbody></table>`;
}

/** `<option>`s with the current value selected; the first is "all" (an empty value). */
export function options(
  all: string,
  choices: readonly (readonly [value: string, label: string])[],
  selected: string | undefined,
): SafeHtml {
  return html`<option value="">${all}</option>${choices.map(
    ([value, label]) =>
      html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`,
  )}`;
}

/** Styles of the data pages (tables of rows and errors), added to the console's own. */
export const PAGE_STYLE = `
.error-code { font-family: ui-monospace, Consolas, monospace; white-space: nowrap; }
tr.overdue td { background: #ffc7ce; color: #9c0006; }
.side-by-side td.differs { background: #ffeb9c; }
.marks span { display: inline-block; margin-right: 8px; padding: 1px 6px; border: 1px solid #999; border-radius: 3px; }
.pager a { margin-right: 16px; }`;
