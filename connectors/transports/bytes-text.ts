/**
 * How a size is written in a message:
 * - `字节` (a provider's message) and `bytes` (an operator's English) give the exact count, then a readable size
 *   in binary units: `52428800 字节（50 MiB）`, `3145728 bytes (3 MiB)`; under 1 KiB the count alone (`500 字节`);
 * - `short` gives a readable size alone, for a limit quoted inside a longer Chinese sentence: `64 KB`, `1.5 MB`.
 */
export type BytesStyle = '字节' | 'bytes' | 'short';

const EXACT_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;
// The short style stops at GB: the limits it quotes (expanded bytes, ratios' inputs) stay below a terabyte.
const SHORT_UNITS = ['KB', 'MB', 'GB'] as const;

export function bytesText(bytes: number, style: BytesStyle = '字节'): string {
  const { value, unit } = scaled(bytes, style === 'short' ? SHORT_UNITS : EXACT_UNITS);
  if (style === 'short') return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit || 'B'}`;
  if (unit === '') return `${bytes} ${style}`;
  const readable = `${Math.round(value * 10) / 10} ${unit}`;
  return style === '字节' ? `${bytes} 字节（${readable}）` : `${bytes} bytes (${readable})`;
}

/** The size in the largest of `units` (each 1024 of the one before) it reaches; unit '' under 1024 bytes. */
function scaled(bytes: number, units: readonly string[]): { value: number; unit: string } {
  let value = bytes;
  let unit = '';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return { value, unit };
}
