import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import picomatch from 'picomatch';
import type { PollOptions, SourceUnit, Transport, TransportFactory } from '../contracts.ts';
import { unitsForFile } from './archive-units.ts';

/** The `transport` section of a pipeline that watches a local drop folder. */
export interface DropFolderConfig {
  /** The directory providers deliver into (not searched recursively). */
  directory: string;
  /** Which file names are deliveries (picomatch, case-insensitive). */
  glob?: string;
  /**
   * Done-markers: `<name><suffix>` (e.g. `处罚.csv.ok`) says `<name>` is complete. An empty list means no
   * markers: a file is complete when its size and mtime did not change between two listings.
   */
  markerSuffixes?: string[];
  /** Milliseconds between the two listings of the stable-size check. */
  stableSizeMs?: number;
  /** Where loaded files go (relative to `directory`), or null to leave them in place. */
  processedDir?: string | null;
  /** Where files that failed as a whole go (relative to `directory`), or null to leave them in place. */
  failedDir?: string | null;
}

const DEFAULTS = {
  glob: '*.{csv,txt,tsv,xlsx,zip,gz}',
  markerSuffixes: ['.ok', '.done'],
  stableSizeMs: 2000,
  processedDir: 'processed',
  failedDir: 'failed',
} as const;

export const dropFolderTransport: TransportFactory<DropFolderConfig> = {
  type: 'drop-folder',
  configSchema: {
    type: 'object',
    required: ['type', 'directory'],
    additionalProperties: false,
    properties: {
      type: { const: 'drop-folder' },
      directory: {
        type: 'string',
        minLength: 1,
        description: 'the directory providers deliver into; `{date}` in it stands for the partition day',
      },
      glob: { type: 'string', minLength: 1, default: DEFAULTS.glob },
      markerSuffixes: {
        type: 'array',
        items: { type: 'string', pattern: '^\\.[^/\\\\]+$' },
        default: DEFAULTS.markerSuffixes,
        description: 'done-marker suffixes; [] = complete when the size is stable between two listings',
      },
      stableSizeMs: { type: 'integer', minimum: 0, default: DEFAULTS.stableSizeMs },
      processedDir: { type: ['string', 'null'], default: DEFAULTS.processedDir },
      failedDir: { type: ['string', 'null'], default: DEFAULTS.failedDir },
    },
  },
  create: (config) => new DropFolder(config),
};

/** One complete delivery file and the units it gave (several for a zip). */
interface Delivery {
  file: string;
  markers: string[];
  pending: number;
  failed: boolean;
}

class DropFolder implements Transport {
  readonly type = 'drop-folder';
  private readonly directory: string;
  private readonly matches: (name: string) => boolean;
  private readonly markerSuffixes: readonly string[];
  private readonly deliveries = new Map<SourceUnit, Delivery>();

  constructor(private readonly config: DropFolderConfig) {
    this.directory = path.resolve(config.directory);
    this.matches = picomatch(config.glob ?? DEFAULTS.glob, { nocase: true, dot: false });
    this.markerSuffixes = config.markerSuffixes ?? DEFAULTS.markerSuffixes;
  }

  async *poll(options: PollOptions): AsyncGenerator<SourceUnit> {
    const seenThisPoll = new Set<string>();
    const dated = this.directory.includes(DATE_PLACEHOLDER);
    const day = options.partitionDay ?? options.partition ?? shanghaiDate(new Date());
    const directory = dated ? this.directory.replaceAll(DATE_PLACEHOLDER, day) : this.directory;
    if (dated && !(await isDirectory(directory))) return; // nothing delivered that day
    for (const { file, markers } of await this.completeFiles(directory, options.signal)) {
      const receivedAt = (await stat(file)).mtime;
      // A backfill partition of an undated folder: the files received (last written) that day.
      if (!dated && options.partition && shanghaiDate(receivedAt) !== options.partition) continue;
      const units = await unitsForFile(file, receivedAt);
      const fresh: SourceUnit[] = [];
      for (const unit of units) {
        const sha256 = await hashStream(unit.open?.());
        // A refused zip entry has no bytes to hash: it is yielded, and fails when loaded.
        if (sha256 !== undefined && (seenThisPoll.has(sha256) || (await options.alreadyLoaded(sha256))))
          continue;
        if (sha256 !== undefined) seenThisPoll.add(sha256);
        fresh.push(sha256 === undefined ? unit : { ...unit, sha256 });
      }
      const delivery: Delivery = { file, markers, pending: fresh.length, failed: false };
      if (fresh.length === 0) {
        // The same content was loaded before (perhaps under another name): nothing to do but file it away.
        await this.moveAside(delivery, 'processed');
        continue;
      }
      for (const unit of fresh) {
        this.deliveries.set(unit, delivery);
        yield unit;
      }
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
    await this.moveAside(delivery, delivery.failed ? 'failed' : 'processed');
  }

  async close(): Promise<void> {
    this.deliveries.clear();
  }

  private async completeFiles(
    directory: string,
    signal?: AbortSignal,
  ): Promise<{ file: string; markers: string[] }[]> {
    const names = new Set(
      (await readdir(directory, { withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name),
    );
    const isMarker = (name: string) =>
      this.markerSuffixes.some((suffix) => name.endsWith(suffix) && names.has(name.slice(0, -suffix.length)));
    const candidates = [...names].filter((name) => this.matches(name) && !isMarker(name)).sort();
    const at = (name: string) => path.join(directory, name);
    if (this.markerSuffixes.length > 0) {
      return candidates.flatMap((name) => {
        const markers = this.markerSuffixes
          .map((suffix) => name + suffix)
          .filter((marker) => names.has(marker));
        return markers.length > 0 ? [{ file: at(name), markers: markers.map(at) }] : [];
      });
    }
    // No markers: a file still being written changes size (or mtime) between two listings.
    const first = await Promise.all(candidates.map((name) => signature(at(name))));
    await sleep(this.config.stableSizeMs ?? DEFAULTS.stableSizeMs, undefined, signal ? { signal } : {});
    const second = await Promise.all(candidates.map((name) => signature(at(name))));
    return candidates
      .filter((_name, i) => first[i] !== undefined && first[i] === second[i])
      .map((name) => ({ file: at(name), markers: [] }));
  }

  /** Moves a delivery and its markers aside; never overwrites and never deletes. */
  private async moveAside(delivery: Delivery, outcome: 'processed' | 'failed'): Promise<void> {
    const dir =
      outcome === 'processed'
        ? this.config.processedDir === undefined
          ? DEFAULTS.processedDir
          : this.config.processedDir
        : this.config.failedDir === undefined
          ? DEFAULTS.failedDir
          : this.config.failedDir;
    if (dir === null) return;
    const target = path.resolve(path.dirname(delivery.file), dir);
    await mkdir(target, { recursive: true });
    for (const file of [delivery.file, ...delivery.markers]) {
      await rename(file, await freeName(path.join(target, path.basename(file))));
    }
  }
}

/** In `directory`, stands for the run's partition day (PollOptions.partitionDay), e.g. `/drop/xzcf/{date}`. */
const DATE_PLACEHOLDER = '{date}';

function shanghaiDate(time: Date): string {
  return new Date(time.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

async function isDirectory(directory: string): Promise<boolean> {
  try {
    return (await stat(directory)).isDirectory();
  } catch {
    return false;
  }
}

async function signature(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    return `${info.size}:${info.mtimeMs}`;
  } catch {
    return undefined; // gone between listing and stat: not complete
  }
}

/** `name.csv`, or `name.2.csv`, `name.3.csv`… when a file of that name was filed before (a re-delivery). */
async function freeName(wanted: string): Promise<string> {
  const extension = path.extname(wanted);
  const stem = wanted.slice(0, wanted.length - extension.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? wanted : `${stem}.${n}${extension}`;
    try {
      await stat(candidate);
    } catch {
      return candidate;
    }
  }
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
