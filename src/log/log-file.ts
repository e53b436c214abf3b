import fs from 'node:fs';
import path from 'node:path';

/**
 * Why `file` cannot be a log file appended to, or undefined when it can: the file, if it is there, is a writable
 * file; else its nearest folder that exists is a writable folder, outside /proc and /sys (the folders below it are
 * created by prepareLogFolder). Looks only, creates nothing, and never loops: Node's recursive mkdir spins
 * forever at full CPU, deaf to SIGTERM, on a path under /proc (`/proc/nope/x.log`).
 */
export function logFileProblem(file: string): string | undefined {
  const resolved = path.resolve(file);
  const pseudo = pseudoFolder(resolved);
  if (pseudo) return `${resolved} is under ${pseudo}, which holds no files of ours`;
  let stat: fs.Stats | undefined;
  try {
    stat = existing(resolved);
  } catch (error) {
    return `${resolved} cannot be reached (${(error as NodeJS.ErrnoException).code})`;
  }
  if (stat) {
    if (!stat.isFile()) return `${resolved} is not a file`;
    return writable(resolved, fs.constants.W_OK) ? undefined : `${resolved} is not writable`;
  }
  for (let folder = path.dirname(resolved); ; folder = path.dirname(folder)) {
    try {
      stat = existing(folder);
    } catch (error) {
      return `folder ${folder} cannot be reached (${(error as NodeJS.ErrnoException).code})`;
    }
    if (stat) {
      if (!stat.isDirectory()) return `${folder} is not a folder`;
      // A link may lead there: judged where it leads.
      const real = pseudoFolder(fs.realpathSync(folder));
      if (real) return `folder ${folder} is under ${real}, which holds no files of ours`;
      return writable(folder, fs.constants.W_OK | fs.constants.X_OK)
        ? undefined
        : `folder ${folder} is not writable`;
    }
    if (path.dirname(folder) === folder) return `no folder of ${resolved} exists`;
  }
}

/** Creates the folders of `file` that are missing, one level at a time; throws LogFileError when it cannot. */
export function prepareLogFolder(file: string): void {
  const problem = logFileProblem(file);
  if (problem) throw new LogFileError(`log file ${file}: ${problem}`);
  const missing: string[] = [];
  for (let folder = path.dirname(path.resolve(file)); !existing(folder); folder = path.dirname(folder))
    missing.unshift(folder);
  for (const folder of missing) {
    try {
      fs.mkdirSync(folder);
    } catch (error) {
      // Another process made it meanwhile: fine. Anything else is said once, not retried.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

export class LogFileError extends Error {
  override readonly name = 'LogFileError';
}

/** The file's stat, undefined when it or a folder on its way is not there (or is a file). */
function existing(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function writable(file: string, mode: number): boolean {
  try {
    fs.accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}

/** `/proc` or `/sys` when `file` is in one of those kernel file systems. */
function pseudoFolder(file: string): string | undefined {
  return ['/proc', '/sys'].find((root) => file === root || file.startsWith(`${root}/`));
}
