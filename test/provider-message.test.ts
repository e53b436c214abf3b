import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { csvFormat } from '../connectors/formats/csv-format.ts';
import { readAll } from '../connectors/formats/read-all.test-support.ts';
import { xlsxFormat } from '../connectors/formats/xlsx-format.ts';
import { providerMessage } from '../src/report/provider-message.ts';

/**
 * A file's failure as the format readers word it keeps the operators' remarks (an option of `ingest` or of a
 * pipeline, a CREDIT_ETL_ setting) for the operators' outputs; what a provider reads of it (providerMessage) names
 * none, and keeps what the provider does. Messages stored in the earlier wording read the same way.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'provider-message-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Anything only an operator can use: an option, a setting, a remark addressed to the operators. */
const OPERATORS_ONLY = /--[a-z]|CREDIT_ETL_|运维人员可用|管道的/;

const HEADER = ['名称', '代码', '文号', '类别', '内容', '金额', '决定日期', '机关', '机关代码', '备注'];
const fits = (header: readonly string[]) => header.join() === HEADER.join();
const row = (i: number) => [
  `公司${i}`,
  `91370102MA3C${String(i).padStart(5, '0')}X`,
  `济罚〔2026〕${i}号`,
  '罚款',
  '罚款人民币5000元',
  0.5,
  '2026-10-12',
  '济南市市场监督管理局',
  '11370100004300050X',
  '',
];
const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => row(from + i));

async function workbook(name: string, build: (book: ExcelJS.Workbook) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  build(book);
  const file = path.join(dir, name);
  await book.xlsx.writeFile(file);
  return readFileSync(file);
}

const failureOf = (reading: Promise<unknown>) =>
  reading.then(
    () => {
      throw new Error('the file was read');
    },
    (error: unknown) => (error as Error).message,
  );

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('a failure of the file as a provider reads it', () => {
  it('too many cells (a wrong delimiter, an unquoted separator): checks the delimiter, no --delimiter', async () => {
    const stored = await failureOf(
      readAll(csvFormat, utf8('a,b\n1,2\n1,2,3,4,5,6\n'), { limits: { maxCellsPerRow: 5 } }),
    );
    expect(stored).toContain('--delimiter');
    expect(stored).toContain('CREDIT_ETL_MAX_CELLS_PER_ROW');
    expect(providerMessage(stored)).toBe(
      '第3行有 6 个单元格，超过每行上限 5 个，整个文件未入库：请检查分隔符是否正确、该行引号是否闭合，按目录列名重新导出后报送',
    );
  });

  it('a record over the line limit: no CREDIT_ETL_MAX_LINE_BYTES', async () => {
    const stored = await failureOf(
      readAll(csvFormat, utf8(`a,b\n1,"${'x'.repeat(1200)}\n`), { limits: { maxLineBytes: 1000 } }),
    );
    expect(stored).toContain('CREDIT_ETL_MAX_LINE_BYTES');
    const shown = providerMessage(stored);
    expect(shown).not.toMatch(OPERATORS_ONLY);
    expect(shown).toMatch(/请检查该行附近的双引号和换行后重新导出报送$/);
  });

  it('rows on two sheets, rows on a sheet without a header: no --sheet', async () => {
    const two = await failureOf(
      readAll(
        xlsxFormat,
        await workbook('two.xlsx', (book) => {
          book.addWorksheet('一月').addRows([HEADER, ...rows(1, 2)]);
          book.addWorksheet('二月').addRows([HEADER, ...rows(3, 4)]);
        }),
        { headerFits: fits },
      ),
    );
    const continued = await failureOf(
      readAll(
        xlsxFormat,
        await workbook('continued.xlsx', (book) => {
          book.addWorksheet('处罚').addRows([HEADER, ...rows(1, 3)]);
          book.addWorksheet('Sheet2').addRows(rows(4, 6));
        }),
        { headerFits: fits },
      ),
    );
    for (const stored of [two, continued]) {
      expect(stored).toContain('--sheet');
      const shown = providerMessage(stored);
      expect(shown).not.toMatch(OPERATORS_ONLY);
      expect(shown).toMatch(/后重新报送$/);
    }
    expect(providerMessage(continued)).toContain('请把这些行移到「处罚」表中');
  });

  it('no sheet of the name an operator gave: no --sheet', async () => {
    const stored = await failureOf(
      readAll(
        xlsxFormat,
        await workbook('named.xlsx', (book) => {
          book.addWorksheet('处罚').addRows([HEADER, ...rows(1, 1)]);
        }),
        { headerFits: fits, sheet: '数据' },
      ),
    );
    expect(stored).toContain('--sheet');
    const shown = providerMessage(stored);
    expect(shown).not.toMatch(OPERATORS_ONLY);
    expect(shown).toBe(
      '工作簿中没有平台指定读取的工作表「数据」（现有：处罚），整个文件未入库：请核对工作表后重新报送，如有疑问请联系平台运维人员',
    );
  });

  it("the workbook reader's row of too many cells, worded as the CSV reader's remark: no CREDIT_ETL_", async () => {
    const stored = await failureOf(
      readAll(
        xlsxFormat,
        await workbook('wide.xlsx', (book) => {
          book.addWorksheet('处罚').addRows([HEADER, ...rows(1, 1)]);
        }),
        { headerFits: fits, limits: { maxCellsPerRow: 5 } },
      ),
    );
    expect(stored).toContain('CREDIT_ETL_MAX_CELLS_PER_ROW');
    expect(providerMessage(stored)).not.toMatch(OPERATORS_ONLY);
  });
});

describe('messages stored in the earlier wording', () => {
  it('read as the new ones do, what the provider does kept', () => {
    expect(
      providerMessage(
        '第3行有 1200 个单元格，超过每行上限 1000 个，整个文件未入库：请检查分隔符是否正确（可用 --delimiter 指定）、该行引号是否闭合，按目录列名重新导出后报送（运维人员可用 CREDIT_ETL_MAX_CELLS_PER_ROW 调整上限）',
      ),
    ).toBe(
      '第3行有 1200 个单元格，超过每行上限 1000 个，整个文件未入库：请检查分隔符是否正确、该行引号是否闭合，按目录列名重新导出后报送',
    );
    expect(
      providerMessage(
        '工作表「Sheet2」有 3 行数据，但没有表头（各行的列数与「处罚」表的数据行相当，像是接续的数据行），平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把这些行移到「处罚」表中（接在其数据行之后），不需报送的请删除该工作表，然后重新报送（确需只读「处罚」表时，运维人员可用 --sheet 或管道的 sheet 指定）',
      ),
    ).toBe(
      '工作表「Sheet2」有 3 行数据，但没有表头（各行的列数与「处罚」表的数据行相当，像是接续的数据行），平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把这些行移到「处罚」表中（接在其数据行之后），不需报送的请删除该工作表，然后重新报送',
    );
    expect(
      providerMessage(
        '工作簿中有 2 个工作表「一月」「二月」的表头都与目录相符，数据行分别为：「一月」2 行，「二月」2 行。平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把全部数据行按目录的表头放在同一个工作表中（不再报送的旧数据、备份请删除）后重新报送（确需只读其中一个时，运维人员可用 --sheet 或管道的 sheet 指定）',
      ),
    ).toMatch(/（不再报送的旧数据、备份请删除）后重新报送$/);
    expect(
      providerMessage(
        '工作簿中没有工作表「数据」（现有：处罚），请用 --sheet 指定名称或序号（从1开始，不计隐藏工作表）',
      ),
    ).toBe('工作簿中没有工作表「数据」（现有：处罚）');
  });
});
