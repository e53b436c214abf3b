import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWarehouse, migrateWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { type DatabaseServer, openDatabaseServer } from '../src/warehouse/database-server.ts';
import { WAREHOUSE_ROLES } from '../src/warehouse/warehouse-roles.ts';
import { withDatabase } from './test-database.ts';

const DATABASES = ['first', 'second', 'third', 'fourth', 'fifth'].map((name) => `credit_etl_${name}`);

/**
 * Roles are the server's, grants the database's: on a server that has never seen them, several warehouses
 * migrating at the same moment (as the test files do) must each end with the roles and their own grants. A
 * fresh embedded PostgreSQL (the default, superuser `postgres`), never the TEST_DATABASE_URL server, whose
 * roles other test files created long ago.
 */
describe('010-roles on a fresh embedded server, several databases migrating at once', () => {
  let scratch: string;
  let server: DatabaseServer;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-roles-'));
    chmodSync(scratch, 0o755); // as root, postgres runs as OS user postgres and must enter it
    server = await openDatabaseServer({
      embeddedDataDir: path.join(scratch, 'postgres'),
      onLog: () => undefined,
    });
    await onServer(server.url, async (client) => {
      const { rows } = await client.query('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [
        'credit_etl_%',
      ]);
      expect(rows).toEqual([]);
      for (const name of DATABASES) await client.query(`CREATE DATABASE ${name}`);
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('every migration succeeds, the roles exist once, NOLOGIN, and each database has its grants', async () => {
    const urls = DATABASES.map((name) => withDatabase(server.url, name));
    const applied = await Promise.all(urls.map((url) => migrateWarehouse(url)));
    for (const names of applied) expect(names).toContain('010-roles');

    await onServer(server.url, async (client) => {
      const { rows } = await client.query(
        'SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE $1 ORDER BY rolname',
        ['credit_etl_%'],
      );
      expect(rows).toEqual(
        Object.values(WAREHOUSE_ROLES)
          .sort()
          .map((rolname) => ({ rolname, rolcanlogin: false })),
      );
    });
    for (const url of urls) {
      const loader = connectWarehouse(url, { poolSize: 1 });
      try {
        const [privileges] = (
          await loader.raw(`SELECT current_user AS role,
            has_table_privilege('records', 'INSERT') AS insert_records,
            has_table_privilege('records', 'DELETE') AS delete_records,
            has_column_privilege('records', 'current_version_id', 'UPDATE') AS move_records,
            has_column_privilege('records', 'business_key', 'UPDATE') AS rekey_records,
            has_table_privilege('record_versions', 'UPDATE') AS update_versions`)
        ).rows;
        expect(privileges).toEqual({
          role: WAREHOUSE_ROLES.loader,
          insert_records: true,
          delete_records: false,
          move_records: true,
          rekey_records: false,
          update_versions: false,
        });
      } finally {
        await loader.destroy();
      }
    }
  }, 120_000);
});

async function onServer(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
