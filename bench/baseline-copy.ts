import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';

const execFileAsync = promisify(execFile);
const PSQL = ['/usr/bin/psql', '/usr/local/bin/psql'].find((candidate) => existsSync(candidate));

const createTable = (table: string) =>
  `CREATE TABLE ${table} (${PENALTY_HEADER.map((_, i) => `c${i + 1} text`).join(', ')})`;
const copySql = (table: string, encoding: string) =>
  `COPY ${table} FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING '${encoding === 'gb18030' ? 'GB18030' : 'UTF8'}')`;

/** The physical limit: PostgreSQL's own COPY of the raw file into an untyped text table. */
export async function baselineCopy(
  url: string,
  file: string,
  encoding: string,
): Promise<{ pgCopyStreamsMs: number; psqlMs: number | undefined }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(createTable('raw_copy_streams'));
    const started = performance.now();
    await pipeline(
      createReadStream(file, { highWaterMark: 1 << 20 }),
      client.query(copyStreams.from(copySql('raw_copy_streams', encoding))),
    );
    const pgCopyStreamsMs = performance.now() - started;
    let psqlMs: number | undefined;
    if (PSQL) {
      await client.query(createTable('raw_psql'));
      const psqlStarted = performance.now();
      const command = `\\copy raw_psql FROM '${file}' WITH (FORMAT csv, HEADER true, ENCODING '${encoding === 'gb18030' ? 'GB18030' : 'UTF8'}')`;
      await execFileAsync(PSQL, [url, '-v', 'ON_ERROR_STOP=1', '-c', command]);
      psqlMs = performance.now() - psqlStarted;
    }
    return { pgCopyStreamsMs, psqlMs };
  } finally {
    await client.end();
  }
}
