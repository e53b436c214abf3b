import ExcelJS from 'exceljs';

/**
 * A small workbook of one sheet 处罚 (名称, 决定日期, 金额) as exceljs builds it, not yet written: `rows` data rows
 * (`公司0`, `2026-08-07`, 1.5 …), `dateFormatOn` a cell given the number format `yyyy/m/d`, `merge` a range merged.
 * The test writes it as it needs (a buffer or a file).
 */
export function penaltyWorkbook(options: {
  rows: number;
  dateFormatOn?: string;
  merge?: string;
}): ExcelJS.Workbook {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('处罚');
  sheet.addRow(['名称', '决定日期', '金额']);
  for (let i = 0; i < options.rows; i++) sheet.addRow([`公司${i}`, '2026-08-07', 1.5]);
  if (options.dateFormatOn) sheet.getCell(options.dateFormatOn).numFmt = 'yyyy/m/d';
  if (options.merge) sheet.mergeCells(options.merge);
  return book;
}
