import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serialToIsoDate } from '../../connectors/formats/xlsx-cell-text.ts';
import { loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { serialDateCells } from './serial-dates.ts';

const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
const entry = catalog.resolve('xzcf', '2026-11-27');
const columns = ['CF_JDRQ', 'CF_NR_FK', 'CF_WSH'];
const toDate = (serial: number) => serialToIsoDate(serial, false);

describe('serialDateCells', () => {
  it('reads a number cell in a date field as the date its Excel serial stands for', () => {
    const cells = serialDateCells(entry, columns, toDate);
    const row = { rowNumber: 3, cells: ['46086', '0.5', '济市监罚〔2026〕1号'], numberCells: [0, 1] };
    expect(cells(row)).toEqual(['2026-03-05', '0.5', '济市监罚〔2026〕1号']);
    expect(row.cells[0]).toBe('46086'); // what the provider sent stays for the rejection report
  });

  it('leaves text cells, amounts and workbooks without a serial reader alone', () => {
    const textDate = { rowNumber: 3, cells: ['46086', '0.5', 'x'] };
    expect(serialDateCells(entry, columns, toDate)(textDate)).toBe(textDate.cells);
    const csvRow = { rowNumber: 3, cells: ['46086', '0.5', 'x'], numberCells: [0] };
    expect(serialDateCells(entry, columns, undefined)(csvRow)).toBe(csvRow.cells);
  });

  it('leaves numbers that cannot be Excel dates to the validator', () => {
    const row = { rowNumber: 3, cells: ['-3', '0.5', 'x'], numberCells: [0] };
    expect(serialDateCells(entry, columns, toDate)(row)).toEqual(['-3', '0.5', 'x']);
  });
});
