import { describe, expect, it } from 'vitest';
import { maskPersonalData } from './mask-personal-data.ts';

describe('maskPersonalData', () => {
  it('keeps the first 4 and last 4 characters of an 18-character ID', () => {
    expect(maskPersonalData('370102199001011234')).toBe('3701**********1234');
    expect(maskPersonalData('11010519491231002X')).toBe('1101**********002X');
    expect(maskPersonalData('11010519491231002x')).toBe('1101**********002x');
  });

  it('masks a legacy 15-digit ID', () => {
    expect(maskPersonalData('370102900101123')).toBe('3701*******1123');
  });

  it('masks every ID inside free text, Chinese punctuation included', () => {
    expect(maskPersonalData('身份证号370102199001011234与11010519491231002X不一致')).toBe(
      '身份证号3701**********1234与1101**********002X不一致',
    );
    expect(maskPersonalData('{"zjhm":"370102199001011234"}')).toBe('{"zjhm":"3701**********1234"}');
  });

  it('leaves USCCs, longer digit runs and short numbers intact', () => {
    for (const text of [
      '91350100M000100Y43',
      '6222021234567890123', // 19-digit bank card
      '62220212345678901234', // 20 digits
      '3701021990010112', // 16 digits
      '37010219900101123', // 17 digits
      '12345678901234', // 14 digits
      'row 1234, 200000 rows',
    ]) {
      expect(maskPersonalData(text)).toBe(text);
    }
  });
});
