import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseName, withDatabase } from './test-database.ts';

async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  const created: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(created.map((database) => database.drop()));
  });

  it('gives every caller a database of its own, and drop() removes it', async () => {
    const first = await createTestDatabase('separate');
    const second = await createTestDatabase('separate');
    created.push(first, second);
    expect(first.name).not.toBe(second.name);
    expect(first.url).not.toBe(second.url);

    await sql(first.url, 'create table only_in_first (id int)');
    const seen = await sql(second.url, "select to_regclass('only_in_first') as found");
    expect(seen).toEqual([{ found: null }]);
    const [current] = await sql(first.url, 'select current_database() as name');
    expect(current?.name).toBe(first.name);

    // An open connection does not block the drop (WITH (FORCE)); dropping twice is harmless.
    const lingering = new pg.Client({ connectionString: first.url });
    lingering.on('error', () => undefined);
    await lingering.connect();
    await first.drop();
    await first.drop();
    await lingering.end().catch(() => undefined);
    const left = await sql(second.url, `select datname from pg_database where datname = '${first.name}'`);
    expect(left).toEqual([]);
  });
});

describe('testDatabaseName', () => {
  it('keeps names to lower-case ASCII within 63 bytes', () => {
    const name = testDatabaseName(`Ingest 行政处罚 ${'x'.repeat(80)}`);
    expect(name).toMatch(/^credit_etl_test_ingest_x+_[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(testDatabaseName('!!!')).toMatch(/^credit_etl_test_db_[0-9a-f]{8}$/);
  });

  it('replaces only the database of the admin URL', () => {
    expect(withDatabase('postgres://postgres@127.0.0.1:5432/test?sslmode=disable', 'credit_etl_test_a')).toBe(
      'postgres://postgres@127.0.0.1:5432/credit_etl_test_a?sslmode=disable',
    );
  });
});
