import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { repackWorkbook } from '../connectors/formats/xlsx-repack.test-support.ts';
import { expectNoLibraryText } from '../connectors/library-text.test-support.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import type { DropEntry } from '../connectors/transports/file-drop/file-drop-port.ts';
import { SftpDropPort } from '../connectors/transports/file-drop/sftp-drop-port.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { zipBytes } from '../connectors/transports/zip-fixture.test-support.ts';
import { crc32 } from '../connectors/zip-crc.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { type SftpTestServer, sftpTransportConfig, startSftpServer } from './support/sftp-server.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * A delivery that fails whole is recorded (source_files.error, the run's file summary, the direct-report page)
 * with a reason the provider reads: Chinese, naming the file, the part and the damage — never the English of the
 * library that failed to read it (exceljs/saxes, yauzl, zlib) or Node's (`ENOENT: no such file or directory, open
 * '/srv/…'`), with the server's paths.
 */
describe('file-level failures are recorded in the provider’s words, not a library’s', () => {
  let fx: WarehouseFixture;
  let dir: string;
  beforeAll(async () => {
    fx = await openWarehouseFixture('files_library_text');
    dir = path.join(fx.scratch, 'files');
    mkdirSync(dir);
  });
  afterAll(async () => fx?.close());

  const { rows } = generatePenalties(3, { seed: 61 });
  const csv = Buffer.from(toCsv(PENALTY_HEADER, rows));
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };

  it('records each broken file with its own reason, and the stored reason is the one reported', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('处罚').addRows([PENALTY_HEADER, ...rows]);
    const workbook = Buffer.from(await book.xlsx.writeBuffer());
    const badXml = await repackWorkbook(workbook, {
      edit: (name, text) =>
        name === 'xl/worksheets/sheet1.xml' ? text.replace('</row>', '</rwo>') : undefined,
    });
    const packed = Buffer.from(deflateRawSync(csv));
    for (let i = 3; i < packed.length; i += 5) packed[i] = (packed[i] ?? 0) ^ 0x77;
    const badZip = zipBytes([
      { name: Buffer.from('处罚.csv'), utf8: true, packed, crc: crc32(csv), size: csv.length },
    ]);
    const gz = gzipSync(csv);
    const units: SourceUnit[] = [
      await localFileUnit(write('damaged-xml.xlsx', badXml)),
      await localFileUnit(write('renamed.xlsx', csv)),
      await localFileUnit(write('cut.xlsx', workbook.subarray(0, workbook.length >> 1))),
      ...(await unitsForFile(write('damaged.zip', badZip))),
      ...(await unitsForFile(write('cut.csv.gz', gz.subarray(0, gz.length - 12)))),
      await localFileUnit(write('gone.csv', csv)),
    ];
    // Listed, then moved away before it is read (an operator, another process).
    rmSync(path.join(dir, 'gone.csv'));

    const summary = await ingestDelivery(fx, units);
    const reasons = [
      [
        'damaged-xml.xlsx',
        'not-a-workbook',
        /^文件不是有效的 Excel 工作簿（\.xlsx）：工作表「处罚」（xl\/worksheets\/sheet1\.xml）无法读取：XML 格式错误（第\d+行第\d+个字符处：结束标签 <\/worksheet> 与前面的开始标签不配对），整个文件未入库/,
      ],
      [
        'renamed.xlsx',
        'not-a-workbook',
        /^文件不是有效的 Excel 工作簿（\.xlsx）：文件内容不是 \.xlsx 工作簿（可能是 CSV、文本、网页等文件改了扩展名），整个文件未入库/,
      ],
      [
        'cut.xlsx',
        'not-a-workbook',
        /^文件不是有效的 Excel 工作簿（\.xlsx）：文件不完整（\.xlsx 实为 zip 格式，文件末尾的目录记录缺失），多为上传、下载或复制中途中断/,
      ],
      [
        'damaged.zip!处罚.csv',
        'corrupt-archive',
        /^压缩包 damaged\.zip 中的「处罚\.csv」已损坏：压缩数据已损坏，无法解压，整个文件未入库/,
      ],
      [
        'cut.csv.gz!cut.csv',
        'corrupt-archive',
        /^压缩文件「cut\.csv\.gz」无法解压：压缩数据不完整，在中途断开（多为上传、下载或复制中途中断）/,
      ],
      [
        'gone.csv',
        'unreadable-file',
        /^无法读取文件，未入库任何数据：文件在读取时已不存在（已被移走或删除）；如仍需报送，请重新报送$/,
      ],
    ] as const;
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual(
      reasons.map(([name, code]) => [name, 'failed', code]),
    );
    const stored = await fx.warehouse('source_files').where({ run_id: summary.runId }).orderBy('id');
    for (const [i, [name, code, reason]] of reasons.entries()) {
      const message = summary.files[i]?.error?.message;
      expect(message, name).toMatch(reason);
      expectNoLibraryText(message);
      expect(message).not.toContain(fx.scratch);
      expect(stored[i]).toMatchObject({ name, status: 'failed', error_code: code, error: message });
    }
  });

  describe('an SFTP drop file the server refuses to hand over', () => {
    let server: SftpTestServer;
    beforeAll(async () => {
      server = await startSftpServer();
    });
    afterAll(async () => server?.close());

    // Not the file's failure any more (the platform's login may not read it: failed-unit.ts), yet its reason is
    // said in the same words as every file's, in the run's error.
    it('fails as remote-permission-denied without the SFTP library’s words', async () => {
      mkdirSync(path.join(server.root, 'denied'), { recursive: true });
      writeFileSync(path.join(server.root, 'denied', 'b.csv'), csv);
      server.deniedNames.push('b.csv');
      const drop = new SftpDropPort(sftpTransportConfig(server, '/denied'), {
        stagingDir: path.join(fx.scratch, 'staging'),
        env: { SFTP_PASSWORD: server.password },
      });
      try {
        const [entry] = (await drop.list('/denied')) ?? [];
        const refused = await drop.fetch('/denied', entry as DropEntry).then(
          () => undefined,
          (error: Error & { code?: string }) => error,
        );
        expect(refused).toMatchObject({
          code: 'remote-permission-denied',
          message: `无法下载 sftp://127.0.0.1:${server.port}/denied/b.csv，未入库任何数据：SFTP 服务器拒绝平台读取该文件（平台的登录账号没有读取权限，不是文件内容的问题），请联系平台运维人员`,
        });
        expectNoLibraryText(refused?.message);
      } finally {
        server.deniedNames.length = 0;
        await drop.close();
      }
    });
  });
});
