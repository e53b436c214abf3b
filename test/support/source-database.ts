import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createTestDatabase } from '../test-database.ts';
import { penaltyFieldCodes } from './penalty-delivery.ts';

export const SOURCE_KINDS = ['postgres', 'mariadb'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The MariaDB server of this machine (CI starts it); root with an empty password, loopback only. */
export const MARIADB_ADMIN_URL = process.env.TEST_MARIADB_URL || 'mysql://root@127.0.0.1:3306';

/** A 前置库 stand-in: a database of its own on a real server, dropped afterwards. */
export interface SourceDatabase {
  kind: SourceKind;
  url: string;
  db: Knex;
  drop(): Promise<void>;
}

export async function openSourceDatabase(kind: SourceKind, label: string): Promise<SourceDatabase> {
  if (kind === 'postgres') {
    const database = await createTestDatabase(`src_${label}`);
    const db = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 2 } });
    return {
      kind,
      url: database.url,
      db,
      drop: async () => {
        await db.destroy();
        await database.drop();
      },
    };
  }
  const name = `credit_etl_src_${label.replace(/\W+/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: MARIADB_ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_bin', [name]);
  const url = `${MARIADB_ADMIN_URL.replace(/\/$/, '')}/${name}`;
  const db = knexFactory({
    client: 'mysql2',
    connection: `${url}?charset=utf8mb4`,
    pool: { min: 0, max: 2 },
  });
  return {
    kind,
    url,
    db,
    drop: async () => {
      await db.destroy();
      await admin.raw('DROP DATABASE IF EXISTS ??', [name]);
      await admin.destroy();
    },
  };
}

/** Source column names of the penalty exchange table: the national field codes, lower-case. */
export const penaltyColumns = () => penaltyFieldCodes().map((code) => code.toLowerCase());

/**
 * The exchange table as the platform fills it: an id, an update timestamp shared by whole batches (so the
 * tie-breaker matters), the exchange time per row, and one text column per national field.
 */
export async function createPenaltyTable(db: Knex, table: string): Promise<void> {
  await db.schema.createTable(table, (t) => {
    t.increments('id').primary();
    t.datetime('updated_at', { precision: 6 }).notNullable();
    t.datetime('exchanged_at', { precision: 6 }).nullable();
    for (const column of penaltyColumns()) t.text(column);
  });
}

/** Inserts rows (national header order) with one update timestamp; returns their ids. */
export async function insertPenalties(
  db: Knex,
  table: string,
  rows: string[][],
  updatedAt: string,
  exchangedAt?: string,
): Promise<void> {
  const columns = penaltyColumns();
  const records = rows.map((row) => ({
    updated_at: updatedAt,
    exchanged_at: exchangedAt ?? null,
    ...Object.fromEntries(columns.map((column, i) => [column, row[i] ?? ''])),
  }));
  await db.batchInsert(table, records, 200);
}
