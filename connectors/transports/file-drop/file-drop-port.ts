import type { PlatformPath } from 'node:path';

/** One regular file in a drop directory, as a listing shows it. */
export interface DropEntry {
  name: string;
  size: number;
  /** Last modification, in ms: the delivery's received time (Art. 10) and half of the stable-size check. */
  mtimeMs: number;
}

/** A delivery readable on this machine: the file itself (local) or its staged download (SFTP). */
export interface FetchedFile {
  /** Local path, named as the delivery is (archive units take their names from it). */
  path: string;
  /** sha256 of the file, when fetching computed it anyway (a download hashes as it streams). */
  sha256?: string;
  /** Lets go of the local copy (deletes a staged download); a no-op for a local file. */
  release(): Promise<void>;
}

/**
 * What a file drop needs from where the files are: list, fetch, rename. The protocol on top (glob, markers,
 * stable size, ledger, archives, moving aside) is written once in file-drop-transport.ts; an adapter only
 * speaks its file system. Paths are the adapter's own (native for a local folder, POSIX for SFTP).
 */
export interface FileDropPort {
  /** Where a directory is, for people: `/srv/drop/2026-11-30`, `sftp://host:22/out/2026-11-30`. */
  describe(directory: string): string;
  /** Path arithmetic of this file system: `path` (local) or `path.posix` (SFTP). */
  readonly paths: Pick<PlatformPath, 'join' | 'resolve' | 'dirname' | 'basename' | 'extname'>;
  /** The regular files directly in `directory`; undefined when there is no such directory. */
  list(directory: string, signal?: AbortSignal): Promise<DropEntry[] | undefined>;
  /** Makes one delivery readable here. Throws a `FileDropFileError` when only this file cannot be had. */
  fetch(directory: string, entry: DropEntry, signal?: AbortSignal): Promise<FetchedFile>;
  exists(file: string): Promise<boolean>;
  /** The file's size and modification time now; undefined when it is gone. */
  stat(file: string): Promise<Pick<DropEntry, 'size' | 'mtimeMs'> | undefined>;
  /** Renames `from` to `to` (which does not exist), creating `to`'s directory when needed. */
  move(from: string, to: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * This one file cannot be fetched (vanished, permission denied): it fails alone, recorded with this code, and
 * the poll goes on. Anything else an adapter throws (the server cannot be reached) is an error of the run.
 */
export class FileDropFileError extends Error {
  override readonly name = 'FileDropFileError';
  constructor(
    /** Stable kebab-case code, stored with the failed file. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
