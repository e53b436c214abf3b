import ExcelJS from 'exceljs';

const escapeText = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char,
  );

function noteText(note: ExcelJS.Comment | string | undefined): string {
  if (!note) return '';
  if (typeof note === 'string') return note;
  return (note.texts ?? []).map((part) => part.text).join('');
}

function cellText(cell: ExcelJS.Cell): string {
  const { value } = cell;
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object' && 'richText' in value)
    return value.richText.map((part) => part.text).join('');
  return String(value);
}

/**
 * A workbook as a person sees it in a spreadsheet program, as one HTML page: each sheet a table with its column
 * widths, bold and coloured cells, wrapped text, and cell comments shown under the cell (printed as a reviewer
 * would read them). For screenshots of the notice in CI; not a product output.
 */
export async function workbookHtml(file: string): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheets = workbook.worksheets.map((sheet) => {
    const widths = Array.from(
      { length: sheet.columnCount },
      (_, i) => (sheet.getColumn(i + 1).width ?? 10) * 7,
    );
    const rows: string[] = [];
    sheet.eachRow({ includeEmpty: true }, (row) => {
      const cells = Array.from({ length: sheet.columnCount }, (_, i) => {
        const cell = row.getCell(i + 1);
        const style: string[] = [];
        if (cell.font?.bold) style.push('font-weight:bold');
        if (cell.font?.size && cell.font.size > 12) style.push(`font-size:${cell.font.size + 2}px`);
        if (cell.font?.color?.argb) style.push(`color:#${cell.font.color.argb.slice(2)}`);
        const fill =
          cell.fill?.type === 'pattern' && cell.fill.pattern === 'solid'
            ? cell.fill.fgColor?.argb
            : undefined;
        if (fill) style.push(`background:#${fill.slice(2)}`);
        const note = noteText(cell.note as ExcelJS.Comment | string | undefined);
        return `<td style="${style.join(';')}">${escapeText(cellText(cell))}${note ? `<div class="note">${escapeText(note)}</div>` : ''}</td>`;
      });
      rows.push(`<tr>${cells.join('')}</tr>`);
    });
    const columns = widths.map((width) => `<col style="width:${Math.round(width)}px">`).join('');
    return `<h2>${escapeText(sheet.name)}</h2><table><colgroup>${columns}</colgroup>${rows.join('\n')}</table>`;
  });
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeText(file)}</title>
<style>
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 16px; font-size: 13px; }
table { border-collapse: collapse; table-layout: fixed; margin-bottom: 24px; }
td { border: 1px solid #ccc; padding: 3px 5px; vertical-align: top; white-space: pre-wrap; overflow-wrap: anywhere; }
h2 { font-size: 15px; margin: 16px 0 6px; background: #eee; padding: 4px; }
.note { color: #9c0006; font-size: 11px; border-top: 1px dashed #e99; margin-top: 2px; }
</style></head><body>${sheets.join('\n')}</body></html>
`;
}
