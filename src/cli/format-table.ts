import { maskPersonalText } from '../log/mask-personal-data.ts';
import { maskStrings } from '../objections/objection-masking.ts';

/**
 * A plain text table; column widths count CJK characters as two cells, as terminals draw them. Columns after the
 * first are right-aligned (counts) unless `left` (all text) or among the first `leftColumns` (a name and a code
 * before the figures). A cell holding line breaks (a wrapped long text) spans several lines of its row.
 */
export function formatTable(
  header: string[],
  rows: (string | number)[][],
  options: { left?: boolean; leftColumns?: number } = {},
): string {
  const leftColumns = Math.max(options.leftColumns ?? 1, 1);
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) =>
    Math.max(...cells.flatMap((row) => (row[i] ?? '').split('\n').map(displayWidth))),
  );
  const line = (row: string[]) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - displayWidth(cell));
        return i < leftColumns || options.left ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd();
  const lines = (row: string[]) => {
    const parts = row.map((cell) => cell.split('\n'));
    const height = Math.max(...parts.map((part) => part.length));
    return Array.from({ length: height }, (_, n) => line(parts.map((part) => part[n] ?? '')));
  };
  return cells.flatMap(lines).join('\n');
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text)
    width +=
      /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|[\u{20000}-\u{3FFFD}]/u.test(
        char,
      )
        ? 2
        : 1;
  return width;
}

/**
 * formatTable with every text cell masked on its own (file names, keys, values, notes may quote an ID number),
 * never the laid-out table: its numbers, aligned by spaces, read to the masker as the spaced groups of an ID
 * (`120  0  0  0  1  6  0  113` holds a 15-digit number that checks; a lineage row's ids beside a file named by its
 * date; a schedule beside its next run), and it masked them.
 */
export function maskedTable(
  header: string[],
  rows: (string | number)[][],
  options: { left?: boolean } = {},
): string {
  const masked = rows.map((row) =>
    row.map((cell) => (typeof cell === 'string' ? maskPersonalText(cell) : cell)),
  );
  return formatTable(header, masked, options);
}

/** A whole value that is a UUID (a job's id, a run's job): its digit groups can read as a spaced ID, never one. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `--json` output with every string value masked on its own (maskStrings), never the whole document: masked
 * whole, a UUID's groups (`abcde123-4567-0101-0010-…` holds `123456701010010`, a 15-digit number born 1970-10-10)
 * came out with stars. A string value that is a UUID and nothing else is shown as it is; one holding a UUID among
 * other text is masked as any text.
 */
export function maskedJson(value: unknown): string {
  return JSON.stringify(maskStrings(value, (text) => (UUID.test(text) ? text : maskPersonalText(text))));
}
