import { describe, expect, it } from 'vitest';
import { keysetPages } from './keyset-pages.ts';

/** A table of `count` rows with ids 1…count, paged the way the report queries page. */
function table(count: number, pageSize: number) {
  const rows = Array.from({ length: count }, (_, i) => ({ id: i + 1 }));
  const afters: number[] = [];
  const page = async (after: number) => {
    afters.push(after);
    return rows.filter((row) => row.id > after).slice(0, pageSize);
  };
  return { page, afters };
}

async function collect<T>(rows: AsyncGenerator<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

describe('keysetPages', () => {
  it('yields every row once, in id order, continuing after the last id of each page', async () => {
    const { page, afters } = table(12, 5);
    const ids = (await collect(keysetPages(5, page))).map((row) => row.id);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(afters).toEqual([0, 5, 10]);
  });

  it('stops after an empty page when the rows fill the last page exactly', async () => {
    const { page, afters } = table(10, 5);
    expect(await collect(keysetPages(5, page))).toHaveLength(10);
    expect(afters).toEqual([0, 5, 10]);
  });

  it('reads one page of an empty table', async () => {
    const { page, afters } = table(0, 5);
    expect(await collect(keysetPages(5, page))).toEqual([]);
    expect(afters).toEqual([0]);
  });
});
