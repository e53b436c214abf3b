import { describe, expect, it } from 'vitest';
import { decimalPlaces } from './custom-keywords.ts';

describe('decimalPlaces', () => {
  it.each([
    [0, 0],
    [12, 0],
    [-7, 0],
    [1e21, 0], // String() gives 1e+21
    [1.5e21, 0],
    [Number.MAX_SAFE_INTEGER, 0],
    [0.5, 1],
    [33.9683, 4],
    [-0.125, 3],
    [1e-7, 7], // String() gives 1e-7
    [1.25e-7, 9],
    [0.1234567, 7],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [Number.NEGATIVE_INFINITY, 0],
  ])('%d has %d decimal places', (value, places) => {
    expect(decimalPlaces(value)).toBe(places);
  });
});
