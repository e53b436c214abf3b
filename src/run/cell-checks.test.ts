import { describe, expect, it } from 'vitest';
import { mayHoldUnstorable, unstorableAt, visibleText } from '../load/copy-text.ts';
import { fixHint } from '../report/fix-hint.ts';
import { cellChecks } from './cell-checks.ts';

describe('characters PostgreSQL cannot store', () => {
  it.each([
    ['a NUL', '甲\0乙', 1, '甲\\u0000乙'],
    ['a lone high surrogate', '甲\uD840乙', 1, '甲\\uD840乙'],
    ['a lone low surrogate', '\uDC00乙', 0, '\\uDC00乙'],
    ['a C0 control character', '济南\u0001公司', 2, '济南\\u0001公司'],
    ['a terminal escape', '\u001B[31m红字', 0, '\\u001B[31m红字'],
    ['a backspace', '甲\b', 1, '甲\\u0008'],
    ['a form feed', '\f乙', 0, '\\u000C乙'],
    ['DEL alone', '\u007F', 0, '\\u007F'],
    ['a C1 control character (cp1252 read of GBK)', '甲\u0085乙', 1, '甲\\u0085乙'],
  ])('finds %s and writes it visibly', (_name, text, at, visible) => {
    expect(unstorableAt(text)).toBe(at);
    expect(visibleText(text)).toBe(visible);
    expect(mayHoldUnstorable(JSON.stringify({ a: text }))).toBe(true);
  });

  it('leaves a character outside the BMP (a surrogate pair) and plain text alone', () => {
    for (const text of ['𠀀甲公司', '罚款 1,000 元', '', '第一行\r\n第二行\t制表']) {
      expect(unstorableAt(text)).toBe(-1);
      expect(visibleText(text)).toBe(text);
      expect(mayHoldUnstorable(JSON.stringify({ a: text }))).toBe(false);
    }
  });
});

describe('cell checks of a row', () => {
  const checks = cellChecks(['CF_XDR_MC', 'CF_SY', 'column_3'], ['行政相对人名称', '违法事实', ''], 30);

  it('names the field, row, column and escaped value of an unstorable character', () => {
    const row = { rowNumber: 7, cells: ['甲\0公司', '无', '\uD800'] };
    expect(checks.problems(row)).toEqual([
      {
        field: 'CF_XDR_MC',
        code: 'invalid-character',
        message:
          '第7行第1列「行政相对人名称」第2个字符是数据库无法保存的空字符 NUL（\\u0000），该行未入库：值为「甲\\u0000公司」。请删除该字符（多由导出程序或复制粘贴带入）后重新报送',
        value: '甲\\u0000公司',
      },
      expect.objectContaining({
        field: 'column_3',
        code: 'invalid-character',
        message: expect.stringContaining(
          '第7行第3列第1个字符是数据库无法保存的不成对的代理项（\\uD800，不是有效字符）',
        ),
        value: '\\uD800',
      }),
    ]);
  });

  it('rejects a cell over the byte limit (counted as UTF-8) and keeps only a preview of it', () => {
    const long = '违'.repeat(11);
    const row = { rowNumber: 3, cells: ['甲', long, ''] };
    expect(checks.anyTooLong({ rowNumber: 3, cells: ['甲', '违'.repeat(10), ''] })).toBe(false);
    expect(checks.anyTooLong(row)).toBe(true);
    expect(checks.problems(row)).toEqual([
      {
        field: 'CF_SY',
        code: 'cell-too-long',
        message: expect.stringContaining(
          '第3行第2列「违法事实」的内容有 33 字节，超过单元格上限 30 字节，该行未入库',
        ),
        value: `${long}…（共 33 字节，其余未保存）`,
      },
    ]);
    expect(checks.storableRaw({ CF_XDR_MC: '甲\0', CF_SY: long })).toEqual({
      CF_XDR_MC: '甲\\u0000',
      CF_SY: `${long}…（共 33 字节，其余未保存）`,
    });
  });

  it('names a control character as invisible, not as one the database cannot store', () => {
    const [error] = checks.problems({ rowNumber: 4, cells: ['济南\u0001公司', '无', ''] });
    expect(error).toMatchObject({ field: 'CF_XDR_MC', code: 'invalid-character', value: '济南\\u0001公司' });
    expect(error?.message).toContain(
      '第4行第1列「行政相对人名称」第3个字符是不可见的控制字符（\\u0001），该行未入库',
    );
  });

  it('counts characters as a reader does: one outside the BMP (two UTF-16 units) is one character', () => {
    const [error] = checks.problems({ rowNumber: 5, cells: ['𝟑\u001B', '𠀀甲\0', ''] });
    expect(error?.message).toContain('第5行第1列「行政相对人名称」第2个字符是不可见的控制字符（\\u001B）');
    expect(checks.problems({ rowNumber: 5, cells: ['甲', '𠀀甲\0', ''] })[0]?.message).toContain(
      '第2列「违法事实」第3个字符是数据库无法保存的空字符',
    );
  });

  it('escapes what an error from elsewhere quotes, and returns a clean error as it is', () => {
    const clean = { field: '*', code: 'field-count', message: '第2行有3列', value: '3' };
    expect(checks.storableError(clean)).toBe(clean);
    expect(checks.storableError({ ...clean, message: '值"\0"', value: '\0' })).toEqual({
      ...clean,
      message: '值"\\u0000"',
      value: '\\u0000',
    });
  });

  it('has a fix hint of its own for every code a poisoned file can end with', () => {
    const fallback = fixHint('something-new');
    const codes = [
      'invalid-character',
      'cell-too-long',
      'invalid-header-character',
      'line-too-long',
      'too-many-cells',
      'workbook-too-large',
      'not-a-workbook',
    ];
    expect(codes.filter((code) => fixHint(code) === fallback)).toEqual([]);
  });
});
