import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  /** URL of a fresh, empty database of its own on the test server */
  readonly url: string;
  readonly name: string;
  /** Drops the database, closing any connection still open on it. Safe to call twice. */
  drop(): Promise<void>;
}

const MAX_IDENTIFIER_BYTES = 63;

/** A fresh database for one test file, so files running in parallel never see each other's rows. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = testDatabaseName(label);
  // template0 with C collation: the same empty, deterministic database on the embedded and on any other server.
  await onAdmin(
    adminUrl,
    (quoted) =>
      `create database ${quoted(name)} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`,
  );
  let dropping: Promise<void> | undefined;
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: () =>
      (dropping ??= onAdmin(adminUrl, (quoted) => `drop database if exists ${quoted(name)} with (force)`)),
  };
}

/** `credit_etl_test_<label>_<random>`, lower-case ASCII, within PostgreSQL's 63-byte identifier limit. */
export function testDatabaseName(label: string): string {
  const prefix = 'credit_etl_test_';
  const suffix = `_${randomBytes(4).toString('hex')}`;
  const cleaned = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_IDENTIFIER_BYTES - prefix.length - suffix.length)
    .replace(/_+$/, '');
  return `${prefix}${cleaned || 'db'}${suffix}`;
}

/** The admin URL with its database path (often `postgres` or `test`) replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function onAdmin(adminUrl: string, sql: (quoted: (name: string) => string) => string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(sql((name) => client.escapeIdentifier(name)));
  } finally {
    await client.end().catch(() => undefined);
  }
}
