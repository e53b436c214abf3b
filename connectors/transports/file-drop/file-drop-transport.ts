import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import picomatch from 'picomatch';
import {
  FileFormatError,
  type PollOptions,
  type SourceUnit,
  type Transport,
  type TransportContext,
} from '../../contracts.ts';
import { todayInShanghai } from '../../shanghai-time.ts';
import { unitsForFile } from '../archive-units.ts';
import { RetryableError, TransportError } from '../retry-with-backoff.ts';
import { UnsafeNameError, unsafeNameReason } from '../safe-remote-name.ts';
import {
  DropDirectoryError,
  type DropEntry,
  type FetchedFile,
  FileDropFileError,
  type FileDropPort,
} from './file-drop-port.ts';

/** How a file drop recognises, checks and files deliveries, whatever holds the files. */
export interface FileDropSettings {
  /** The directory providers deliver into (not searched recursively); `{date}` stands for the partition day. */
  directory: string;
  /** Which file names are deliveries (picomatch, case-insensitive). */
  glob: string;
  /**
   * Done-markers: `<name><suffix>` says `<name>` is complete, if the file is no newer than the marker and also
   * passes the stable-size check. None: complete when the size is stable.
   */
  markerSuffixes: readonly string[];
  /** Milliseconds between the two listings of the stable-size check (with or without markers). */
  stableMs: number;
  /** Where loaded files go (relative to the directory, or absolute), or null to leave them in place. */
  processedDir: string | null;
  /** Where files that failed as a whole go, or null to leave them in place. */
  failedDir: string | null;
}

/**
 * Every file a provider may deliver, on every adapter: the formats, the archives that hold them, and the
 * spreadsheet formats providers send that cannot be read (legacy .xls, WPS .et, …): taken so that they fail by
 * name with what to do instead, rather than waiting in the folder unseen.
 */
export const DELIVERY_GLOB = '*.{csv,txt,tsv,xlsx,zip,gz,xls,xlsm,xlsb,et,ods}';

/** In a directory, stands for the run's partition day (by default yesterday in Asia/Shanghai; a backfill's own day), e.g. `/drop/xzcf/{date}`. */
const DATE_PLACEHOLDER = '{date}';

/** How an adapter says a file it listed is no longer there when it is fetched. */
const VANISHED_CODES = new Set(['file-vanished', 'remote-not-found']);

/** The warning code of a listed name that is never taken (reported by every run while it is there). */
export const REFUSED_NAME_CODE = 'refused-file-name';

/** The warning code of a delivery that was read but is gone when it is to be moved aside (renamed while it loaded). */
const GONE_AFTER_READ_CODE = 'file-gone-after-read';

/** One complete delivery file and the units it gave (several for a zip). */
interface Delivery {
  file: string;
  /** Its size and time when it was read: it is moved aside only if it still has them. */
  seen: Pick<DropEntry, 'size' | 'mtimeMs'>;
  markers: string[];
  fetched: FetchedFile | undefined;
  pending: number;
  failed: boolean;
}

/** Nothing of a listed delivery was left to read: the provider removed it (with its markers, or not). */
const VANISHED = Symbol('vanished');

/**
 * A file drop (local folder or SFTP): complete files matching the glob are fetched one at a time, only when the
 * runner asks for the next unit; each becomes units through `unitsForFile` (a zip gives one per entry). Every
 * unit goes to the runner, content loaded before too: its ledger records it `skipped` (pointing at the first
 * load), and a move that fails is then the run's settle failure like any other. Once all of a file's units
 * settled, the file and its markers move to processed/ or failed/ under a free name and the local copy is
 * released, unless the file changed since it was read: then it stays for the next poll.
 */
export class FileDropTransport implements Transport {
  /**
   * Names refused in the last poll, never fetched: unsafe (control characters, separators, over 200 bytes…), not
   * UTF-8, or symbolic links. Each is reported to the run (`context.warn`) on every poll it is still there.
   */
  readonly refused: UnsafeNameError[] = [];
  private readonly matches: (name: string) => boolean;
  private readonly deliveries = new Map<SourceUnit, Delivery>();

  constructor(
    readonly type: string,
    private readonly port: FileDropPort,
    private readonly settings: FileDropSettings,
    /** Where the run hears what the drop holds but cannot take (`warn`), and what only the log needs (`notice`). */
    private readonly context: Pick<TransportContext, 'warn' | 'notice'> = {},
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
    const opened = new Set<Delivery>();
    let finished = false;
    if (dated) await this.refuseLinkedPartition(directory, options.partitionDay ?? options.partition);
    const complete = await this.completeFiles(directory, options.signal);
    for (const refusal of this.refused)
      this.context.warn?.(refusedText(this.port.describe(directory), refusal), REFUSED_NAME_CODE);
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
        const seen = { size: entry.size, mtimeMs: entry.mtimeMs };
        const delivery: Delivery = { file, seen, markers, fetched: undefined, pending: 0, failed: false };
        opened.add(delivery);
        const units = await this.fetchUnits(directory, entry, delivery, options.signal);
        if (units === VANISHED) {
          // Taken back by the provider before its turn: nothing to load, nothing to record, nothing to move.
          opened.delete(delivery);
          await this.forget(delivery);
          continue;
        }
        let fresh: SourceUnit[] = [];
        for (const unit of units) {
          // A refused zip entry or a file that could not be fetched has no bytes to hash: it fails when loaded.
          // Content loaded before (this poll's twin, a re-delivery) goes on too: the loader's ledger skips it.
          const sha256 = unit.sha256 ?? (await hashStream(unit.open?.()));
          fresh.push(sha256 === undefined ? unit : { ...unit, sha256 });
        }
        // Re-stated after reading (the hash, the download): a file still being written is not loaded now.
        // (A file that could not be fetched at all fails with its own reason instead.)
        const changed = delivery.fetched ? await this.changedSince(delivery) : undefined;
        if (changed === 'it is gone' && (await this.vanished(delivery))) {
          opened.delete(delivery);
          await this.forget(delivery);
          continue;
        }
        if (changed) fresh = [changedUnit(entry, changed)];
        delivery.pending = fresh.length;
        if (fresh.length === 0) {
          // No unit at all (never from unitsForFile: an archive with no file in it is one unit failing with
          // `empty-archive`): nothing to load, only to file it away. A move that fails leaves it where it is (tried
          // again next poll) and must not keep the files after it from loading.
          await this.finish(delivery, 'processed').catch((error: unknown) =>
            this.context.warn?.(
              `${entry.name} (no unit in it) could not be moved aside: ${(error as Error).message}`,
              error instanceof DropDirectoryError ? error.code : undefined,
            ),
          );
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

  /**
   * The file's units, or one unit that fails with the reason when this file alone cannot be fetched or read;
   * VANISHED when the provider removed it since the listing (nothing to load, and no failure of theirs).
   */
  private async fetchUnits(
    directory: string,
    entry: DropEntry,
    delivery: Delivery,
    signal: AbortSignal | undefined,
  ): Promise<SourceUnit[] | typeof VANISHED> {
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
      const gone =
        (error instanceof FileDropFileError && VANISHED_CODES.has(error.code)) || isCode(error, 'ENOENT');
      if (gone && (await this.vanished(delivery))) return VANISHED;
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

  /**
   * A delivery that is gone since the listing: true, with a notice for the log, when it is (its markers too: the
   * provider took it back, nothing to say to anyone); with a warning for the run when its marker is still there
   * (odd: a re-upload under way, or someone else moving files out of the drop); false when the file is still there.
   */
  private async vanished(delivery: Delivery): Promise<boolean> {
    if (await this.port.exists(delivery.file)) return false;
    const name = this.port.paths.basename(delivery.file);
    const where = this.port.describe(this.port.paths.dirname(delivery.file));
    const left: string[] = [];
    for (const marker of delivery.markers)
      if (await this.port.exists(marker)) left.push(this.port.paths.basename(marker));
    if (left.length === 0) {
      this.context.notice?.(
        `${name} was removed from ${where} (with its marker, if any) after it was listed, before it was read: nothing to load`,
      );
    } else {
      this.context.warn?.(
        `${name} was removed from ${where} after it was listed, before it was read, but its marker ${left.join(', ')} ` +
          'is still there: nothing loaded, nothing recorded against the provider, the marker left where it is ' +
          '(a re-delivery of that name needs a new marker); if no one re-uploads it, check what else moves files out of the drop',
        'file-vanished',
      );
    }
    return true;
  }

  /**
   * The day's folder of a dated drop (`…/jinan/{date}`), made by the provider, must be a real directory: a link to
   * another provider's folder would load that provider's files as this one's, and file them away from it.
   */
  private async refuseLinkedPartition(directory: string, partition: string | undefined): Promise<void> {
    let fixed = this.settings.directory;
    while (fixed.includes(DATE_PLACEHOLDER)) fixed = this.port.paths.dirname(fixed);
    const problem = await this.port.linkBelow(fixed, directory);
    if (problem)
      throw new DropDirectoryError(
        `${this.port.describe(directory)} is not read: ${problem} (the day's folder${partition ? ` of ${partition}` : ''} must be a real directory inside ${this.port.describe(fixed)}; a link would load another folder's files as this pipeline's)`,
      );
  }

  /** Files matching the glob, with safe names, complete by a marker or by a size unchanged across two listings. */
  private async completeFiles(
    directory: string,
    signal: AbortSignal | undefined,
  ): Promise<{ entry: DropEntry; markers: string[] }[] | undefined> {
    const listing = await this.port.list(directory, signal);
    if (!listing) return undefined;
    const suffixes = this.settings.markerSuffixes;
    const refused: UnsafeNameError[] = [];
    // The transport's own folders (processed/, failed/) are there by design, whatever the glob: never reported.
    const own = new Set(
      [this.settings.processedDir, this.settings.failedDir]
        .filter((dir) => dir !== null)
        .map((dir) => this.port.paths.relative(directory, this.port.paths.resolve(directory, dir))),
    );
    const usable = listing.filter((entry) => {
      if (own.has(entry.name)) return false;
      const refusal = this.refusal(entry);
      if (refusal) refused.push(new UnsafeNameError(entry.name, refusal));
      return refusal === undefined && entry.refusal === undefined && !isHiddenName(entry.name);
    });
    // The marker of a refused file goes unsaid: the file's own report covers both.
    const refusedNames = new Set(refused.map((refusal) => refusal.remoteName));
    this.refused.push(
      ...refused.filter(
        ({ remoteName }) =>
          !suffixes.some(
            (suffix) => remoteName.endsWith(suffix) && refusedNames.has(remoteName.slice(0, -suffix.length)),
          ),
      ),
    );
    // Only files that can be taken count, as deliveries and as markers (a link is neither).
    const names = new Set(usable.map((entry) => entry.name));
    const isMarker = (name: string) =>
      suffixes.some((suffix) => name.endsWith(suffix) && names.has(name.slice(0, -suffix.length)));
    const byName = new Map(usable.map((entry) => [entry.name, entry]));
    const candidates = usable
      .filter((entry) => this.matches(entry.name) && !isMarker(entry.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((entry) => {
        if (suffixes.length === 0) return [{ entry, markers: [] as string[] }];
        // A marker says the file is complete only if it was made after the file's last write: a marker
        // touched before the upload ended (or left from an earlier delivery of that name) does not count.
        const markers = suffixes
          .map((suffix) => byName.get(entry.name + suffix))
          .filter((marker) => marker !== undefined && marker.mtimeMs >= entry.mtimeMs)
          .map((marker) => this.port.paths.join(directory, (marker as DropEntry).name));
        return markers.length > 0 ? [{ entry, markers }] : [];
      });
    if (candidates.length === 0) return candidates;
    // Marker or not, a file still being written changes size (or time) between two listings. A writer that
    // pauses longer than this window cannot be told from a finished one (docs/pipelines-and-channels.md).
    await sleep(this.settings.stableMs, undefined, signal ? { signal } : {});
    const again = new Map(
      ((await this.port.list(directory, signal)) ?? [])
        .filter((entry) => entry.refusal === undefined)
        .map((entry) => [entry.name, entry]),
    );
    return candidates.filter(({ entry }) => {
      const later = again.get(entry.name);
      return later !== undefined && later.size === entry.size && later.mtimeMs === entry.mtimeMs;
    });
  }

  /**
   * Why a listed entry is never taken, when that is worth a report: a link or a name that is not UTF-8 that would
   * be a delivery (or its marker), and any unsafe name (checked before the glob: a hostile name is reported even
   * when it would not match) — but a hidden file (`.DS_Store`, an uploader's `.x.csv.part`), which is no delivery.
   */
  private refusal(entry: DropEntry): string | undefined {
    if (entry.refusal !== undefined) {
      const suffixes = this.settings.markerSuffixes;
      const delivery = (name: string) => this.matches(name) && !isHiddenName(name);
      const looksDelivered =
        delivery(entry.name) ||
        suffixes.some(
          (suffix) => entry.name.endsWith(suffix) && delivery(entry.name.slice(0, -suffix.length)),
        );
      // Not reported, and never taken either: `usable` leaves out every entry with a refusal.
      return looksDelivered ? entry.refusal : undefined;
    }
    return isHiddenName(entry.name) ? undefined : unsafeNameReason(entry.name);
  }

  /** How the file differs from when it was listed for reading (size, time, gone), or undefined if it does not. */
  private async changedSince(delivery: Delivery): Promise<string | undefined> {
    const now = await this.port.stat(delivery.file);
    const was = delivery.seen;
    if (!now) return 'it is gone';
    if (now.size !== was.size) return `its size went from ${was.size} to ${now.size} bytes`;
    if (now.mtimeMs !== was.mtimeMs)
      return `it was written again (modified ${new Date(was.mtimeMs).toISOString()}, now ${new Date(now.mtimeMs).toISOString()})`;
    return undefined;
  }

  /** Moves a settled delivery and its markers aside, then lets go of its local copy. */
  private async finish(delivery: Delivery, outcome: 'processed' | 'failed'): Promise<void> {
    try {
      const dir = outcome === 'processed' ? this.settings.processedDir : this.settings.failedDir;
      if (dir === null) return;
      // Written again after it was read (a writer that paused longer than the stable-size window): what was
      // loaded is not this file, which stays to be read again on the next poll.
      const changed = await this.changedSince(delivery);
      const drop = this.port.paths.dirname(delivery.file);
      if (changed === 'it is gone') {
        // Renamed or removed while (or after) it was read: what was read stands, but nothing is left to file away,
        // and a copy under another name would be read again next run. Said, never passed over.
        this.context.warn?.(
          `${this.port.paths.basename(delivery.file)} is no longer in ${this.port.describe(drop)}: it was renamed, moved or ` +
            `removed while or after it was read; what was read is recorded (${outcome === 'processed' ? 'loaded' : 'failed'}) ` +
            `but the file could not be moved to ${dir}/ (under a new name in the drop it is read again by the next run` +
            `${outcome === 'processed' ? ', its content already loaded then skipped' : ''})`,
          GONE_AFTER_READ_CODE,
        );
      } else if (changed)
        throw new FileChangedError(
          `${this.port.paths.basename(delivery.file)} changed after it was read (${changed}): not moved to ${dir}/, it is read again on the next poll`,
        );
      const target = this.port.paths.resolve(drop, dir);
      for (const file of [delivery.file, ...delivery.markers]) {
        // A file that vanished (the reason it failed, perhaps) has nothing left to move.
        if (!(await this.port.exists(file))) continue;
        try {
          await this.port.move(
            file,
            await this.freeName(this.port.paths.join(target, this.port.paths.basename(file))),
            drop,
          );
        } catch (error) {
          // Loud: the run fails naming the file, which stays where it is (and is skipped, then tried again, next run).
          if (error instanceof DropDirectoryError)
            throw new DropDirectoryError(
              `${this.port.paths.basename(file)} stays in ${this.port.describe(drop)}, not moved to ${dir}/: ${error.message}`,
            );
          throw error;
        }
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

/** A delivery that changed while it was being loaded: never the provider's fault, never moved aside. */
class FileChangedError extends RetryableError {
  constructor(message: string) {
    super('file-changed', message);
  }
}

/**
 * A delivery that changed while it was being read: one unit that fails as an infrastructure fault would
 * (retried, nothing recorded against the file or the provider), so the file stays where it is for the next poll.
 */
function changedUnit(entry: DropEntry, how: string): SourceUnit {
  const error = new FileChangedError(
    `${entry.name} changed while it was loading (${how}): still being written, it is read again on the next poll`,
  );
  return {
    name: entry.name,
    sizeBytes: entry.size,
    receivedAt: new Date(entry.mtimeMs),
    rows: () => Promise.reject(error),
  };
}

/** The run's warning for a name never taken: where, which, why, and what makes it go away. */
function refusedText(where: string, refusal: UnsafeNameError): string {
  const fix = /symbolic link/.test(refusal.reason)
    ? 'the provider delivers the file itself instead of a link'
    : /, not a file/.test(refusal.reason)
      ? 'it is removed or replaced by a regular file (a folder, a named pipe or a device is never read)'
      : 'it is renamed (UTF-8, at most 200 bytes, no control characters or separators, not starting with "-")';
  return (
    `${where}: ${JSON.stringify(refusal.remoteName)} is not taken (${refusal.reason}): it stays where it is, ` +
    `and every run says so until ${fix}`
  );
}

/** A dot file (`.DS_Store`, an uploader's `.x.csv.part`): no delivery, not taken, not worth a report. */
function isHiddenName(name: string): boolean {
  return name.startsWith('.') && unsafeNameReason(name.slice(1)) === undefined;
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
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
