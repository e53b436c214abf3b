import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../../fixtures/generate/penalty-rows.ts';

/** Values a spreadsheet would run as formulas, one per bad row of `deliveryWithInjections`. */
export const INJECTIONS = [
  '=HYPERLINK("http://evil.example","点我")',
  '+1+2',
  '@SUM(A1)',
  '-3',
  '\tTAB',
  '\rCR',
];

/**
 * Twelve penalty rows, every second one bad (rows 3, 5, …, 13: one known defect each); each bad row's
 * 备注 (remark) holds one of INJECTIONS and the first bad row's name holds a formula too.
 */
export function deliveryWithInjections(dir: string, name = 'injections.csv') {
  const generated = generatePenalties(12, { badShare: 0.5, seed: 8 });
  generated.expected.forEach((bad, i) => {
    const row = generated.rows[bad.row - 2]!;
    row[29] = INJECTIONS[i] ?? '';
    if (i === 0) row[0] = INJECTIONS[0]!;
  });
  const file = path.join(dir, name);
  writeFileSync(file, toCsv(PENALTY_HEADER, generated.rows));
  return { file, ...generated };
}
