import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { csvFormat } from './csv-format.ts';
import { problems, readAll } from './read-all.test-support.ts';

const gb = (text: string) => iconv.encode(text, 'gb18030');
/** A byte no GB18030 (nor GBK) character uses. */
const BAD = Buffer.from([0xff]);

describe('bytes the encoding cannot decode, in a known column', () => {
  it('names the column by its header name and number, and quotes the value', async () => {
    const bytes = Buffer.concat([
      gb('名称,处罚机关,代码\n甲公司,济南市局,1\n乙公司,济南'),
      BAD,
      gb('市局,2\n'),
    ]);
    const { encoding, rows } = await readAll(csvFormat, bytes);
    expect(encoding).toBe('gb18030');
    expect(problems(rows)).toEqual([[3, 'undecodable-bytes']]);
    const row = rows[1];
    expect(row?.problemCell).toBe(1);
    expect(row?.problem?.value).toBe('济南\uFFFD市局');
    expect(row?.problem?.message).toMatch(
      /^第3行“处罚机关”列（第2列）含有无法按 gb18030 编码解码的字节（显示为 �），该行未入库：值为「济南�市局」。请将文件另存为 UTF-8 或 GB18030 编码后重新报送/,
    );
  });

  it('quotes a long value cut short and a control character written visibly', async () => {
    const bytes = Buffer.concat([gb('名称,代码\n甲\u0001'), BAD, gb(`${'长'.repeat(300)},1\n`)]);
    const { rows } = await readAll(csvFormat, bytes);
    const message = rows[0]?.problem?.message ?? '';
    expect(message).toContain(`值为「甲\\u0001�${'长'.repeat(197)}…」`);
    expect(message).not.toContain('\u0001');
  });

  it('leaves a cell past the header’s last column to the row as a whole', async () => {
    const bytes = Buffer.concat([gb('名称,代码\n甲公司,1,'), BAD, gb('\n')]);
    const { rows } = await readAll(csvFormat, bytes);
    expect(rows[0]?.problemCell).toBeUndefined();
    expect(rows[0]?.problem?.message).toContain('第2行第3列含有');
  });
});

describe('bytes the encoding cannot decode in the header line', () => {
  it('fails the file as undecodable-bytes naming the header line and column, not as unknown columns', async () => {
    const bytes = Buffer.concat([gb('名称,处罚'), BAD, gb('机关,代码\n甲公司,济南市局,1\n')]);
    await expect(readAll(csvFormat, bytes)).rejects.toMatchObject({
      code: 'undecodable-bytes',
      message: expect.stringMatching(
        /^表头（第1行）第2列「处罚�机关」含有无法按 gb18030 编码解码的字节（显示为 �），列名无法与目录对照，整个文件未入库：请将文件另存为 UTF-8 或 GB18030 编码后重新报送/,
      ),
    });
  });

  it('names the declared header row below title rows', async () => {
    const bytes = Buffer.concat([gb('2026年行政处罚\n名称,处罚'), BAD, gb('机关\n甲公司,济南市局\n')]);
    await expect(readAll(csvFormat, bytes, { headerRow: 2 })).rejects.toMatchObject({
      code: 'undecodable-bytes',
      message: expect.stringContaining('表头（第2行）第2列'),
    });
  });
});
