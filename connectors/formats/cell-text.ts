// How a row's problem message names a cell and quotes its value: shared by every problem a format files under a
// column (undecodable bytes, a stray quote), so they read alike and none prints a value unsafely.

/** A column as a message names it: its header name and number when the header is read, else its number. */
export function columnText(columns: readonly string[] | undefined, cell: number): string {
  const name = columns?.[cell]?.trim();
  return name ? `“${quotedCell(name)}”列（第${cell + 1}列）` : `第${cell + 1}列`;
}

/** How much of a value a message quotes: enough to find it in the file. */
const QUOTED_CHARS = 200;
/** Characters a message must not carry as they are (the database cannot store NUL; controls hide text). */
const CONTROL = /(?![\t\n\r])[\p{Cc}\p{Cs}]/gu;

/** A value as a message quotes it: cut after QUOTED_CHARS with `…`, control characters written as `\uXXXX`. */
export function quotedCell(text: string): string {
  const cut =
    text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS).replace(/[\uD800-\uDBFF]$/, '')}…` : text;
  return cut.replace(
    CONTROL,
    (character) => `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
