import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../run/ingest-files.ts';
import { emptyCounts } from '../warehouse/outcome-counts.ts';
import { summaryText } from './format-summary.ts';
import { displayWidth } from './format-table.ts';

const file = (name: string, read: number): RunSummary['files'][number] => ({
  sourceFileId: 1,
  name,
  status: 'loaded',
  counts: { ...emptyCounts(), read, inserted: read },
  errorsByCode: {},
  blankLines: 0,
  encoding: 'utf-8',
  durationMs: 1,
});

describe('summaryText', () => {
  it('lays the table out as it is printed, IDs masked: a full-width ID in a file name keeps the columns straight', () => {
    const summary: RunSummary = {
      runId: 7,
      status: 'completed',
      counts: { ...emptyCounts(), read: 3, inserted: 3 },
      errorsByCode: {},
      files: [file('张三３７０１０２１９９００１０１１２３１.csv', 1), file('b.csv', 2)],
    };
    const text = summaryText(summary);
    expect(text).not.toContain('１９９００１０１');
    const table = text.split('\n').slice(1, 5);
    expect(table[1]).toContain('３７０１**********１２３１');
    // Counts are right-aligned to the last column: every line of a straight table has the same display width.
    expect(new Set(table.map(displayWidth)).size, table.join('\n')).toBe(1);
  });
});
