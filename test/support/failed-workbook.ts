import { expect } from 'vitest';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/** The file `name` is recorded failed as not-a-workbook, its error saying `reason`, none of its rows stored or rejected. */
export async function expectWorkbookFailedWhole(
  fx: WarehouseFixture,
  name: string,
  reason: string,
): Promise<void> {
  const stored = await fx.warehouse('source_files').where({ name }).first();
  expect(stored).toMatchObject({ status: 'failed', error_code: 'not-a-workbook' });
  expect(JSON.stringify(stored.error)).toContain(reason);
  const count = async (table: string) =>
    Number((await fx.warehouse(table).where({ source_file_id: stored.id }).count({ n: '*' }))[0]?.n);
  expect(await count('record_sources')).toBe(0);
  expect(await count('rejections')).toBe(0);
}
