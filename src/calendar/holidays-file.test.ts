import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CalendarDataError, holidaysFilePath, readHolidaysFile } from './holidays-file.ts';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-holidays-'));
const fileWith = (name: string, text: string) => {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
};
const year = (entry: object) => JSON.stringify({ years: { '2026': entry } });

describe('the holidays file', () => {
  it('config/holidays.json is valid and covers 2004–2026', () => {
    const data = readHolidaysFile('config/holidays.json');
    expect([...data.years.keys()].sort()).toEqual(Array.from({ length: 23 }, (_, i) => 2004 + i));
    expect(data.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('is named by CREDIT_ETL_HOLIDAYS_FILE, else config/holidays.json under the project', () => {
    expect(holidaysFilePath({ CREDIT_ETL_HOLIDAYS_FILE: '/etc/credit/holidays.json' }, '/opt/etl')).toBe(
      '/etc/credit/holidays.json',
    );
    expect(holidaysFilePath({}, '/opt/etl')).toBe(path.join('/opt/etl', 'config/holidays.json'));
  });

  it.each([
    ['missing.json', undefined, /missing\.json: cannot read the holiday calendar/],
    ['broken.json', '{"years": {', /broken\.json: not valid JSON/],
    ['no-years.json', '{}', /no-years\.json: "years": must be an object/],
    [
      'bad-date.json',
      year({ source: 'x', holidays: ['2026-01-01', '2026-02-30'], workdays: [] }),
      /bad-date\.json: years\.2026\.holidays\[1\]: "2026-02-30" is not a real date in 2026/,
    ],
    [
      'weekday.json',
      year({ source: 'x', holidays: [], workdays: ['2026-03-02'] }),
      /weekday\.json: years\.2026\.workdays\[0\]: 2026-03-02 is a weekday already/,
    ],
    [
      'no-source.json',
      year({ holidays: [], workdays: [] }),
      /no-source\.json: years\.2026\.source: must name the notice/,
    ],
  ])('%s: the file, the entry and the fault are named', (name, text, message) => {
    const file = text === undefined ? path.join(scratch, name) : fileWith(name, text);
    expect(() => readHolidaysFile(file)).toThrow(CalendarDataError);
    expect(() => readHolidaysFile(file)).toThrow(message);
  });
});
