/** A plain text table; column widths count CJK characters as two cells, as terminals draw them. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => displayWidth(row[i] ?? ''))));
  const line = (row: string[]) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - displayWidth(cell));
        return i === 0 ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd();
  return cells.map(line).join('\n');
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
