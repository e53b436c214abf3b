import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config/config.ts';
import type { CatalogEntry } from './catalog-entry.ts';
import { loadCatalog } from './load-catalog.ts';
import { matchHeaders } from './match-headers.ts';

let zyzg: CatalogEntry;
beforeAll(async () => {
  const { entries } = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  zyzg = entries.find((entry) => entry.code === 'zyzg' && entry.version === 1)!;
});

/** A zyzg data row, its 身份证号码 mistyped (wrong check digit): what a file without a header starts with. */
const DATA_ROW = [
  '张某',
  '370102198001010016',
  '一级注册建造师',
  '准入类',
  '',
  '建筑工程',
  'Z001',
  '',
  '',
  '2026-05-01',
  '2029-04-30',
  '有效',
  '山东省住房和城乡建设厅',
  '1137010000010001XF',
];

describe('a header row that is not one', () => {
  it('says a data row was read as the header, quoting none of its cells', () => {
    const { problems } = matchHeaders(zyzg, DATA_ROW);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.code).toBe('unknown-columns');
    expect(problems[0]?.message).toMatch(/^第一行像是数据而不是表头/);
    expect(problems[0]?.columns).toEqual([]);
    for (const cell of ['张某', '370102', '一级注册建造师', '1137010000010001XF'])
      expect(problems[0]?.message).not.toContain(cell);
  });

  it('masks a header cell shaped like an ID number, whatever its check digit, among unknown columns', () => {
    const { problems } = matchHeaders(zyzg, ['姓名', '身份证号码', '370102198001010016', '籍贯']);
    expect(problems.map((problem) => problem.code)).toEqual(['unknown-columns', 'missing-columns']);
    expect(problems[0]?.columns).toEqual(['3701**********0016', '籍贯']);
    expect(problems[0]?.message).toContain('未定义的列：3701**********0016、籍贯');
    expect(problems[0]?.message).not.toContain('370102198001010016');
  });

  it('still names the unknown columns of a header with a title or a date in it', () => {
    for (const odd of ['2026年行政处罚信息公示', '填报日期2026-11-01']) {
      const { problems } = matchHeaders(zyzg, ['姓名', '身份证号码', odd]);
      expect(problems[0]?.message, odd).toContain(`未定义的列：${odd}`);
    }
  });
});
