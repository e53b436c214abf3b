import { describe, expect, it } from 'vitest';
import { csvLine, spreadsheetSafe } from './spreadsheet-safe.ts';

describe('spreadsheetSafe', () => {
  it.each(['=1+1', '+86 531', '-5', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://x","y")'])(
    'neutralizes %j with a leading apostrophe',
    (value) => {
      expect(spreadsheetSafe(value)).toBe(`'${value}`);
    },
  );

  it.each(['济南市', '91350100M000100Y43', '2026-03-05', '', "'already"])('leaves %j as it is', (value) => {
    expect(spreadsheetSafe(value)).toBe(value);
  });

  it('quotes a neutralized CSV cell that holds quotes or commas', () => {
    expect(csvLine(['=A1,"x"', 'ok'])).toBe(`"'=A1,""x""",ok\r\n`);
  });
});
