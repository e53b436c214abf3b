import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { type DatabaseServer, openDatabaseServer } from '../src/warehouse/database-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL on the test server; test files create their own databases there (test-database.ts). */
    databaseAdminUrl: string;
  }
}

let server: DatabaseServer | undefined;

/** TEST_DATABASE_URL names a server to use; without it the embedded PostgreSQL in `.data/test-postgres` runs. */
export async function setup(project: TestProject): Promise<void> {
  server = await openDatabaseServer({
    databaseUrl: process.env.TEST_DATABASE_URL || undefined,
    embeddedDataDir: fileURLToPath(new URL('../.data/test-postgres', import.meta.url)),
    databaseName: 'postgres',
  });
  project.provide('databaseAdminUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
