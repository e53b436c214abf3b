import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { csvLine, PENALTY_HEADER, penaltyRows } from '../fixtures/generate/penalty-rows.ts';

const execFileAsync = promisify(execFile);

/**
 * The generated file again with every `every`-th row corrected (the generator's version 2 of it; from row `offset`
 * of each `every`, default the first) and `blankLines`
 * blank lines at the end: a nightly full dump with a share of changed rows, never byte-identical to an earlier
 * one (the sha256 ledger would skip it whole). UTF-8 only.
 */
export async function writeRedelivery(
  file: string,
  count: number,
  options: { badShare: number; every: number | undefined; offset?: number; blankLines: number },
): Promise<{ changed: number }> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(csvLine(PENALTY_HEADER));
  const corrected = options.every
    ? penaltyRows(count, { badShare: options.badShare, version: 2 })
    : undefined;
  let changed = 0;
  let index = 0;
  let parts: string[] = [];
  for (const generated of penaltyRows(count, { badShare: options.badShare })) {
    const other = corrected?.next().value;
    const pick =
      options.every && index % options.every === (options.offset ?? 0) && other && !generated.expected;
    if (pick) changed++;
    parts.push(csvLine((pick ? other : generated).row));
    index++;
    if (parts.length >= 5000) {
      await write(parts.join(''));
      parts = [];
    }
  }
  await write(parts.join('') + '\r\n'.repeat(options.blankLines));
  out.end();
  await finished(out);
  return { changed };
}

/** The warehouse tables that grow with deliveries, in bytes (tables with their indexes and TOAST). */
export const SIZED_TABLES = [
  'records',
  'record_versions',
  'record_sources',
  'unchanged_deliveries',
  'unchanged_delivery_absences',
  'rejections',
  'fingerprint_standing',
] as const;

/**
 * What the day between two nights does to the server: dirty pages written out (CHECKPOINT), dead rows vacuumed and
 * statistics taken (VACUUM ANALYZE). Without it a night pays for the background work the one before left behind
 * (measured at 300k rows: a fast night right after a full-path night 10.8 s, with this 6–7 s).
 */
export async function settle(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}

export async function tableSizes(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sizes: Record<string, number> = {};
    for (const table of SIZED_TABLES) {
      const { rows } = await client.query<{ bytes: string | null }>(
        'SELECT pg_total_relation_size(to_regclass($1)) AS bytes',
        [table],
      );
      sizes[table] = Number(rows[0]?.bytes ?? 0);
    }
    sizes.total = Object.values(sizes).reduce((sum, bytes) => sum + bytes, 0);
    return sizes;
  } finally {
    await client.end();
  }
}

const PGLOADER = ['/usr/bin/pgloader', '/usr/local/bin/pgloader'].find((candidate) => existsSync(candidate));

/**
 * pgloader 3 loading the same CSV into an untyped text table (no validation, no history): the tool the issue
 * compares against. Undefined when pgloader is not installed.
 */
export async function pgloaderLoad(url: string, file: string, scratch: string): Promise<number | undefined> {
  if (!PGLOADER) return undefined;
  const columns = PENALTY_HEADER.map((_, i) => `c${i + 1}`);
  const target = new URL(url);
  const command = path.join(scratch, 'pgloader.load');
  writeFileSync(
    command,
    `LOAD CSV FROM '${file}' WITH ENCODING utf-8 (${columns.join(', ')})
  INTO ${target.toString()}?raw_pgloader (${columns.join(', ')})
  WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote,
       fields terminated by ','
  BEFORE LOAD DO $$ CREATE TABLE raw_pgloader (${columns.map((c) => `${c} text`).join(', ')}); $$;
`,
  );
  const started = performance.now();
  await execFileAsync(PGLOADER, ['--no-ssl-cert-verification', '--quiet', command], {
    maxBuffer: 64 * 2 ** 20,
  });
  return performance.now() - started;
}
