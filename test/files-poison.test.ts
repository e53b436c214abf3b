import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { dropFolderTransport } from '../connectors/transports/drop-folder.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import {
  LONG_CELL,
  NUL_CELL,
  writeEntityXlsx,
  writeHugeSheetXlsx,
  writeLongCellCsv,
  writeLongLineCsv,
  writeNulInCellCsv,
  writeNulInHeaderCsv,
} from './support/poison-files.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

describe('poison inside a delivery fails its row or its file with a clear code, and nothing else', () => {
  let fx: WarehouseFixture;
  let dir: string;
  beforeAll(async () => {
    fx = await openWarehouseFixture('files_poison');
    dir = path.join(fx.scratch, 'poison');
    mkdirSync(dir);
  });
  afterAll(async () => fx?.close());

  const good = (name: string, seed: number) => {
    const file = path.join(dir, name);
    writeFileSync(file, toCsv(PENALTY_HEADER, generatePenalties(3, { seed }).rows));
    return file;
  };
  const units = (files: string[]) => Promise.all(files.map((file) => localFileUnit(file, RECEIVED)));
  const runStatus = async (runId: number) => (await fx.warehouse('runs').where({ id: runId }).first()).status;

  it('fails a file with a NUL in a header cell as invalid-header-character, recorded, the next file loaded', async () => {
    const summary = await ingestDelivery(fx, await units([writeNulInHeaderCsv(dir), good('good-1.csv', 41)]));
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['nul-header.csv', 'failed', 'invalid-header-character'],
      ['good-1.csv', 'loaded', undefined],
    ]);
    expect(summary.files[0]?.error?.message).toBe(
      '表头第3列「行政相对人代码_1\\u0000(统一社会信用代码)」的第10个字符是数据库无法保存的空字符 NUL（\\u0000），整个文件未入库：请在表头中删除该字符（多由导出程序或文件损坏带入），按目录列名重新导出后报送',
    );
    expect(summary.files[1]?.counts).toMatchObject({ read: 3, inserted: 3 });
    expect(await runStatus(summary.runId)).toBe('failed');
    const stored = await fx.warehouse('source_files').where({ name: 'nul-header.csv' }).first();
    expect(stored).toMatchObject({ status: 'failed', error_code: 'invalid-header-character' });
  });

  it('fails a file of only NUL bytes quoting its header cell shortened, still naming column and character', async () => {
    const file = path.join(dir, 'all-nul.csv');
    writeFileSync(file, Buffer.alloc(100_000));
    const summary = await ingestDelivery(fx, await units([file]));
    const error = summary.files[0]?.error;
    expect([summary.files[0]?.status, error?.code]).toEqual(['failed', 'invalid-header-character']);
    // 100,000 NULs quoted whole were 600 KB of \u0000 in the message, the run's error and the log line.
    expect(error?.message.length).toBeLessThan(400);
    expect(error?.message).toBe(
      `表头第1列「${'\\u0000'.repeat(33)}…」的第1个字符是数据库无法保存的空字符 NUL（\\u0000），整个文件未入库：请在表头中删除该字符（多由导出程序或文件损坏带入），按目录列名重新导出后报送`,
    );
    const run = await fx.warehouse('runs').where({ id: summary.runId }).first();
    expect(JSON.stringify(run).length).toBeLessThan(5_000);
  });

  it('rejects only the row with a NUL in a cell as invalid-character, the value stored visibly escaped', async () => {
    const summary = await ingestDelivery(fx, await units([writeNulInCellCsv(dir)]));
    expect(summary.status).toBe('completed');
    // Every file here reuses the generator's business keys: the other rows are inserted or update earlier ones.
    expect(summary.counts).toMatchObject({ read: 5, rejected: 1, conflict: 0 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [NUL_CELL.rowNumber, NUL_CELL.field, 'invalid-character'],
    ]);
    const rejection = await fx.warehouse('rejections').where({ run_id: summary.runId }).first();
    const [error] = rejection.errors;
    expect(error.value).toMatch(/^.+\\u0000有限公司$/);
    expect(error.message).toContain(
      `第${NUL_CELL.rowNumber}行第${NUL_CELL.column}列「${NUL_CELL.header}」第`,
    );
    expect(error.message).toContain('个字符是数据库无法保存的空字符 NUL（\\u0000），该行未入库');
    expect(rejection.raw[NUL_CELL.field]).toBe(error.value);
  });

  it('rejects the rows holding control characters (a broken export), each naming its character; the rest load', async () => {
    const { rows } = generatePenalties(5, { seed: 47 });
    const name = PENALTY_HEADER.indexOf('行政相对人名称');
    const facts = PENALTY_HEADER.indexOf('违法事实');
    (rows[0] as string[])[name] = '济南\u0001示例公司'; // C0
    (rows[1] as string[])[name] = '\u007F'; // DEL alone, where a name is required
    (rows[2] as string[])[facts] = '\u001B[31m违法事实\u001B[0m'; // a terminal escape
    (rows[3] as string[])[facts] = '第一行\r\n第二行\t制表'; // line breaks and tabs are text
    const file = path.join(dir, 'controls.csv');
    writeFileSync(file, toCsv(PENALTY_HEADER, rows));
    const summary = await ingestDelivery(fx, await units([file]));
    expect(summary.counts).toMatchObject({ read: 5, rejected: 3 });
    const rejections = await fx
      .warehouse('rejections')
      .where({ run_id: summary.runId })
      .orderBy('row_number');
    expect(
      rejections.map((rejection) => [
        rejection.row_number,
        rejection.errors[0].code,
        rejection.errors[0].value,
      ]),
    ).toEqual([
      [2, 'invalid-character', '济南\\u0001示例公司'],
      [3, 'invalid-character', '\\u007F'],
      [4, 'invalid-character', '\\u001B[31m违法事实\\u001B[0m'],
    ]);
    expect(rejections[0].errors[0].message).toContain('第3个字符是不可见的控制字符（\\u0001），该行未入库');
  });

  it('rejects a row whose cell from an interface holds a lone surrogate, which UTF-8 cannot carry', async () => {
    const { rows } = generatePenalties(3, { seed: 44 });
    (rows[1] as string[])[0] = '济南\uD83D示例商贸有限公司';
    const unit: SourceUnit = {
      name: 'interface@batch-1',
      receivedAt: RECEIVED,
      rows: async () => ({
        header: [...PENALTY_HEADER],
        encoding: 'rows',
        batches: (async function* () {
          yield rows.map((cells, i) => ({ rowNumber: i + 2, cells }));
        })(),
        stats: () => ({ blankLines: 0 }),
      }),
    };
    const summary = await ingestDelivery(fx, [unit]);
    expect(summary.counts).toMatchObject({ read: 3, rejected: 1, conflict: 0 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [3, 'CF_XDR_MC', 'invalid-character'],
    ]);
    const rejection = await fx.warehouse('rejections').where({ run_id: summary.runId }).first();
    expect(rejection.errors[0].value).toBe('济南\\uD83D示例商贸有限公司');
    expect(rejection.errors[0].message).toContain('不成对的代理项（\\uD83D，不是有效字符）');
  });

  it('rejects only the row with a cell over the 1 MiB cell limit as cell-too-long, keeping a preview', async () => {
    const summary = await ingestDelivery(fx, await units([writeLongCellCsv(dir)]));
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ read: 4, rejected: 1, conflict: 0 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [LONG_CELL.rowNumber, LONG_CELL.field, 'cell-too-long'],
    ]);
    const rejection = await fx.warehouse('rejections').where({ run_id: summary.runId }).first();
    const [error] = rejection.errors;
    expect(error.message).toContain(
      `第${LONG_CELL.rowNumber}行第${LONG_CELL.column}列「${LONG_CELL.header}」的内容有 1572864 字节，超过单元格上限 1048576 字节`,
    );
    expect(error.value).toBe(`${'违'.repeat(100)}…（共 1572864 字节，其余未保存）`);
    expect(rejection.raw[LONG_CELL.field]).toBe(error.value);
  });

  it('fails a 64 MB single-line CSV as line-too-long and a 2 GiB-sheet or entity workbook whole', async () => {
    const files = [
      writeLongLineCsv(dir),
      writeHugeSheetXlsx(dir),
      writeEntityXlsx(dir, 'sharedStrings'),
      good('good-2.csv', 42),
    ];
    const summary = await ingestDelivery(fx, await units(files));
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['long-line.csv', 'failed', 'line-too-long'],
      ['huge-sheet.xlsx', 'failed', 'workbook-too-large'],
      ['entity-sharedStrings.xlsx', 'failed', 'not-a-workbook'],
      ['good-2.csv', 'loaded', undefined],
    ]);
    expect(summary.files[0]?.error?.message).toContain(
      '文件第4行（第4条记录）起的一条记录超过了单条记录的上限 4 MB',
    );
    expect(summary.files[2]?.error?.message).toContain('工作簿的 xl/sharedStrings.xml 含有 DOCTYPE 声明');
    expect(summary.counts).toMatchObject({ read: 3, rejected: 0, conflict: 0 });
    expect(await runStatus(summary.runId)).toBe('failed');
  });

  it('moves each poisoned delivery of a drop folder to failed/, the good one to processed/', async () => {
    const inbox = path.join(fx.scratch, 'inbox');
    mkdirSync(inbox);
    for (const file of [
      writeNulInHeaderCsv(inbox, 'a-nul-header.csv'),
      writeLongLineCsv(inbox, 8 * 1024 * 1024, 'b-long-line.csv'),
      writeEntityXlsx(inbox, 'sheet', 'c-entity.xlsx'),
      path.join(inbox, 'd-good.csv'),
    ]) {
      if (!existsSync(file))
        writeFileSync(file, toCsv(PENALTY_HEADER, generatePenalties(3, { seed: 43 }).rows));
      writeFileSync(`${file}.ok`, '');
    }
    const transport = dropFolderTransport.create({ directory: inbox }, { stagingDir: fx.scratch, env: {} });
    const polled: SourceUnit[] = [];
    // Every file here is new to the ledger.
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) polled.push(unit);
    const summary = await ingestDelivery(fx, polled);
    for (const [i, unit] of polled.entries()) {
      await transport.settle(unit, summary.files[i]?.status === 'loaded' ? 'loaded' : 'failed');
    }
    const list = (sub: string) =>
      existsSync(path.join(inbox, sub)) ? readdirSync(path.join(inbox, sub)) : [];
    expect(
      list('failed')
        .filter((name) => !name.endsWith('.ok'))
        .sort(),
    ).toEqual(['a-nul-header.csv', 'b-long-line.csv', 'c-entity.xlsx']);
    expect(list('processed').filter((name) => !name.endsWith('.ok'))).toEqual(['d-good.csv']);
    expect(await runStatus(summary.runId)).toBe('failed');
  });
});
