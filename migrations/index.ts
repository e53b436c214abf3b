import type { Knex } from 'knex';
import * as warehouse from './001-warehouse.ts';
import * as pipelines from './004-pipelines.ts';

/** Every migration in order, listed by hand (no folder scanning); names are stored in knex_migrations. */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Knex.Migration]> = [
  ['001-warehouse', warehouse],
  ['004-pipelines', pipelines],
];
