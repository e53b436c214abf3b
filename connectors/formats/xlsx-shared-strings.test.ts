import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../contracts.ts';
import { SharedStrings } from './xlsx-shared-strings.ts';

describe('SharedStrings', () => {
  it('returns each string by its index across chunk boundaries, rich text as its plain text', () => {
    const table = new SharedStrings();
    for (let i = 0; i < 10_000; i++)
      table.push(i === 4096 ? { richText: [{ text: '济南' }, { text: '市' }] } : `s${i}`);
    expect(table.size).toBe(10_000);
    expect([table.get(0), table.get(4095), table.get(4096), table.get(4097), table.get(9999)]).toEqual([
      's0',
      's4095',
      '济南市',
      's4097',
      's9999',
    ]);
    expect(table.get(10_000)).toBeUndefined();
  });

  it('fails the workbook with workbook-too-large once the table outgrows its share of the heap', () => {
    const table = new SharedStrings(1_200);
    // Ten Chinese characters a string, two bytes each and four for its offset: fifty fill 1,200 bytes exactly.
    for (let i = 0; i < 50; i++) table.push('处罚决定书文号'.padEnd(10, '号'));
    const overflow = () => table.push('处罚决定书文号'.padEnd(10, '号'));
    expect(overflow).toThrow(FileFormatError);
    expect(overflow).toThrow(/共享字符串表.*过大.*拆分为多个文件/);
    try {
      overflow();
    } catch (error) {
      expect((error as FileFormatError).code).toBe('workbook-too-large');
    }
  });
});
