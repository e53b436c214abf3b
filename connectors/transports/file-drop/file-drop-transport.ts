import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import picomatch from 'picomatch';
import { FileFormatError, type PollOptions, type SourceUnit, type Transport } from '../../contracts.ts';
import { todayInShanghai } from '../../shanghai-time.ts';
import { unitsForFile } from '../archive-units.ts';
import { TransportError } from '../retry-with-backoff.ts';
import { UnsafeNameError, unsafeNameReason } from '../safe-remote-name.ts';
import { type DropEntry, type FetchedFile, FileDropFileError, type FileDropPort } from './file-drop-port.ts';

/** How a file drop recognises, checks and files deliveries, whatever holds the files. */
export interface FileDropSettings {
  /** The directory providers deliver into (not searched recursively); `{date}` stands for the partition day. */
  directory: string;
  /** Which file names are deliveries (picomatch, case-insensitive). */
  glob: string;
  /** Done-markers: `<name><suffix>` says `<name>` is complete. None: complete when the size is stable. */
  markerSuffixes: readonly string[];
  /** Milliseconds between the two listings of the stable-size check. */
  stableMs: number;
  /** Where loaded files go (relative to the directory, or absolute), or null to leave them in place. */
  processedDir: string | null;
  /** Where files that failed as a whole go, or null to leave them in place. */
  failedDir: string | null;
}

/** In a directory, stands for the run's partition day (by default yesterday for scheduled runs), e.g. `/drop/xzcf/{date}`. */
/** Every file a provider may deliver, on every adapter: the formats, and the archives that hold them. */
export const DELIVERY_GLOB = '*.{csv,txt,tsv,xlsx,zip,gz}';

const DATE_PLACEHOLDER = '{date}';

/** One complete delivery file and the units it gave (several for a zip). */
interface Delivery {
  file: string;
  markers: string[];
  fetched: FetchedFile | undefined;
  pending: number;
  failed: boolean;
}

/**
 * A file drop (local folder or SFTP): complete files matching the glob are fetched one at a time, only when the
 * runner asks for the next unit; each becomes units through `unitsForFile` (a zip gives one per entry); units
 * already in the sha256 ledger are skipped; once all of a file's units settled, the file and its markers move
 * to processed/ or failed/ under a free name and the local copy is released.
 */
export class FileDropTransport implements Transport {
  /** Names refused as unsafe in the last poll (never fetched). */
  readonly refused: UnsafeNameError[] = [];
  private readonly matches: (name: string) => boolean;
  private readonly deliveries = new Map<SourceUnit, Delivery>();

  constructor(
    readonly type: string,
    private readonly port: FileDropPort,
    private readonly settings: FileDropSettings,
  ) {
    this.matches = picomatch(settings.glob, { nocase: true, dot: false });
  }

  describe(partition?: string): string {
    return this.port.describe(this.directoryFor(partition));
  }

  async *poll(options: PollOptions): AsyncGenerator<SourceUnit> {
    this.refused.length = 0;
    const dated = this.settings.directory.includes(DATE_PLACEHOLDER);
    // The run's partition day is what `{date}` means; a backfill day when only that is given.
    const directory = this.directoryFor(options.partitionDay ?? options.partition);
    const seenThisPoll = new Set<string>();
    const opened = new Set<Delivery>();
    let finished = false;
    const complete = await this.completeFiles(directory, options.signal);
    if (!complete) {
      if (dated) return; // nothing delivered that day
      throw new TransportError('drop-directory-missing', `${this.port.describe(directory)} does not exist`);
    }
    try {
      for (const { entry, markers } of complete) {
        // Stopping (SIGTERM): no new download starts; what is left waits for the next run.
        if (options.signal?.aborted) break;
        // A backfill partition of an undated directory: the files received (last written) that day.
        if (!dated && options.partition && todayInShanghai(new Date(entry.mtimeMs)) !== options.partition)
          continue;
        const file = this.port.paths.join(directory, entry.name);
        const delivery: Delivery = { file, markers, fetched: undefined, pending: 0, failed: false };
        opened.add(delivery);
        const units = await this.fetchUnits(directory, entry, delivery, options.signal);
        const fresh: SourceUnit[] = [];
        for (const unit of units) {
          const sha256 = unit.sha256 ?? (await hashStream(unit.open?.()));
          // A refused zip entry or a file that could not be fetched has no bytes to hash: it fails when loaded.
          if (sha256 !== undefined && (seenThisPoll.has(sha256) || (await options.alreadyLoaded(sha256))))
            continue;
          if (sha256 !== undefined) seenThisPoll.add(sha256);
          fresh.push(sha256 === undefined ? unit : { ...unit, sha256 });
        }
        delivery.pending = fresh.length;
        if (fresh.length === 0) {
          // The same content was loaded before (perhaps under another name): nothing to do but file it away.
          await this.finish(delivery, 'processed');
          continue;
        }
        for (const unit of fresh) {
          this.deliveries.set(unit, delivery);
          yield unit;
        }
      }
      finished = true;
    } finally {
      // Left early (the run stopped, an error): local copies of unsettled deliveries go; the files stay.
      if (!finished) for (const delivery of opened) await this.forget(delivery);
    }
  }

  /** A delivery moves once all its units settled: to failed/ if any unit failed as a whole. */
  async settle(unit: SourceUnit, outcome: 'loaded' | 'failed'): Promise<void> {
    const delivery = this.deliveries.get(unit);
    if (!delivery) return;
    this.deliveries.delete(unit);
    delivery.failed ||= outcome === 'failed';
    delivery.pending--;
    if (delivery.pending > 0) return;
    await this.finish(delivery, delivery.failed ? 'failed' : 'processed');
  }

  async close(): Promise<void> {
    for (const delivery of new Set(this.deliveries.values())) await this.forget(delivery);
    await this.port.close();
  }

  private directoryFor(partition: string | undefined): string {
    const day = partition ?? todayInShanghai();
    return this.settings.directory.replaceAll(DATE_PLACEHOLDER, day);
  }

  /** The file's units, or one unit that fails with the reason when this file alone cannot be fetched or read. */
  private async fetchUnits(
    directory: string,
    entry: DropEntry,
    delivery: Delivery,
    signal: AbortSignal | undefined,
  ): Promise<SourceUnit[]> {
    const receivedAt = new Date(entry.mtimeMs);
    try {
      delivery.fetched = await this.port.fetch(directory, entry, signal);
      const units = await unitsForFile(delivery.fetched.path, receivedAt);
      const [only] = units;
      // The file itself (not an archive): the hash the download computed is its hash.
      if (units.length === 1 && only?.name === entry.name && delivery.fetched.sha256)
        return [{ ...only, sha256: delivery.fetched.sha256 }];
      return units;
    } catch (error) {
      const failure = fileFailure(error);
      if (!failure) throw error;
      return [
        {
          name: entry.name,
          sizeBytes: entry.size,
          receivedAt,
          rows: () => Promise.reject(failure),
        },
      ];
    }
  }

  /** Files matching the glob, with safe names, complete by a marker or by a size unchanged across two listings. */
  private async completeFiles(
    directory: string,
    signal: AbortSignal | undefined,
  ): Promise<{ entry: DropEntry; markers: string[] }[] | undefined> {
    const listing = await this.port.list(directory, signal);
    if (!listing) return undefined;
    const names = new Set(listing.map((entry) => entry.name));
    const suffixes = this.settings.markerSuffixes;
    const isMarker = (name: string) =>
      suffixes.some((suffix) => name.endsWith(suffix) && names.has(name.slice(0, -suffix.length)));
    const candidates = listing
      .filter((entry) => {
        // Checked before the glob: a hostile name is reported even when it would not match.
        const reason = unsafeNameReason(entry.name);
        if (reason) this.refused.push(new UnsafeNameError(entry.name, reason));
        return reason === undefined && this.matches(entry.name) && !isMarker(entry.name);
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (suffixes.length > 0) {
      return candidates.flatMap((entry) => {
        const markers = suffixes.map((suffix) => entry.name + suffix).filter((marker) => names.has(marker));
        return markers.length > 0
          ? [{ entry, markers: markers.map((marker) => this.port.paths.join(directory, marker)) }]
          : [];
      });
    }
    // No markers: a file still being written changes size (or time) between two listings.
    await sleep(this.settings.stableMs, undefined, signal ? { signal } : {});
    const again = new Map(
      ((await this.port.list(directory, signal)) ?? []).map((entry) => [entry.name, entry]),
    );
    return candidates
      .filter((entry) => {
        const later = again.get(entry.name);
        return later !== undefined && later.size === entry.size && later.mtimeMs === entry.mtimeMs;
      })
      .map((entry) => ({ entry, markers: [] }));
  }

  /** Moves a settled delivery and its markers aside, then lets go of its local copy. */
  private async finish(delivery: Delivery, outcome: 'processed' | 'failed'): Promise<void> {
    try {
      const dir = outcome === 'processed' ? this.settings.processedDir : this.settings.failedDir;
      if (dir === null) return;
      const target = this.port.paths.resolve(this.port.paths.dirname(delivery.file), dir);
      for (const file of [delivery.file, ...delivery.markers]) {
        // A file that vanished (the reason it failed, perhaps) has nothing left to move.
        if (!(await this.port.exists(file))) continue;
        await this.port.move(
          file,
          await this.freeName(this.port.paths.join(target, this.port.paths.basename(file))),
        );
      }
    } finally {
      await this.forget(delivery);
    }
  }

  private async forget(delivery: Delivery): Promise<void> {
    for (const [unit, owner] of this.deliveries) if (owner === delivery) this.deliveries.delete(unit);
    const fetched = delivery.fetched;
    delivery.fetched = undefined;
    await fetched?.release();
  }

  /** `name.csv`, or `name.2.csv`, `name.3.csv`… when a file of that name was filed before (a re-delivery). */
  private async freeName(wanted: string): Promise<string> {
    const extension = this.port.paths.extname(wanted);
    const stem = wanted.slice(0, wanted.length - extension.length);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? wanted : `${stem}.${n}${extension}`;
      if (!(await this.port.exists(candidate))) return candidate;
    }
  }
}

/** What a file failed with, for the ledger, when the error concerns this file only; undefined otherwise. */
function fileFailure(error: unknown): FileFormatError | undefined {
  if (error instanceof FileFormatError) return error;
  if (error instanceof FileDropFileError) return new FileFormatError(error.code, error.message);
  return undefined;
}

async function hashStream(stream: Readable | undefined): Promise<string | undefined> {
  if (!stream) return undefined;
  const hash = createHash('sha256');
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}
