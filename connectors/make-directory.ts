import type { Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Creates `directory` and the directories above it that are missing, one level at a time: the nearest one that
 * exists is found with stat, then each missing one is made by a plain (not recursive) mkdir. Node's recursive
 * mkdir never returns under /proc, where mkdir says ENOENT although the parent is there (`/proc/x`): it loops at
 * full CPU, deaf to SIGTERM, and holds one of libuv's four threads for good. Here a path on the way that is not a
 * directory, a stat or mkdir refused, or a parent that takes no new directory throws at once, naming the path
 * (the refused stat's or mkdir's own error is its `cause`, with its code). It lives at the bottom of the imports
 * (connectors/, which imports nothing of src/), so that the engine, the warehouse's embedded server and the
 * transports make their directories alike.
 *
 * `mode` is given to the last level only, when this call makes it (as mkdir's, less the umask); the levels
 * above it get mkdir's default. A directory already there keeps its mode.
 */
export async function makeDirectory(directory: string, options: { mode?: number } = {}): Promise<void> {
  const target = path.resolve(directory);
  const missing: string[] = [];
  for (let folder = target; ; folder = path.dirname(folder)) {
    const info = await statOrMissing(folder, target);
    if (info) {
      if (!info.isDirectory())
        throw new Error(`cannot create directory ${target}: ${folder} is not a directory`);
      break;
    }
    missing.unshift(folder);
    // The root itself missing (a chroot gone): the mkdir below says why.
    if (path.dirname(folder) === folder) break;
  }
  for (const folder of missing) {
    try {
      await mkdir(folder, folder === target ? options.mode : undefined);
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      // Made meanwhile by another process: fine.
      if (code === 'EEXIST' && (await statOrMissing(folder, target))?.isDirectory()) continue;
      throw new Error(
        `cannot create directory ${target}: ${refusal(folder, error as NodeJS.ErrnoException)}`,
        {
          cause: error,
        },
      );
    }
  }
}

/** The path's stat, undefined when it is not there (or a path above it is a file: found on the way up). */
async function statOrMissing(folder: string, target: string): Promise<Stats | undefined> {
  try {
    return await stat(folder);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new Error(`cannot create directory ${target}: cannot reach ${folder} (${code ?? message})`, {
      cause: error,
    });
  }
}

/** Why mkdir refused `folder`, whose parent is a directory (found or just made). */
function refusal(folder: string, error: NodeJS.ErrnoException): string {
  const parent = path.dirname(folder);
  if (error.code === 'ENOENT') return `${parent} takes no new directory (ENOENT)`;
  if (error.code === 'EEXIST') return `${folder} is there and is not a directory (EEXIST)`;
  if (error.code === 'EACCES' || error.code === 'EPERM')
    return `no permission to create ${folder} in ${parent} (${error.code})`;
  if (error.code === 'EROFS') return `${parent} is on a read-only filesystem (EROFS)`;
  return `${folder}: ${error.message}`;
}
