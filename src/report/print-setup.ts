import type ExcelJS from 'exceljs';

/** Text that wraps inside its cell, top-aligned so a row of long messages reads from its first line. */
export const WRAP: Partial<ExcelJS.Alignment> = { wrapText: true, vertical: 'top' };

/**
 * How every report sheet prints (a provider prints the notice; a bulletin goes into a meeting's papers): A4
 * landscape, all columns on the page width (as many pages down as it takes), the heading rows repeated on each
 * page, the document's title in the page header and `第 n 页 / 共 m 页` in the footer. Passed to `addWorksheet`,
 * since the streaming writer writes page setup with the sheet's first row.
 */
export function printLayout(
  title: string,
  headingRows = 0,
): Pick<Partial<ExcelJS.AddWorksheetOptions>, 'pageSetup' | 'headerFooter'> {
  // `&` starts a header/footer code in Excel: a literal one is written twice.
  const text = title.replace(/&/g, '&&');
  return {
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      horizontalCentered: true,
      margins: { left: 0.4, right: 0.4, top: 0.7, bottom: 0.7, header: 0.3, footer: 0.3 },
      ...(headingRows > 0 ? { printTitlesRow: `1:${headingRows}` } : {}),
    },
    headerFooter: {
      oddHeader: `&L${text}`,
      oddFooter: '&C第 &P 页 / 共 &N 页',
    },
  };
}
