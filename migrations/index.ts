import type { Knex } from 'knex';
import * as warehouse from './001-warehouse.ts';
import * as notices from './005-notices.ts';

/** Every migration in order, listed by hand (no folder scanning); names are stored in knex_migrations. */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Knex.Migration]> = [
  ['001-warehouse', warehouse],
  ['005-notices', notices],
];
