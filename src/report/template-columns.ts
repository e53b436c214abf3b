import type ExcelJS from 'exceljs';
import { columnLetter } from '../../connectors/formats/xlsx-format.ts';
import type { CatalogEntry, FieldSchema } from '../catalog/catalog-entry.ts';

/** Excel keeps a dropdown's inline list (`"a,b,c"`) to 255 characters. */
const INLINE_LIST_MAX = 255;

/**
 * How a template column stores what a provider types: dates as dates (read back as ISO dates), numbers as
 * General, every other field as text (`@`), so that an 18-digit code typed in is not turned into a number that
 * keeps 15 digits.
 */
export function fieldNumFmt(field: FieldSchema | undefined): string | undefined {
  if (!field) return '@';
  if (field.format === 'cn-date') return 'yyyy-mm-dd';
  return field.type === 'number' ? undefined : '@';
}

/** What the cell's input message and the dropdown say about a field, in Chinese. */
export function fieldValidation(field: FieldSchema): ExcelJS.DataValidation | undefined {
  const codeList = field['x-codeList'];
  if (codeList) {
    const list = codeList.values.join(',');
    // A value holding the list's own separators cannot be an inline list item.
    if (list.length + 2 > INLINE_LIST_MAX || codeList.values.some((value) => /[,"]/.test(value))) {
      return undefined;
    }
    const free = codeList.multiple || codeList.otherPrefix;
    return {
      type: 'list',
      allowBlank: true,
      formulae: [`"${list}"`],
      showInputMessage: true,
      promptTitle: field.title.slice(0, 32),
      prompt: promptOf(field).slice(0, 255),
      showErrorMessage: true,
      // Several values, or "其他-…": the list suggests, the engine decides (a warning, not a refusal).
      errorStyle: free ? 'warning' : 'stop',
      errorTitle: '不在代码表中',
      error: `请从下拉列表中选择${free ? '（可多选，用分号分隔；或“其他-具体名称”）' : ''}`.slice(0, 225),
    };
  }
  if (field.format === 'cn-date' || field.type === 'number') {
    // Excel's "any value" check: no refusal, only the input message (exceljs' types leave the kind out).
    const message = {
      type: 'any',
      formulae: [],
      showInputMessage: true,
      promptTitle: field.title.slice(0, 32),
      prompt: promptOf(field).slice(0, 255),
    };
    return message as unknown as ExcelJS.DataValidation;
  }
  return undefined;
}

function promptOf(field: FieldSchema): string {
  if (field['x-codeList']) {
    const codeList = field['x-codeList'];
    return `从列表选择${codeList.multiple ? '，可多选，用分号分隔' : ''}${codeList.otherPrefix ? `；其他请填“${codeList.otherPrefix}具体名称”` : ''}`;
  }
  if (field.format === 'cn-date') return '日期，如 2026-03-05';
  const parts = ['数字'];
  if (field.minimum !== undefined) parts.push(`不小于${field.minimum}`);
  if (field['x-maxDecimals'] !== undefined) parts.push(`最多${field['x-maxDecimals']}位小数`);
  return parts.join('，');
}

/** The parts of a worksheet (streamed or not) that templates set: column formats and dropdowns. */
interface TemplateSheet {
  getColumn(index: number): { numFmt?: string };
}

/** Sets each field column's number format (`fields` are the columns in order, from column A). */
export function formatFieldColumns(sheet: TemplateSheet, fields: readonly (FieldSchema | undefined)[]): void {
  fields.forEach((field, i) => {
    const numFmt = fieldNumFmt(field);
    if (numFmt) sheet.getColumn(i + 1).numFmt = numFmt;
  });
}

/**
 * Gives rows `firstRow`…`lastRow` of each field column its dropdown or input message. Bounded to the rows a
 * provider fills: readers such as exceljs keep a validation per cell, and a whole column is a million of them.
 */
export function validateFieldColumns(
  sheet: object,
  fields: readonly (FieldSchema | undefined)[],
  firstRow: number,
  lastRow: number,
): void {
  if (lastRow < firstRow) return;
  // Both exceljs writers keep a sheet's `dataValidations`; their type declarations leave it out.
  const { dataValidations } = sheet as {
    dataValidations: { add(address: string, validation: ExcelJS.DataValidation): void };
  };
  fields.forEach((field, i) => {
    const validation = field && fieldValidation(field);
    if (!validation) return;
    const letter = columnLetter(i);
    dataValidations.add(`${letter}${firstRow}:${letter}${lastRow}`, validation);
  });
}

/** A field's schema in the newest version of its entry that has it (a later version only adds fields). */
export function fieldSchemaOf(
  entries: readonly CatalogEntry[],
  catalogCode: string,
  field: string,
): FieldSchema | undefined {
  return entries
    .filter((entry) => entry.code === catalogCode)
    .sort((a, b) => b.version - a.version)
    .find((entry) => entry.schema.properties[field])?.schema.properties[field];
}

/** A column as wide as its title: Chinese characters are about two Latin characters wide. */
export function titleWidth(title: string): number {
  const width = [...title].reduce((sum, char) => sum + (char.charCodeAt(0) > 0x2e80 ? 2 : 1), 0) + 2;
  return Math.min(Math.max(width, 12), 40);
}
