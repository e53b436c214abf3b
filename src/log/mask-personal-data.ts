/**
 * A resident ID number (18 chars, GB 11643; or the legacy 15 digits) standing alone: digits on either side
 * mean a longer number (a 19-digit bank account, a 16-digit card), which is not an ID and stays as it is.
 * The check digit is not verified on purpose: a mistyped ID is personal data all the same.
 */
const RESIDENT_ID = /(?<!\d)(?:\d{17}[\dXx]|\d{15})(?!\d)/g;

/** Masks every resident ID number in free text to its first 4 and last 4 characters. */
export function maskPersonalData(text: string): string {
  return text.replace(RESIDENT_ID, maskOne);
}

function maskOne(id: string): string {
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}
