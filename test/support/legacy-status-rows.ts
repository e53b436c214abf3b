import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/config.ts';

/**
 * Rows of the 2016-layout penalty fixture (its 当前状态 column says 正常/撤销/异议), for the tests of status signals
 * and provider objections.
 */
const FIXTURE = path.join(PROJECT_ROOT, 'fixtures/xzcf/legacy-2016-utf8/input.csv');
const [HEADER, ...ROWS] = readFileSync(FIXTURE, 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split(','));
export const LEGACY_HEADER: string[] = HEADER!;
export const STATUS = LEGACY_HEADER.indexOf('当前状态');
const NUMBER = LEGACY_HEADER.indexOf('行政处罚决定书文号');
const DATE = LEGACY_HEADER.indexOf('处罚决定日期');

/** Row 3 or 4 of the fixture as decision 〔2026〕<number>号 of 2026-11-03, its 当前状态 `status`. */
export function statusRow(index: 3 | 4, number: number, status: string): string[] {
  const cells = [...ROWS[index - 1]!];
  cells[NUMBER] = `济市监罚〔2026〕${number}号`;
  cells[DATE] = '2026-11-03';
  cells[STATUS] = status;
  return cells;
}

/** The lookups file giving the fixture's authority its USCC (`--lookups`), written in `folder`. */
export function writeAuthorityLookups(folder: string): string {
  const lookups = path.join(folder, 'lookups.json');
  writeFileSync(lookups, JSON.stringify({ authorityCodes: { 济南市市场监督管理局: '1137010000010001XF' } }));
  return lookups;
}
