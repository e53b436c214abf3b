import type ExcelJS from 'exceljs';

/**
 * A sheet's rows as plain values: the reports write text as typed inline strings, which exceljs reads back as
 * `{ richText }`; here they are their text again, numbers stay numbers, empty cells `undefined`.
 */
export function sheetValues(sheet: ExcelJS.Worksheet): unknown[][] {
  const all: unknown[][] = [];
  sheet.eachRow((row) => {
    all.push((row.values as unknown[]).slice(1).map(plainValue));
  });
  return all;
}

function plainValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'richText' in value) {
    return (value as { richText: { text: string }[] }).richText.map((run) => run.text).join('');
  }
  return value;
}
