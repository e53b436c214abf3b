import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { inject } from 'vitest';
import { withDatabase } from '../test-database.ts';
import { MARIADB_ADMIN_URL, type SourceDatabase, type SourceKind } from './source-database.ts';

/**
 * A 前置库 stand-in named `xtab_<label>_<random>` on the real MariaDB or PostgreSQL server (the table-exchange
 * loss tests' own databases, so a leftover is easy to find), dropped afterwards.
 */
export async function openXtabSource(kind: SourceKind, label: string): Promise<SourceDatabase> {
  const name = `xtab_${label.replace(/\W+/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const adminUrl = kind === 'postgres' ? inject('databaseAdminUrl') : MARIADB_ADMIN_URL;
  const client = kind === 'postgres' ? 'pg' : 'mysql2';
  const admin = knexFactory({ client, connection: adminUrl, pool: { min: 0, max: 1 } });
  await admin.raw(
    kind === 'postgres'
      ? 'CREATE DATABASE ?? TEMPLATE template0'
      : 'CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
    [name],
  );
  const url = kind === 'postgres' ? withDatabase(adminUrl, name) : `${adminUrl.replace(/\/$/, '')}/${name}`;
  const db = knexFactory({ client, connection: url, pool: { min: 0, max: 2 } });
  return {
    kind,
    url,
    db,
    drop: async () => {
      await db.destroy();
      await admin.raw(
        kind === 'postgres' ? 'DROP DATABASE IF EXISTS ?? WITH (FORCE)' : 'DROP DATABASE IF EXISTS ??',
        [name],
      );
      await admin.destroy();
    },
  };
}
