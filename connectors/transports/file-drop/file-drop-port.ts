import type { PlatformPath } from 'node:path';
import { TransportError } from '../retry-with-backoff.ts';

/** One entry of a drop directory, as a listing shows it: a regular file, or (with `refusal`) anything else. */
export interface DropEntry {
  /** Its name; for a name that is not UTF-8, the name as read for people (GB18030), with `refusal` set. */
  name: string;
  size: number;
  /** Last modification, in ms: the delivery's received time (Art. 10) and half of the stable-size check. */
  mtimeMs: number;
  /**
   * Listed, but never taken: why (a symbolic link, a directory, a named pipe or another entry that is not a regular
   * file, a name that is not UTF-8). The transport reports it in the run
   * (never as the provider's failed delivery) and leaves it where it is.
   */
  refusal?: string;
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
  readonly paths: Pick<
    PlatformPath,
    'join' | 'resolve' | 'dirname' | 'basename' | 'extname' | 'relative' | 'isAbsolute' | 'sep'
  >;
  /**
   * The regular files directly in `directory`, and every other entry there (links, directories, pipes, names that
   * are not UTF-8: with a `refusal`); undefined when there is no such directory.
   */
  list(directory: string, signal?: AbortSignal): Promise<DropEntry[] | undefined>;
  /** Makes one delivery readable here. Throws a `FileDropFileError` when only this file cannot be had. */
  fetch(directory: string, entry: DropEntry, signal?: AbortSignal): Promise<FetchedFile>;
  /** Whether anything has this name (a symbolic link, even a broken one, included: it is never overwritten). */
  exists(file: string): Promise<boolean>;
  /** The file's size and modification time now (of a link, the link's own); undefined when it is gone. */
  stat(file: string): Promise<Pick<DropEntry, 'size' | 'mtimeMs'> | undefined>;
  /**
   * Renames `from` to `to` (which does not exist). When `to` is inside `root` (the drop directory), every directory
   * between them must be a real directory (created when missing): a symbolic link or anything else there throws a
   * `DropDirectoryError` and nothing is moved. A link planted there would send the file wherever it points
   * (another provider's folder, where it would load as that provider's delivery).
   */
  move(from: string, to: string, root: string): Promise<void>;
  /**
   * Undefined when every directory between `root` and `directory` (below `root`, `directory` included) is a real
   * directory or does not exist; otherwise what the first one that is not is (`2026-11-30 is a symbolic link`).
   */
  linkBelow(root: string, directory: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * A directory the transport would read from or move into, below the drop directory, is not a real directory (a
 * symbolic link, a file): nothing is read or moved through it. Not worth another try: the operator must look.
 */
export class DropDirectoryError extends TransportError {
  constructor(message: string) {
    super('drop-folder-link', message);
  }
}

/** The directories from just below `root` down to `directory`, or undefined when `directory` is not inside `root`. */
export function directoriesBelow(
  paths: Pick<PlatformPath, 'relative' | 'join' | 'isAbsolute' | 'sep'>,
  root: string,
  directory: string,
): string[] | undefined {
  const relative = paths.relative(root, directory);
  if (relative === '') return [];
  if (relative === '..' || relative.startsWith(`..${paths.sep}`) || paths.isAbsolute(relative))
    return undefined;
  const parts = relative.split(paths.sep);
  return parts.map((_, index) => paths.join(root, ...parts.slice(0, index + 1)));
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
