import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('CREDIT_ETL_HOLIDAYS_FILE', () => {
  it('defaults to config/holidays.json, read and validated with the rest of the configuration', () => {
    const { calendar } = loadConfig({});
    expect(calendar.data.file.endsWith(path.join('config', 'holidays.json'))).toBe(true);
    expect(calendar.calendarYears()).toEqual({ from: 2004, to: 2026 });
  });

  it('a bad file is a configuration error naming the file and the entry', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'credit-etl-config-')), 'holidays.json');
    writeFileSync(
      file,
      JSON.stringify({ years: { '2027': { source: 'x', holidays: ['2027-13-01'], workdays: [] } } }),
    );
    expect(() => loadConfig({ CREDIT_ETL_HOLIDAYS_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ CREDIT_ETL_HOLIDAYS_FILE: file })).toThrow(
      `${file}: years.2027.holidays[0]: "2027-13-01" is not a real date in 2027`,
    );
  });
});
