import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { openDatabaseServer } from '../src/warehouse/database-server.ts';

/** A PostgreSQL server for the bench, and fresh databases on it (so every first load is a first load). */
export interface BenchServer {
  /** Whether it is the embedded server (else DATABASE_URL's). */
  embedded: boolean;
  version: string;
  freshDatabase(label: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBenchServer(databaseUrl: string | undefined): Promise<BenchServer> {
  const server = await openDatabaseServer({
    databaseUrl,
    embeddedDataDir: path.join(PROJECT_ROOT, '.data/bench-postgres'),
    databaseName: 'credit_etl_bench',
  });
  const adminUrl = server.url;
  const created: string[] = [];
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const [row] = (await admin.query<{ server_version: string }>('SHOW server_version')).rows;
  const stamp = `${Date.now().toString(36)}_${process.pid}`;
  return {
    embedded: server.embedded,
    version: row?.server_version ?? 'unknown',
    async freshDatabase(label) {
      const name = `bench_${label}_${stamp}`;
      await admin.query(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async close() {
      for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await server.stop();
    },
  };
}
