import path from 'node:path';
import ExcelJS from 'exceljs';
import { makeDirectory } from '../../connectors/make-directory.ts';
import { printLayout, WRAP } from './print-setup.ts';
import {
  QUALITY_DEFINITIONS,
  QUALITY_HEADERS,
  QUALITY_NUMBER_FORMATS,
  qualityXlsxCells,
} from './quality-columns.ts';
import type { QualityBulletin } from './quality-stats.ts';
import { BAD_CELL, HEADER_STYLE } from './rejection-sheet.ts';

const WIDTHS = [6, 28, 22, 8, 10, 10, 10, 12, 10, 10, 8, 18, 8, 10, 8, 12];

/** The quality bulletin (Art. 15) as a workbook: the ranking with the bottom N highlighted, then definitions. */
export async function writeQualityXlsx(bulletin: QualityBulletin, outFile: string): Promise<void> {
  const { request, previousPeriod } = bulletin;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'credit-etl';
  const sheet = workbook.addWorksheet('质量通报', printLayout('公共信用信息归集质量通报'));
  sheet.columns = WIDTHS.map((width) => ({ width }));
  sheet.addRow(['公共信用信息归集质量通报']).font = { bold: true, size: 14 };
  sheet.addRow([
    '统计期间',
    `${request.from} 至 ${request.to}（上期 ${previousPeriod.from} 至 ${previousPeriod.to}）`,
  ]);
  sheet.addRow(['层级', request.level ?? '全部']);
  sheet.addRow(['末位', `排名最后 ${request.bottom} 位以红色标出，与其并列者一并标出（末位约谈，第十五条）`]);
  sheet.addRow([]);
  const header = sheet.addRow([...QUALITY_HEADERS]);
  header.eachCell((cell) => {
    cell.style = HEADER_STYLE;
  });
  const first = header.number;
  // The heading rows (title, period, …, column headers) repeat on every printed page.
  sheet.pageSetup.printTitlesRow = `1:${first}`;
  sheet.views = [{ state: 'frozen', ySplit: first }];
  sheet.autoFilter = { from: { row: first, column: 1 }, to: { row: first, column: QUALITY_HEADERS.length } };
  for (const provider of bulletin.providers) {
    // Not the streaming writer: a string is a shared string (`t="s"`), typed as text, never a formula.
    const row = sheet.addRow(qualityXlsxCells(provider));
    if (provider.bottom)
      row.eachCell((cell) => {
        cell.style = { ...BAD_CELL };
      });
    for (const [column, numFmt] of Object.entries(QUALITY_NUMBER_FORMATS)) {
      row.getCell(Number(column) + 1).numFmt = numFmt;
    }
  }
  const definitions = workbook.addWorksheet('指标说明', printLayout('公共信用信息归集质量通报 指标说明'));
  definitions.columns = [{ width: 12 }, { width: 90, style: { alignment: WRAP } }];
  for (const line of QUALITY_DEFINITIONS) definitions.addRow(line);
  await makeDirectory(path.dirname(path.resolve(outFile)));
  await workbook.xlsx.writeFile(outFile);
}
