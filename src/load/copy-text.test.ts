import { describe, expect, it } from 'vitest';
import { STAGE_COLUMNS } from '../warehouse/staging-repository.ts';
import { copyField } from './copy-text.ts';
import { validLine } from './stage-lines.ts';

describe('COPY text format', () => {
  it('escapes the characters COPY treats specially', () => {
    expect(copyField('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(12.5)).toBe('12.5');
  });

  it.each([
    ['\\', '\\\\'],
    ['\t', '\\t'],
    ['\n', '\\n'],
    ['\r', '\\r'],
  ])('escapes %j alone inside Chinese text', (special, escaped) => {
    expect(copyField(`济南${special}市`)).toBe(`济南${escaped}市`);
  });

  it('leaves text without special characters as it is', () => {
    expect(copyField('{"CF_SY":"货值金额人民币3,200元"}')).toBe('{"CF_SY":"货值金额人民币3,200元"}');
    expect(copyField('')).toBe('');
  });

  it('writes a staged row as one field per stage column, in column order, \\N for absent values', () => {
    const line = validLine({
      rowNumber: 7,
      businessKey: 'K',
      subjectCode: undefined,
      contentHash: 'H',
      formationDate: '2026-11-20',
      late: true,
      workingDays: 9,
      receivedAt: undefined,
      json: '{"CF_WSH":"x"}',
      fingerprint: '-42',
    });
    expect(line.endsWith('\n')).toBe(true);
    const fields = line.slice(0, -1).split('\t');
    expect(Object.fromEntries(STAGE_COLUMNS.map((column, i) => [column, fields[i]]))).toEqual({
      row_number: '7',
      business_key: 'K',
      subject_code: '\\N',
      content_hash: 'H',
      formation_date: '2026-11-20',
      late: 'true',
      working_days: '9',
      received_at: '\\N',
      data: '{"CF_WSH":"x"}',
      raw: '\\N',
      errors: '\\N',
      warnings: '\\N',
      withdrawal: '\\N',
      objection: '\\N',
      fingerprint: '-42',
    });
    expect(fields).toHaveLength(STAGE_COLUMNS.length);
  });
});
