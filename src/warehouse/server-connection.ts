import fs from 'node:fs/promises';
import pg from 'pg';

/**
 * Every process connects to the embedded server as its superuser, with the password written beside the data
 * directory (`<data directory>.password`) when it was initialised.
 */
export const SUPERUSER = 'postgres';

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function readPassword(passwordFile: string, dataDir: string): Promise<string> {
  const password = (await fs.readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!password) {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} has no password file ${passwordFile}: it was not created by ` +
        'credit-etl. Delete the directory to start afresh, or set DATABASE_URL to use that server.',
    );
  }
  return password;
}

export function serverUrl(password: string, port: number, database: string): string {
  return `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}
