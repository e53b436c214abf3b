import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** Issue #18 (6): a blank template per catalog entry, filled in by a provider and ingested back. */

async function partText(file: string, part: string): Promise<string> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== part) continue;
      let text = '';
      for await (const chunk of (await zip.openReadStreamPromise(entry)) as AsyncIterable<Buffer>)
        text += chunk;
      return text;
    }
    return '';
  } finally {
    zip.close();
  }
}

describe('catalog template', () => {
  let fx: WarehouseFixture;
  let out: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('catalog_template');
    out = path.join(fx.scratch, 'xzcf-template.xlsx');
    const result = await runCli(['catalog', 'template', 'xzcf', '--version', '1', '--out', out], {});
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('行政处罚 (xzcf) v1: blank template');
  }, 120_000);
  afterAll(async () => fx?.close());

  it('has headers with codes and required markers, text and date formats, dropdowns and 填报说明', async () => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    expect(book.worksheets.map((sheet) => sheet.name)).toEqual(['行政处罚(xzcf)', '填报说明']);
    const data = book.worksheets[0]!;
    const headers = (data.getRow(1).values as string[]).slice(1);
    expect(headers[0]).toBe('*行政相对人名称\n(CF_XDR_MC)');
    expect(headers).toContain('行政相对人代码_1(统一社会信用代码)\n(CF_XDR_SHDM)');
    const column = (code: string) => headers.findIndex((header) => header.includes(`(${code})`)) + 1;
    expect(data.getColumn(column('CF_XDR_SHDM')).numFmt).toBe('@');
    expect(data.getColumn(column('CF_JDRQ')).numFmt).toBe('yyyy-mm-dd');
    const sheetXml = await partText(out, 'xl/worksheets/sheet1.xml');
    expect(sheetXml).toContain('<formula1>&quot;法人及非法人组织,自然人,个体工商户&quot;</formula1>');
    expect(sheetXml).toMatch(/sqref="B2:B5001"/);
    const guide = data.workbook.getWorksheet('填报说明')!;
    const guideText: string[] = [];
    guide.eachRow((row) => {
      guideText.push((row.values as unknown[]).slice(1).map(String).join(' '));
    });
    expect(guideText.join('\n')).toContain('CF_XDR_LB 必填');
    expect(guideText.join('\n')).toContain('条件必填');
  });

  it('is ingested back with its rows filled in', async () => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    const data = book.worksheets[0]!;
    const headers = (data.getRow(1).values as string[]).slice(1);
    const values: Record<string, ExcelJS.CellValue> = {
      CF_XDR_MC: '济南示例商贸有限公司',
      CF_XDR_LB: '法人及非法人组织',
      CF_XDR_SHDM: '91370102001000010X',
      CF_FRDB: '李一',
      CF_WFXW: '违反《中华人民共和国食品安全法》第三十四条',
      CF_SY: '-',
      CF_YJ: '《中华人民共和国食品安全法》第一百二十四条',
      CF_CFLB: '罚款',
      CF_NR: '罚款人民币1万元',
      CF_NR_FK: 1,
      CF_JDRQ: new Date(Date.UTC(2026, 6, 15)),
      CF_YXQ: '2099-12-31',
      CF_CFJG: '济南市市场监督管理局',
      CF_CFJGDM: '913701020000050122',
      CF_SJLY: '济南市市场监督管理局',
      CF_SJLYDM: '913701020000050122',
    };
    for (const [i, number] of ['1', '2'].entries()) {
      const row = data.getRow(i + 2);
      headers.forEach((header, column) => {
        const code = /\(([A-Z0-9_]+)\)$/.exec(header)?.[1] ?? '';
        if (code === 'CF_WSH') row.getCell(column + 1).value = `济市监罚〔2026〕${number}号`;
        else if (values[code] !== undefined) row.getCell(column + 1).value = values[code];
      });
    }
    const filled = path.join(fx.scratch, 'filled.xlsx');
    await book.xlsx.writeFile(filled);
    const run = await fx.ingest([filled]);
    expect(run.counts).toMatchObject({ read: 2, inserted: 2, rejected: 0 });
    const data0 = (await fx.warehouse('record_versions').orderBy('id').first('data')) as {
      data: Record<string, unknown>;
    };
    expect(data0.data).toMatchObject({
      CF_SY: '-',
      CF_JDRQ: '2026-07-15',
      CF_XDR_SHDM: '91370102001000010X',
    });
  });
});
