/**
 * XML markup whose content holds no tag, each with the text that ends it: a comment, CDATA, a processing
 * instruction. The scans over a part's text on its way to the parsers (`MainPrefix` on bytes, `ImpliedRefs` on
 * text) pass over it, so a `<c>` or `<x:row>` written inside (a cell's CDATA, a commented-out row) is left as it is.
 */
export const SKIPPED_MARKUP = [
  ['<!--', '-->'],
  ['<![CDATA[', ']]>'],
  ['<?', '?>'],
] as const;

/** The most characters after a `<` that tell which skipped markup it opens (`<![CDATA[`), if any. */
export const LONGEST_SKIPPED_START = Math.max(...SKIPPED_MARKUP.map(([start]) => start.length));
