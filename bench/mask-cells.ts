/**
 * What masking costs a cell shown: maskPersonalText over ~100,000 cells of generated penalty rows (names, USCCs,
 * resident IDs, decision numbers, facts, dates, amounts, empties), as a rejection report or a page shows them.
 * `npx tsx bench/mask-cells.ts`: the median of 31 rounds, in ns per cell.
 */
import { penaltyRows } from '../fixtures/generate/penalty-rows.ts';
import { maskPersonalText } from '../src/log/mask-personal-data.ts';

const ROWS = 3400;
const ROUNDS = 31;

const cells: string[] = [];
for (const { row } of penaltyRows(ROWS, { badShare: 0.05 })) cells.push(...row);
// A share typed as people type them: full-width digits, spaced IDs, and one in free text.
for (let i = 0; i < cells.length; i += 50) {
  const cell = cells[i]!;
  cells[i] =
    i % 150 === 0
      ? cell.replace(/[0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 48 + 0xff10))
      : `当事人${cell}，身份证号370102198001010011，住所地济南市历下区`;
}

let sink = 0;
const round = (): number => {
  const started = process.hrtime.bigint();
  for (const cell of cells) sink += maskPersonalText(cell).length;
  return Number(process.hrtime.bigint() - started) / cells.length;
};
for (let i = 0; i < 5; i++) round();
const times = Array.from({ length: ROUNDS }, round).sort((a, b) => a - b);
console.log(
  `${cells.length} cells: median ${times[ROUNDS >> 1]!.toFixed(0)} ns/cell, ` +
    `best ${times[0]!.toFixed(0)}, worst ${times[ROUNDS - 1]!.toFixed(0)} (${sink > 0 ? 'ok' : ''})`,
);
