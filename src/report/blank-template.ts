import path from 'node:path';
import ExcelJS from 'exceljs';
import { makeDirectory } from '../../connectors/make-directory.ts';
import { type CatalogEntry, fieldCodes } from '../catalog/catalog-entry.ts';
import { describeEntry } from '../catalog/describe-entry.ts';
import { templateHeader } from '../catalog/match-headers.ts';
import { HEADER_STYLE, sheetName } from './rejection-sheet.ts';
import { formatFieldColumns, titleWidth, validateFieldColumns } from './template-columns.ts';

/** Rows given dropdowns and input messages (a longer delivery: copy rows down in Excel, or send a CSV). */
export const BLANK_ROWS = 5000;

const REQUIRED_FONT: Partial<ExcelJS.Font> = { bold: true, color: { argb: 'FFC00000' } };

/**
 * A blank template for one catalog entry version (`catalog template`), so that providers start right: the data
 * sheet first (each header the Chinese title over the field code, `*` for required fields, read back by
 * match-headers.ts), text columns typed as text, date columns as dates, code lists as dropdowns, the rules on
 * each header's note; then 填报说明 with every field, its requirement, format and code list.
 */
export async function writeBlankTemplate(
  entry: CatalogEntry,
  all: readonly CatalogEntry[],
  outFile: string,
): Promise<void> {
  const described = describeEntry(entry, all);
  const codes = fieldCodes(entry);
  const fields = codes.map((code) => entry.schema.properties[code]);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'credit-etl';

  const data = workbook.addWorksheet(sheetName(`${entry.title}(${entry.code})`), {
    views: [{ state: 'frozen', ySplit: 1 }],
  });
  data.columns = codes.map((code, i) => ({
    key: code,
    width: titleWidth(`${fields[i]?.title ?? code}`),
  }));
  const header = data.getRow(1);
  header.height = 36;
  described.fields.forEach((field, i) => {
    const cell = header.getCell(i + 1);
    const required = field.required === '必填';
    cell.value = `${required ? '*' : ''}${templateHeader(field.title, field.code)}`;
    cell.style = {
      ...HEADER_STYLE,
      ...(required ? { font: REQUIRED_FONT } : {}),
      alignment: { wrapText: true, vertical: 'middle', horizontal: 'center' },
    };
    cell.note = [field.required, field.type, field.constraints].filter(Boolean).join('\n');
  });
  formatFieldColumns(data, fields);
  validateFieldColumns(data, fields, 2, BLANK_ROWS + 1);

  const guide = workbook.addWorksheet('填报说明');
  guide.columns = [{ width: 34 }, { width: 16 }, { width: 30 }, { width: 8 }, { width: 90 }, { width: 30 }];
  guide.addRow([
    `${entry.title}（${entry.code}）报送模板 · 目录第 ${entry.version} 版（${entry.effectiveFrom} 起施行）`,
  ]).font = {
    bold: true,
    size: 14,
  };
  for (const line of [
    `在第一个工作表“${data.name}”第2行起每行填写一条记录，不要改动、删除或移动表头；带 * 号（红色）的列必填，“条件必填”见下表。`,
    '证件号码、统一社会信用代码等代码列已设为文本格式，请直接填写（不要写成科学计数法或数字）；日期列填写如 2026-03-05。',
    `有代码表的列在前 ${BLANK_ROWS} 行可从下拉列表选择；可多选的用分号分隔。`,
    '同一业务主键只填一行。填好后按原文件报送（CSV 或本工作簿均可），系统读取表头与目录一致的工作表。',
    `业务主键：${described.attributes.find(([label]) => label === '业务主键')?.[1] ?? ''}`,
  ]) {
    guide.addRow([line]);
  }
  guide.addRow([]);
  const tableHeader = guide.addRow(['列名', '字段代码', '填写要求', '类型', '格式与代码表', '其他列名']);
  tableHeader.eachCell((cell) => {
    cell.style = HEADER_STYLE;
  });
  for (const field of described.fields) {
    const line = guide.addRow([
      field.title,
      field.code,
      field.required,
      field.type,
      field.constraints,
      field.aliases,
    ]);
    line.alignment = { wrapText: true, vertical: 'top' };
  }
  if (described.rules.length > 0) {
    guide.addRow([]);
    guide.addRow(['校验规则']).font = { bold: true };
    for (const rule of described.rules) guide.addRow([rule]);
  }
  guide.addRow([]);
  guide.addRow(['目录属性（第七条）']).font = { bold: true };
  for (const [label, value] of described.attributes) guide.addRow([label, value]);

  await makeDirectory(path.dirname(path.resolve(outFile)));
  await workbook.xlsx.writeFile(outFile);
}
