import { describe, expect, it } from 'vitest';
import { formatTable } from './format-table.ts';

describe('formatTable', () => {
  it('right-aligns the columns after the first, but the first `leftColumns` read left to right', () => {
    const rows = [
      [1, '济南市', '11370100MB28174284', 7],
      [10, '山东省', 'X', 12],
    ];
    expect(formatTable(['#', 'name', 'code', 'n'], rows).split('\n')).toEqual([
      '#     name                code   n',
      '1   济南市  11370100MB28174284   7',
      '10  山东省                   X  12',
    ]);
    expect(formatTable(['#', 'name', 'code', 'n'], rows, { leftColumns: 3 }).split('\n')).toEqual([
      '#   name    code                 n',
      '1   济南市  11370100MB28174284   7',
      '10  山东省  X                   12',
    ]);
  });
});
