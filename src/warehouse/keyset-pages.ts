/**
 * The rows of a query in id order, read page by page (keyset paging: `id > last id seen`), so memory stays
 * flat however many rows there are and no row is skipped or repeated the way OFFSET paging can. `page(after)`
 * runs one page: rows with an id above `after`, ordered by id, at most `pageSize` of them.
 */
export async function* keysetPages<Row extends { id: number }>(
  pageSize: number,
  page: (after: number) => Promise<Row[]>,
): AsyncGenerator<Row> {
  let after = 0;
  for (;;) {
    const rows = await page(after);
    yield* rows;
    const last = rows.at(-1);
    if (rows.length < pageSize || last === undefined) return;
    after = last.id;
  }
}
