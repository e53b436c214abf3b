import { displayWidth } from './format-table.ts';

/** Where a line may break after: spaces and Chinese and Latin list punctuation. */
const BREAK_AFTER = /[\s，。；、：,;)）]/;

/**
 * Text cut into lines at most `width` terminal cells wide (CJK characters count two), breaking after a space or
 * punctuation when one is near, else inside a word: a long code list stays readable in an 80-column terminal.
 */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let rest = [...paragraph];
    while (displayWidth(rest.join('')) > width) {
      let used = 0;
      let cut = 0;
      let lastBreak = 0;
      while (cut < rest.length && used + displayWidth(rest[cut]!) <= width) {
        used += displayWidth(rest[cut]!);
        cut++;
        if (BREAK_AFTER.test(rest[cut - 1]!)) lastBreak = cut;
      }
      // Break at punctuation unless that leaves a short stub of a line.
      const at = lastBreak > cut / 2 ? lastBreak : Math.max(cut, 1);
      lines.push(rest.slice(0, at).join('').trimEnd());
      rest = rest.slice(at);
      while (rest[0] === ' ') rest.shift();
    }
    lines.push(rest.join(''));
  }
  return lines;
}

/** The width to wrap console output to: the terminal's, or 100 columns when piped. */
export function consoleWidth(): number {
  return Math.max(process.stdout.columns ?? 100, 60);
}
