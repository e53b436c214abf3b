import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { escapeText } from '../html.ts';

/*
 * The data pages build their markup as strings from these parts: every warehouse or user value goes through
 * `esc` (the console's escapeText), and the finished body enters the layout through raw().
 */

/** Text made safe for HTML content and attribute values; nothing for null and undefined. */
export function esc(value: unknown): string {
  return value === undefined || value === null ? '' : escapeText(String(value));
}

/** A value shown in a cell: a dash for nothing. */
export function shown(value: unknown): string {
  return value === undefined || value === null || value === '' ? '—' : esc(value);
}

/** A moment as operators read it: Beijing time. */
export function when(date: Date | null | undefined): string {
  return date ? esc(shanghaiTime(date)) : '—';
}

/** A table from headers and already-escaped cells; `empty` says what an empty list means. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: { id?: string; empty?: string; rowClass?: (index: number) => string | undefined } = {},
): string {
  if (rows.length === 0) return `<p class="empty">${esc(options.empty ?? '无')}</p>`;
  return `<table${options.id ? ` id="${esc(options.id)}"` : ''}><thead><tr>${headers
    .map((header) => `<th>${esc(header)}</th>`)
    .join('')}</tr></thead><tbody>${rows
    .map((cells, i) => {
      const rowClass = options.rowClass?.(i);
      return `<tr${rowClass ? ` class="${esc(rowClass)}"` : ''}>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
    })
    .join('')}</tbody></table>`;
}

/** `<option>`s with the current value selected; the first is "all" (an empty value). */
export function options(
  all: string,
  choices: readonly (readonly [value: string, label: string])[],
  selected: string | undefined,
): string {
  return [
    `<option value="">${esc(all)}</option>`,
    ...choices.map(
      ([value, label]) =>
        `<option value="${esc(value)}"${value === selected ? ' selected' : ''}>${esc(label)}</option>`,
    ),
  ].join('');
}

/** Styles of the data pages (tables of rows and errors), added to the console's own. */
export const PAGE_STYLE = `
.error-code { font-family: ui-monospace, Consolas, monospace; white-space: nowrap; }
tr.overdue td { background: #ffc7ce; color: #9c0006; }
.side-by-side td.differs { background: #ffeb9c; }
.marks span { display: inline-block; margin-right: 8px; padding: 1px 6px; border: 1px solid #999; border-radius: 3px; }
.pager a { margin-right: 16px; }`;
