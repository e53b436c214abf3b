import { describe, expect, it } from 'vitest';
import { distinctMaskedNames } from './distinct-masked-names.ts';

describe('distinctMaskedNames', () => {
  it('masks each name and tells apart, in sorted order, names masking alike', () => {
    const shown = distinctMaskedNames([
      'feed-370102198001180014',
      'plain',
      'feed-370102197503090014',
      'p-370102197503090014',
    ]);
    expect(Object.fromEntries(shown)).toEqual({
      'feed-370102197503090014': 'feed-3701**********0014~1',
      'feed-370102198001180014': 'feed-3701**********0014~2',
      'p-370102197503090014': 'p-3701**********0014',
      plain: 'plain',
    });
  });

  it("keeps a name shown as it is, and gives no masked name another pipeline's own name", () => {
    const shown = distinctMaskedNames([
      'feed-3701**********0014',
      'feed-3701**********0014~1',
      'feed-370102197503090014',
    ]);
    expect(shown.get('feed-3701**********0014')).toBe('feed-3701**********0014');
    expect(shown.get('feed-3701**********0014~1')).toBe('feed-3701**********0014~1');
    expect(shown.get('feed-370102197503090014')).toBe('feed-3701**********0014~2');
  });
});

describe('distinctMaskedNames with names outside the set', () => {
  it("leaves the set's texts as they are and gives the others the next free places", () => {
    const shown = distinctMaskedNames(
      ['feed-370102198001180014', 'plain'],
      ['feed-370102197503090014', 'gone', 'plain', 'p-370102197503090014'],
    );
    expect(Object.fromEntries(shown)).toEqual({
      'feed-370102198001180014': 'feed-3701**********0014',
      'feed-370102197503090014': 'feed-3701**********0014~1',
      'p-370102197503090014': 'p-3701**********0014',
      gone: 'gone',
      plain: 'plain',
    });
  });
});
