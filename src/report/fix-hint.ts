import hintFile from './fix-hints.json' with { type: 'json' };

const HINTS = Object.entries(hintFile.hints as Record<string, string>).sort(
  (a, b) => b[0].length - a[0].length,
);

/** What the provider should do about an error code (fix-hints.json, longest prefix first). */
export function fixHint(code: string): string {
  return HINTS.find(([prefix]) => code.startsWith(prefix))?.[1] ?? hintFile.fallback;
}
