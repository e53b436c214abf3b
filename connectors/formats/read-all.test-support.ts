import { Readable } from 'node:stream';
import type { Format, FormatOptions, SourceRow } from '../contracts.ts';

/** Reads a whole unit through a format: what a test needs to assert on rows, problems and counters. */
export async function readAll(
  format: Format,
  input: Buffer | Readable,
  options: Partial<FormatOptions> = {},
): Promise<{ header: string[]; rows: SourceRow[]; encoding: string; blankLines: number }> {
  const stream = Buffer.isBuffer(input) ? Readable.from([input]) : input;
  const opened = await format.open(stream, { encoding: 'auto', ...options });
  const rows: SourceRow[] = [];
  for await (const batch of opened.batches) rows.push(...batch);
  return { header: opened.header, rows, encoding: opened.encoding, blankLines: opened.stats().blankLines };
}

/** `[row, code]` pairs of the rows a format flagged: short, exact assertions. */
export const problems = (rows: SourceRow[]) =>
  rows.filter((row) => row.problem).map((row) => [row.rowNumber, row.problem?.code]);
