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

/**
 * A workbook of decisions as providers' exports look: a notes sheet 说明 first, then 处罚 (行政处罚决定书文号, 决定日期,
 * 金额, 备注) with `rows` data rows, dates as `yyyy/m/d` dates (each row's `dayOf(i)` days after 2026-08-07; the
 * same day by default), every seventh 备注 blank, D3 rich text (济南市 + 市场监督管理局). Not yet written: a test adds
 * the cells it is about.
 */
export function decisionsWorkbook(rows: number, dayOf: (row: number) => number = () => 0): ExcelJS.Workbook {
  const book = new ExcelJS.Workbook();
  book.addWorksheet('说明').addRow(['填报说明：每行一条处罚决定']);
  const sheet = book.addWorksheet('处罚');
  sheet.addRow(['行政处罚决定书文号', '决定日期', '金额', '备注']);
  for (let i = 0; i < rows; i++) {
    sheet.addRow([
      `鲁市监罚〔2026〕${i}号`,
      new Date(Date.UTC(2026, 7, 7 + dayOf(i))),
      1.5 + i,
      i % 7 === 0 ? '' : `注${i}`,
    ]);
  }
  sheet.getColumn(2).numFmt = 'yyyy/m/d';
  sheet.getCell('D3').value = { richText: [{ text: '济南市' }, { text: '市场监督管理局' }] };
  return book;
}
