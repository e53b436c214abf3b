import { writeFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import {
  type GeneratedPenalties,
  generatePenalties,
  PENALTY_HEADER,
  toCsv,
} from '../../fixtures/generate/penalty-rows.ts';

/** Writes a generated penalty CSV into `dir`; returns its path and the rows' expected rejections. */
export function writePenaltyCsv(
  dir: string,
  name: string,
  count: number,
  options: { badShare?: number; seed?: number; version?: number; encoding?: 'utf8' | 'gb18030' } = {},
): { file: string } & GeneratedPenalties {
  const generated = generatePenalties(count, options);
  const text = toCsv(PENALTY_HEADER, generated.rows);
  const file = path.join(dir, name);
  writeFileSync(file, options.encoding === 'gb18030' ? iconv.encode(text, 'gb18030') : text);
  return { file, ...generated };
}
