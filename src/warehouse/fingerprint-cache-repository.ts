import type { DeliveryChannel } from './source-files-repository.ts';
import type { UnitSession } from './unit-session.ts';

/**
 * The fast rows a unit took cannot stand as taken (the entry changed under the unit, or the file turned out too
 * incomplete for a summary): its transaction is rolled back and it is loaded again on the full path. `skimOnly`:
 * only the byte-level skim of the file could not go on (csv-skim.ts); it is loaded again with rows parsed.
 */
export class FastPathUnusable extends Error {
  constructor(
    message: string,
    readonly skimOnly = false,
  ) {
    super(message);
  }
}

/** No formation date in `formationDays`. */
export const NO_FORMATION = -2147483648;

/**
 * A channel's fingerprinted standing records (024-redelivery-fingerprints.ts), as typed arrays: 20 bytes a
 * record outside the JavaScript heap (20 MB a million).
 */
export interface FingerprintCache {
  channelId: number;
  /** Every record standing in the channel, fingerprinted or not. */
  standing: number;
  hi: Uint32Array;
  lo: Uint32Array;
  recordIds: Float64Array;
  /** Days since 1970-01-01 of the formation date (NO_FORMATION when none). */
  formationDays: Int32Array;
}

interface ChannelRow {
  id: number;
  shape: string;
  source_file_id: string;
  generation: string;
}

/**
 * The channel's cache as the unit found it usable: which one (its channel, and the file and entry generation it
 * was built at: a cache is rebuilt by each loaded file of the channel, so another file id is another cache).
 */
export interface CacheStamp {
  channelId: number;
  sourceFileId: string;
  generation: string;
}

/** The same cache, still usable: nothing loaded in the channel nor changed in the entry between the two reads. */
export function sameCache(a: CacheStamp | undefined, b: CacheStamp | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.channelId === b.channelId &&
    a.sourceFileId === b.sourceFileId &&
    a.generation === b.generation
  );
}

/**
 * Whether the channel's cache can be used by the unit being loaded: taken in this shape, after the channel's last
 * loaded file, at the entry's current generation (nothing changed its records since). Read without the entry's
 * merge lock before the unit's rows (another load of the entry may merge meanwhile) and again under it before the
 * merge: the unit's fast rows stand only if it is the same cache both times (sameCache).
 */
export async function usableCacheChannel(
  session: UnitSession,
  channel: DeliveryChannel,
  shape: string,
  sourceFileId: number,
): Promise<CacheStamp | undefined> {
  const [row] = await session.query<ChannelRow & { last_file: string | null; current: string | null }>(
    `SELECT c.id, c.shape, c.source_file_id, c.generation,
       (SELECT max(f.id) FROM source_files f
        WHERE f.catalog_code = c.catalog_code AND f.provider_code = c.provider_code AND f.level = c.level
          AND f.status = 'loaded' AND f.id <> $4) AS last_file,
       (SELECT g.generation FROM entry_generations g WHERE g.catalog_code = c.catalog_code) AS current
     FROM fingerprint_channels c WHERE c.catalog_code = $1 AND c.provider_code = $2 AND c.level = $3`,
    [channel.catalogCode, channel.providerCode, channel.level, sourceFileId],
  );
  if (!row || row.shape !== shape) return undefined;
  if (row.last_file !== row.source_file_id || (row.current ?? '0') !== row.generation) return undefined;
  return { channelId: row.id, sourceFileId: row.source_file_id, generation: row.generation };
}

/**
 * Holds the entry's generation until the unit commits: a legal procedure changing one of its records now waits
 * for the unit (its bump would), so the cache the unit keeps cannot be stamped with a generation that already
 * counts a change its rows did not see. Taken before the merge reads the records; needs the merge lock first.
 */
export async function holdEntryGeneration(session: UnitSession, catalogCode: string): Promise<void> {
  await session.query('SELECT 1 FROM entry_generations WHERE catalog_code = $1 FOR SHARE', [catalogCode]);
}

/** Whether a cache of this shape exists for the channel at all (before taking the entry's lock for it). */
export async function hasCacheOfShape(
  session: UnitSession,
  channel: DeliveryChannel,
  shape: string,
): Promise<boolean> {
  const rows = await session.query(
    `SELECT 1 FROM fingerprint_channels WHERE catalog_code = $1 AND provider_code = $2 AND level = $3 AND shape = $4`,
    [channel.catalogCode, channel.providerCode, channel.level, shape],
  );
  return rows.length > 0;
}

/** COPY's binary signature, flags and header extension length (no extension): the 19 bytes before the tuples. */
const BINARY_HEADER = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = BINARY_HEADER.length + 8;
/** A tuple: its field count (3), then each field's length and bytes (record id int8, fingerprint int8, days int4). */
const TUPLE_BYTES = 2 + (4 + 8) + (4 + 8) + (4 + 4);
const EMPTY = Buffer.alloc(0);

/**
 * The channel's fingerprinted records, streamed by `COPY … TO STDOUT (FORMAT binary)` straight into the typed
 * arrays: a million JavaScript row objects would not fit the unit's heap. Measured at a million records: 0.9 s
 * read in pages of aggregated bytea (hex text on the heap), 0.4–0.6 s this way. In the table's order: nothing
 * reads the arrays in record order, and sorting by record made the server walk the primary key (584 ms against
 * 119 ms for the scan).
 */
export async function loadFingerprintCache(
  session: UnitSession,
  channelId: number,
): Promise<FingerprintCache> {
  const [sizes] = await session.query<{ fingerprinted: number; standing: number }>(
    `SELECT count(*) FILTER (WHERE fingerprint IS NOT NULL)::int AS fingerprinted, count(*)::int AS standing
     FROM fingerprint_standing WHERE channel_id = $1`,
    [channelId],
  );
  const n = sizes?.fingerprinted ?? 0;
  const cache: FingerprintCache = {
    channelId,
    standing: sizes?.standing ?? 0,
    hi: new Uint32Array(n),
    lo: new Uint32Array(n),
    recordIds: new Float64Array(n),
    formationDays: new Int32Array(n),
  };
  // COPY takes no parameters: the id is the database's own integer, checked as one.
  if (!Number.isSafeInteger(channelId)) throw new Error(`channel id ${channelId} is not an integer`);
  const stream = session.copyTo(
    `COPY (SELECT record_id, fingerprint, COALESCE(formation_date - DATE '1970-01-01', ${NO_FORMATION})
           FROM fingerprint_standing WHERE channel_id = ${channelId} AND fingerprint IS NOT NULL)
     TO STDOUT (FORMAT binary)`,
  );
  // Other than counted: the cache changed while it was read (another file of the channel committed between the
  // two statements): the unit takes the full path rather than trust it.
  const changed = () =>
    new FastPathUnusable(`fingerprint cache of channel ${channelId} changed while it was read`);
  let i = 0;
  let pending: Buffer = Buffer.alloc(0);
  let header = false;
  let ended = false;
  // Each tuple arrives as a chunk of its own: taken in the stream's 'data' events, not by async iteration (a
  // promise a chunk). The whole read of a million records: 0.54–0.56 s iterated, 0.45–0.52 s so.
  const take = (chunk: Buffer) => {
    let bytes: Buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    if (!header) {
      if (bytes.length < HEADER_BYTES) {
        pending = bytes;
        return;
      }
      if (!bytes.subarray(0, BINARY_HEADER.length).equals(BINARY_HEADER) || bytes.readUInt32BE(15) !== 0)
        throw new Error('fingerprint cache: not a binary COPY stream without header extension');
      bytes = bytes.subarray(HEADER_BYTES);
      header = true;
    }
    let at = 0;
    while (bytes.length - at >= 2 && !ended) {
      const fields = bytes.readInt16BE(at);
      if (fields === -1) {
        ended = true;
        at += 2;
        break;
      }
      if (bytes.length - at < TUPLE_BYTES) break;
      const shaped =
        fields === 3 &&
        bytes.readInt32BE(at + 2) === 8 &&
        bytes.readInt32BE(at + 14) === 8 &&
        bytes.readInt32BE(at + 26) === 4;
      if (!shaped) throw new Error('fingerprint cache: a tuple of another shape than (int8, int8, int4)');
      if (i >= n) throw changed();
      // Record ids are below 2^53 (a bigserial): read as two halves, no BigInt a row.
      cache.recordIds[i] = bytes.readUInt32BE(at + 6) * 0x1_0000_0000 + bytes.readUInt32BE(at + 10);
      cache.hi[i] = bytes.readUInt32BE(at + 18);
      cache.lo[i] = bytes.readUInt32BE(at + 22);
      cache.formationDays[i] = bytes.readInt32BE(at + 30);
      i++;
      at += TUPLE_BYTES;
    }
    pending = at === bytes.length ? EMPTY : bytes.subarray(at);
  };
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      try {
        take(chunk);
      } catch (error) {
        stream.destroy();
        reject(error);
      }
    });
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  if (!ended || i !== n) throw changed();
  return cache;
}

/**
 * The records the merge must treat as standing in the channel besides the fast rows (what compaction compares
 * with): the cache's records without a fingerprint, and the fingerprinted ones no fast row took. A record stands
 * with its current content when `at_current`; otherwise its content is unknown here, and a row can never be
 * compacted onto it (it would need the current content and another one at once).
 */
export async function createStandingFromCache(
  session: UnitSession,
  channelId: number,
  notTaken: readonly number[],
): Promise<void> {
  await session.query(
    `CREATE TEMP TABLE standing ON COMMIT DROP AS
     SELECT f.record_id, CASE WHEN f.at_current THEN cv.content_hash END AS content_hash
     FROM fingerprint_standing f
     JOIN records r ON r.id = f.record_id
     JOIN record_versions cv ON cv.id = r.current_version_id
     WHERE f.channel_id = $1 AND (f.fingerprint IS NULL OR f.record_id = ANY($2::bigint[]))`,
    [channelId, notTaken],
  );
  await session.query('ANALYZE standing');
}

/**
 * After a unit's merge: the channel's cache becomes the records standing after this file (feed_standing of the
 * next one). With a summary (the file continued the channel's runs) that is what stood before — the cache
 * itself when the unit used it, else the `standing` table compaction built — less the records the file left
 * out (`absent`), with every record this file wrote lineage for standing by its latest lineage row; without one,
 * only the records this file accepted. A record's fingerprint is its row's in this file when the row could be
 * re-delivered compactly and stored exactly that row's content; else the one it had.
 */
export async function keepFingerprintCache(
  session: UnitSession,
  keep: {
    channel: DeliveryChannel;
    sourceFileId: number;
    shape: string;
    summarized: boolean;
    /** The cache the unit's fast rows came from: it is updated, not rebuilt. */
    usedChannelId: number | undefined;
  },
): Promise<void> {
  const { channel, sourceFileId, shape, summarized, usedChannelId } = keep;
  const [row] = await session.query<{ id: number }>(
    `INSERT INTO fingerprint_channels (catalog_code, provider_code, level, shape, source_file_id, generation)
     VALUES ($1, $2, $3, $4, $5, 0)
     ON CONFLICT (catalog_code, provider_code, level) DO UPDATE SET shape = EXCLUDED.shape
     RETURNING id`,
    [channel.catalogCode, channel.providerCode, channel.level, shape, sourceFileId],
  );
  const channelId = row!.id;
  if (usedChannelId === undefined) {
    await session.query('DELETE FROM fingerprint_standing WHERE channel_id = $1', [channelId]);
    // Rebuilt from what stood before, with the fingerprints of the rows compacted onto their run: one insert
    // (an update after it would write every cache row twice).
    if (summarized)
      await session.query(
        `INSERT INTO fingerprint_standing (channel_id, record_id, fingerprint, formation_date, at_current)
         SELECT $1, st.record_id,
           CASE WHEN st.content_hash = cv.content_hash AND s.data = cv.data AND r.status = 'current' THEN s.fingerprint END,
           s.formation_date,
           st.content_hash IS NOT DISTINCT FROM cv.content_hash
         FROM standing st JOIN records r ON r.id = st.record_id JOIN record_versions cv ON cv.id = r.current_version_id
         LEFT JOIN (unchanged_run u JOIN classified c USING (row_number) JOIN stage s USING (row_number))
           ON c.record_id = st.record_id`,
        [channelId],
      );
  }
  if (summarized) {
    await session.query(
      'DELETE FROM fingerprint_standing f USING absent a WHERE f.channel_id = $1 AND f.record_id = a.record_id',
      [channelId],
    );
    // Rows compacted onto their run: the record stands as it did; the row's fingerprint is now the one to know.
    if (usedChannelId !== undefined)
      await session.query(
        `UPDATE fingerprint_standing f SET fingerprint = s.fingerprint, formation_date = s.formation_date
         FROM unchanged_run u JOIN classified c USING (row_number) JOIN stage s USING (row_number)
         JOIN records r ON r.id = c.record_id JOIN record_versions cv ON cv.id = r.current_version_id
         WHERE f.channel_id = $1 AND f.record_id = c.record_id AND f.at_current AND s.data = cv.data`,
        [channelId],
      );
  }
  await session.query(
    `CREATE TEMP TABLE file_latest ON COMMIT DROP AS
     SELECT DISTINCT ON (record_id) record_id, outcome, content_hash, row_number
     FROM record_sources WHERE source_file_id = $1 ORDER BY record_id, id DESC`,
    [sourceFileId],
  );
  await session.query('ANALYZE file_latest');
  // Keys given by more than one row of the file: their rows are never re-delivered compactly. Such a key has a row
  // that is not its first: a scan, where grouping every row by key took 1.1 s of a 1M-row first load.
  await session.query(
    `CREATE TEMP TABLE repeated_keys ON COMMIT DROP AS
     SELECT DISTINCT business_key FROM classified WHERE row_number <> first_row`,
  );
  await session.query(
    'DELETE FROM fingerprint_standing f USING file_latest l WHERE f.channel_id = $1 AND f.record_id = l.record_id',
    [channelId],
  );
  // A row that made the current version (inserted, updated) stands with it and stored exactly its content: no
  // need to look the version up (a first load: every row). A record no longer current is never fingerprinted (no
  // delivery of it is a re-delivery: merge-staged.ts judges every one a conflict); where the record is joined anyway
  // its status is checked, besides the entry's generation that a withdrawal moves like any change of a record.
  const fingerprintWhen = `s.warnings IS NULL AND s.received_at IS NULL AND k.business_key IS NULL`;
  await session.query(
    `INSERT INTO fingerprint_standing (channel_id, record_id, fingerprint, formation_date, at_current)
     SELECT $1, l.record_id, CASE WHEN ${fingerprintWhen} THEN s.fingerprint END, s.formation_date, true
     FROM file_latest l
     LEFT JOIN stage s ON s.row_number = l.row_number AND s.errors IS NULL AND s.withdrawal IS NULL
     LEFT JOIN repeated_keys k ON k.business_key = s.business_key
     WHERE l.outcome IN ('inserted', 'updated')`,
    [channelId],
  );
  await session.query(
    `INSERT INTO fingerprint_standing (channel_id, record_id, fingerprint, formation_date, at_current)
     SELECT $1, l.record_id,
       CASE WHEN l.content_hash = cv.content_hash AND s.data = cv.data AND r.status = 'current' AND ${fingerprintWhen}
         THEN s.fingerprint END,
       s.formation_date, l.content_hash = cv.content_hash
     FROM file_latest l
     JOIN records r ON r.id = l.record_id JOIN record_versions cv ON cv.id = r.current_version_id
     LEFT JOIN stage s ON s.row_number = l.row_number AND s.errors IS NULL AND s.withdrawal IS NULL
     LEFT JOIN repeated_keys k ON k.business_key = s.business_key
     WHERE l.outcome IN ('merged', 'unchanged')`,
    [channelId],
  );
  // Read after this merge's own changes bumped it: the next unit may use the cache while nothing else changes.
  await session.query(
    `UPDATE fingerprint_channels c SET source_file_id = $2, shape = $3,
       generation = COALESCE((SELECT g.generation FROM entry_generations g WHERE g.catalog_code = c.catalog_code), 0)
     WHERE c.id = $1`,
    [channelId, sourceFileId, shape],
  );
}
