const OPENING = /[〔［[（(【〖]/g;
const CLOSING = /[〕］\]）)】〗]/g;
const CANONICAL_DOCUMENT_NUMBER = /^[\u4E00-\u9FFF0-9A-Z〔〕]*$/;

/**
 * Decision numbers typed any which way are one number: `鲁市监罚【2026】12号`, `鲁市监罚(2026)12号` and
 * `鲁市监罚 〔2026〕 12 号` all become `鲁市监罚〔2026〕12号`.
 */
export function normalizeDocumentNumber(text: string): string {
  // Called up to three times per row (normalizer, key, hash fold), nearly always on a number already in its
  // canonical form: CJK unified ideographs, ASCII digits and capitals and 〔〕 are left as they are by every step.
  if (CANONICAL_DOCUMENT_NUMBER.test(text)) return text;
  return text
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(OPENING, '〔')
    .replace(CLOSING, '〕')
    .toUpperCase();
}
