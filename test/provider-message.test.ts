import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { csvFormat } from '../connectors/formats/csv-format.ts';
import { readAll } from '../connectors/formats/read-all.test-support.ts';
import { xlsxFormat } from '../connectors/formats/xlsx-format.ts';
import { repackWorkbook } from '../connectors/formats/xlsx-repack.test-support.ts';
import { SharedStrings } from '../connectors/formats/xlsx-shared-strings.ts';
import { DEFAULT_LIMITS } from '../connectors/limits.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { LocalDropPort } from '../connectors/transports/file-drop/local-drop-port.ts';
import { writeZip } from '../connectors/transports/zip-fixture.test-support.ts';
import { providerMessage } from '../src/report/provider-message.ts';
import { headerRowHint } from '../src/run/header-row-hint.ts';

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

/** A workbook of the header and one row whose `xl/worksheets/sheet1.xml` rows are `sheetData`. */
async function sheetWith(sheetData: string): Promise<Buffer> {
  const bytes = await workbook('raw.xlsx', (book) => {
    book.addWorksheet('处罚').addRows([HEADER, ...rows(1, 1)]);
  });
  return repackWorkbook(bytes, {
    edit: (part, text) =>
      part === 'xl/worksheets/sheet1.xml'
        ? text.replace(/<sheetData>.*<\/sheetData>/s, `<sheetData>${sheetData}</sheetData>`)
        : undefined,
  });
}

const inline = (ref: string, runs: string) => `<c r="${ref}" t="inlineStr"><is>${runs}</is></c>`;
const inlineRow = (n: number, texts: readonly string[]) =>
  `<row r="${n}">${texts.map((text, i) => inline(`${String.fromCharCode(65 + i)}${n}`, `<t>${text}</t>`)).join('')}</row>`;

/** What a provider reads of `stored`: nothing only an operator can use, and what the provider does at its end. */
function expectProviderPart(stored: string, operators: string, ending: RegExp): string {
  expect(stored).toContain(operators);
  const shown = providerMessage(stored);
  expect(shown).not.toMatch(OPERATORS_ONLY);
  expect(shown).toMatch(ending);
  return shown;
}

async function unitOf(file: string, limits = DEFAULT_LIMITS): Promise<SourceUnit> {
  const [unit] = await unitsForFile(file, undefined, limits);
  return unit as SourceUnit;
}

async function drained(unit: SourceUnit): Promise<void> {
  for await (const _ of unit.open?.() ?? []);
}

describe('a failure of the workbook, of the archive, of the file as a provider reads it', () => {
  it('a header under title rows: the provider removes them, no --header-row nor headerRow', async () => {
    const titled = utf8(
      `2026年行政处罚信息公示\n报送单位：济南市市场监督管理局\n${HEADER.join(',')}\n${row(1).join(',')}\n`,
    );
    const opened = await csvFormat.open(Readable.from([titled]), { encoding: 'auto' });
    const stored = await headerRowHint(opened, (cells) => fits(cells));
    expect(stored).toContain('--header-row 3');
    expect(stored).toContain('headerRow: 3');
    const shown = expectProviderPart(stored!, '--header-row', /重新报送$/);
    expect(shown).toBe(
      '第3行与目录的表头相符：若其上方是标题行，请删除这些标题行，使列名位于第1行后重新报送',
    );
    expect(shown).not.toContain('headerRow');
  });

  it('a shared strings table too large for the heap: no CREDIT_ETL_UNIT_HEAP_MB', () => {
    const table = new SharedStrings(1_200);
    let stored = '';
    try {
      for (let i = 0; i < 100; i++) table.push('处罚决定书文号'.padEnd(10, '号'));
    } catch (error) {
      stored = (error as Error).message;
    }
    expectProviderPart(stored, 'CREDIT_ETL_UNIT_HEAP_MB', /请把数据拆分为多个文件，或另存为 CSV 后报送$/);
  });

  it('a worksheet over its size limit: no CREDIT_ETL_MAX_SHEET_XML_BYTES', async () => {
    const stored = await failureOf(
      readAll(
        xlsxFormat,
        await workbook('large.xlsx', (book) => {
          book.addWorksheet('处罚').addRows([HEADER, ...rows(1, 200)]);
        }),
        { headerFits: fits, limits: { maxSheetXmlBytes: 16 * 1024 } },
      ),
    );
    expect(stored).toContain('xl/worksheets/sheet1.xml');
    expectProviderPart(stored, 'CREDIT_ETL_MAX_SHEET_XML_BYTES', /请检查是否有大量空白格式行或异常内容$/);
  });

  it("one cell's text over the line limit, wherever the workbook reader finds it: no CREDIT_ETL_MAX_LINE_BYTES", async () => {
    const limits = { maxLineBytes: 64 * 1024 };
    const header = inlineRow(1, HEADER);
    // One shared string of many runs (the shared strings reader), an inline cell of many runs (the sheet's cell
    // reader), one run of text with no markup in it (the part's text, before any parser).
    const sharedString = await workbook('string.xlsx', (book) => {
      book.addWorksheet('处罚').addRows([HEADER, [...row(1).slice(0, 9), '一段文字'.repeat(20_000)]]);
    });
    const runs = await repackWorkbook(sharedString, {
      edit: (part, text) =>
        part === 'xl/sharedStrings.xml'
          ? text.replace(
              /<si><t>(一段文字)+<\/t><\/si>/,
              `<si>${'<r><t>一段文字</t></r>'.repeat(20_000)}</si>`,
            )
          : undefined,
    });
    const inlineRuns = await sheetWith(
      `${header}<row r="2">${inline('A2', '<r><t>一段文字</t></r>'.repeat(20_000))}</row>`,
    );
    const oneRun = await sheetWith(`${header}${inlineRow(2, ['一段文字'.repeat(20_000)])}`);
    const found: string[] = [];
    for (const bytes of [runs, inlineRuns, oneRun]) {
      const stored = await failureOf(readAll(xlsxFormat, bytes, { headerFits: fits, limits }));
      found.push(/中有(一个字符串|一个单元格|一段连续文本)/.exec(stored)?.[1] ?? stored);
      expectProviderPart(stored, 'CREDIT_ETL_MAX_LINE_BYTES', /或另存为 CSV 后报送$/);
    }
    expect(found).toEqual(['一个字符串', '一个单元格', '一段连续文本']);
  });

  it('a zip of more files than allowed: no CREDIT_ETL_MAX_ARCHIVE_ENTRIES, the limit in numbers kept', async () => {
    const file = path.join(dir, 'many.zip');
    await writeZip(file, { 'a.csv': 'a\n', 'b.csv': 'a\n', 'c.csv': 'a\n', 'd.csv': 'a\n' });
    const unit = await unitOf(file, { ...DEFAULT_LIMITS, maxArchiveEntries: 3 });
    const stored = await failureOf(unit.rows?.() ?? Promise.resolve());
    const shown = expectProviderPart(stored, 'CREDIT_ETL_MAX_ARCHIVE_ENTRIES', /多个压缩包后重新报送$/);
    expect(shown).toContain('（压缩包目录共列出 4 项；单个压缩包最多 3 个文件，文件夹不计）');
  });

  it('an entry that expands too far, by its bytes or its ratio: no CREDIT_ETL_MAX_EXPANDED_BYTES, _RATIO', async () => {
    const big = path.join(dir, 'big.zip');
    await writeZip(big, { 'big.csv': `名称,代码\n${'甲,1\n'.repeat(200_000)}` }, {}, ['big.csv']);
    const bytes = await failureOf(
      drained(await unitOf(big, { ...DEFAULT_LIMITS, maxExpandedBytes: 64 * 1024 })),
    );
    const shownBytes = expectProviderPart(
      bytes,
      'CREDIT_ETL_MAX_EXPANDED_BYTES',
      /请拆分为多个较小的文件后重新报送$/,
    );
    expect(shownBytes).toContain('解压后超过 64 KB（单个压缩文件解压后的上限）');

    const bomb = path.join(dir, 'ratio.zip');
    await writeZip(bomb, { '处罚.csv': Buffer.alloc(4 * 1024 * 1024, 'a') });
    const ratio = await failureOf(drained(await unitOf(bomb)));
    const shownRatio = expectProviderPart(
      ratio,
      'CREDIT_ETL_MAX_EXPANSION_RATIO',
      /请检查文件内容，改正后重新报送$/,
    );
    expect(shownRatio).toMatch(/压缩比超过 200 倍（[^（）]+ 压缩数据解压出 [^（）]+），不像正常的数据文件/);
  });

  it("a file over its channel's size limit: no maxFileBytes", async () => {
    const folder = mkdtempSync(path.join(dir, 'drop-'));
    writeFileSync(path.join(folder, 'huge.csv'), Buffer.alloc(64 * 1024, 'x'));
    const stored = await failureOf(
      new LocalDropPort(32 * 1024).fetch(folder, { name: 'huge.csv', size: 64 * 1024, mtimeMs: 0 }),
    );
    expect(stored).toContain('管道 transport 的 maxFileBytes');
    const shown = providerMessage(stored);
    expect(shown).not.toMatch(/maxFileBytes|运维人员|管道/);
    expect(shown).toMatch(/请把数据拆分为多个较小的文件（或压缩为 \.zip）后分别报送$/);
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

  it('of a header under title rows, an archive and its entries: what the provider does kept, no setting', () => {
    expect(
      providerMessage(
        '缺少必填列：行政相对人名称；第3行与目录的表头相符：若其上方是标题行，请加 --header-row 3 重新读取（管道配置 headerRow: 3）',
      ),
    ).toBe(
      '缺少必填列：行政相对人名称；第3行与目录的表头相符：若其上方是标题行，请删除这些标题行，使列名位于第1行后重新报送',
    );
    expect(
      providerMessage(
        '压缩包 many.zip 中的文件超过 3 个（压缩包目录共列出 6 项；单个压缩包最多 3 个文件，文件夹不计，上限 CREDIT_ETL_MAX_ARCHIVE_ENTRIES），整个压缩包已拒收，其中的文件均未读取，未入库任何数据；请把同一目录的数据合并为较少的文件（一个 CSV 或 XLSX 可装许多行），或分为每个不超过 3 个文件的多个压缩包后重新报送',
      ),
    ).toBe(
      '压缩包 many.zip 中的文件超过 3 个（压缩包目录共列出 6 项；单个压缩包最多 3 个文件，文件夹不计），整个压缩包已拒收，其中的文件均未读取，未入库任何数据；请把同一目录的数据合并为较少的文件（一个 CSV 或 XLSX 可装许多行），或分为每个不超过 3 个文件的多个压缩包后重新报送',
    );
    expect(
      providerMessage(
        '压缩包 folders-9.zip 的目录共列出 9 项（文件和文件夹），超过 8 项（单个压缩包最多 2 个文件，连同文件夹不超过 8 项，上限 CREDIT_ETL_MAX_ARCHIVE_ENTRIES），整个压缩包已拒收',
      ),
    ).toBe(
      '压缩包 folders-9.zip 的目录共列出 9 项（文件和文件夹），超过 8 项（单个压缩包最多 2 个文件，连同文件夹不超过 8 项），整个压缩包已拒收',
    );
    expect(
      providerMessage(
        '压缩包 big.zip 中的「big.csv」解压后超过 64 KB（单个压缩文件解压后的上限，CREDIT_ETL_MAX_EXPANDED_BYTES），已停止读取，未入库任何数据；请拆分为多个较小的文件后重新报送',
      ),
    ).toBe(
      '压缩包 big.zip 中的「big.csv」解压后超过 64 KB（单个压缩文件解压后的上限），已停止读取，未入库任何数据；请拆分为多个较小的文件后重新报送',
    );
    expect(
      providerMessage(
        '压缩包 ratio.zip 中的「处罚.csv」的压缩比超过 200 倍（5 KB 压缩数据解压出 1.1 MB；上限 CREDIT_ETL_MAX_EXPANSION_RATIO），不像正常的数据文件（疑似“压缩炸弹”，或含大量重复内容的超长行），已停止读取，未入库任何数据；请检查文件内容，改正后重新报送',
      ),
    ).toBe(
      '压缩包 ratio.zip 中的「处罚.csv」的压缩比超过 200 倍（5 KB 压缩数据解压出 1.1 MB），不像正常的数据文件（疑似“压缩炸弹”，或含大量重复内容的超长行），已停止读取，未入库任何数据；请检查文件内容，改正后重新报送',
    );
  });

  it("a file's time and memory as a whole (isolated-unit.ts): the limit kept, not its setting", () => {
    expect(
      providerMessage(
        '文件 a.csv 在 3600 秒内未能读完入库（单个文件的处理时限，CREDIT_ETL_UNIT_TIMEOUT_S），已中止，未入库任何数据；请将其拆分为多个较小的文件后重新报送',
      ),
    ).toBe(
      '文件 a.csv 在 3600 秒内未能读完入库（单个文件的处理时限），已中止，未入库任何数据；请将其拆分为多个较小的文件后重新报送',
    );
    expect(
      providerMessage(
        'Excel 工作簿 b.xlsx 过大，读取时所需内存超过上限（512 MB，CREDIT_ETL_UNIT_HEAP_MB），未入库任何数据；请拆分为多个较小的工作簿，或另存为 CSV 后重新报送',
      ),
    ).toBe(
      'Excel 工作簿 b.xlsx 过大，读取时所需内存超过上限（512 MB），未入库任何数据；请拆分为多个较小的工作簿，或另存为 CSV 后重新报送',
    );
  });
});
