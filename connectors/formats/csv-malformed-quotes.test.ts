import { describe, expect, it } from 'vitest';
import { csvFormat } from './csv-format.ts';
import { problems, readAll } from './read-all.test-support.ts';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('a cell with text after its closing quote (malformed-quotes), in a known column', () => {
  it('places the problem in that column and names it by its header name and number, quoting the value', async () => {
    const { rows } = await readAll(
      csvFormat,
      utf8('名称,处罚机关,代码\n甲公司,济南市局,1\n乙公司,"济南市"局,2\n'),
    );
    expect(problems(rows)).toEqual([[3, 'malformed-quotes']]);
    const row = rows[1];
    expect(row?.problemCell).toBe(1);
    expect(row?.problem?.value).toBe('"济南市"局');
    expect(row?.problem?.message).toMatch(
      /^第3行“处罚机关”列（第2列）的引号位置错误：「"济南市"局」以引号开头，闭合的引号后面还有文字，无法确定原意，该行未入库。/,
    );
  });

  it('quotes a long value cut short and a control character written visibly', async () => {
    const { rows } = await readAll(csvFormat, utf8(`名称,代码\n"甲"\u0001${'长'.repeat(300)},1\n`));
    expect(rows[0]?.problemCell).toBe(0);
    const message = rows[0]?.problem?.message ?? '';
    expect(message).toContain(`「"甲"\\u0001${'长'.repeat(196)}…」以引号开头`);
    expect(message).not.toContain('\u0001');
  });

  it('leaves a cell past the header’s last column to the row as a whole', async () => {
    const { rows } = await readAll(csvFormat, utf8('名称,代码\n甲公司,1,"x"y\n'));
    expect(problems(rows)).toEqual([[2, 'malformed-quotes']]);
    expect(rows[0]?.problemCell).toBeUndefined();
    expect(rows[0]?.problem?.field).toBe('*');
    expect(rows[0]?.problem?.message).toContain('第2行第3列的引号位置错误');
  });
});
