import { randomBytes } from 'node:crypto';
import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { lstat, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { makeDirectory } from '../../connectors/make-directory.ts';

/**
 * A report file written piece by piece, memory flat (each write waits for the stream to drain). A regular file
 * (or one not there yet) is written under a temporary name in its own folder and renamed into place by `close()`;
 * `discard()` removes it, so a failure (a full disk, a read-only filesystem, a query that failed) leaves no empty
 * or half report. Anything else at that path — a device such as /dev/full or /dev/stdout, a FIFO, a directory —
 * is written (or fails to open) as it is.
 *
 * The stream's errors are listened for from its creation: an open or write error that comes while the writer
 * awaits something else (the next page from the database) is kept and thrown by the next `write()` or by
 * `close()`, naming the report, instead of being an uncaught exception that ends the process. A temporary file
 * neither closed nor discarded when the process exits (a writer that stopped on an error without discarding) is
 * removed then.
 */
export interface ReportFile {
  write(text: string): Promise<void>;
  /** Ends the file and moves it into place; throws the stream's error (the file then removed). */
  close(): Promise<void>;
  /** Stops writing and removes the temporary file; never throws. */
  discard(): Promise<void>;
  /** The stream written to, for a writer that drives it itself (exceljs): `close()` once it has ended it. */
  readonly stream: WriteStream;
}

export async function openReportFile(outFile: string): Promise<ReportFile> {
  await makeDirectory(path.dirname(path.resolve(outFile)));
  const target = await renameTarget(outFile);
  const temp = target
    ? path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
    : undefined;
  const stream = createWriteStream(temp ?? outFile, temp ? { flags: 'wx' } : {});
  if (temp) pending(temp);
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure ??= new Error(`cannot write ${outFile}: ${error.message}`, { cause: error });
  });
  const closed = new Promise<void>((resolve) => stream.once('close', resolve));
  let done = false;

  const removeTemp = async () => {
    if (!temp) return;
    settled(temp);
    await unlink(temp).catch(() => undefined);
  };
  const discard = async () => {
    if (done) return;
    done = true;
    if (!stream.closed) {
      stream.destroy();
      await closed;
    }
    await removeTemp();
  };
  const fail = async (error: Error): Promise<never> => {
    await discard();
    throw error;
  };

  return {
    stream,
    async write(text) {
      if (failure) return fail(failure);
      if (!stream.write(text) && !stream.destroyed) await drainedOrGone(stream);
      if (failure) return fail(failure);
    },
    async close() {
      if (failure) return fail(failure);
      if (!stream.writableEnded) stream.end();
      await closed;
      if (failure) return fail(failure);
      if (!stream.writableFinished) return fail(new Error(`cannot write ${outFile}: closed before its end`));
      done = true;
      if (temp && target) {
        settled(temp);
        try {
          await rename(temp, target);
        } catch (error) {
          await removeTemp();
          throw new Error(`cannot write ${outFile}: ${(error as Error).message}`, { cause: error });
        }
      }
    },
    discard,
  };
}

/**
 * Writes a report through `body`; the file is in place when it returns, and removed when `body` or a write
 * throws. Returns what `body` returns.
 */
export async function writeReportFile<T>(
  outFile: string,
  body: (write: (text: string) => Promise<void>) => Promise<T>,
): Promise<T> {
  const file = await openReportFile(outFile);
  try {
    const result = await body(file.write);
    await file.close();
    return result;
  } catch (error) {
    await file.discard();
    throw error;
  }
}

/**
 * A report that may exist only once what it records is committed (a review notice: its number, its log). The
 * caller writes it whole to `temp`, a hidden name in the target's folder (with openReportFile or streamingWorkbook,
 * say), commits, and then `place()` renames it into place; on any failure `discard()` removes it. Its folder is
 * created, and anything at `outFile` other than a regular file (or a link to one) refused, here, before anything is
 * written (`cannot write <outFile>: …`). `failure(error)` is a write error told with `outFile`, never the
 * temporary name.
 */
export interface StagedReportFile {
  readonly temp: string;
  /** Renames `temp` into place; throws (`temp` then removed) naming `outFile`. */
  place(): Promise<void>;
  /** Removes `temp` if it is there; never throws. */
  discard(): Promise<void>;
  /** `cannot write <outFile>: <why>`, for an error of the writer or of `place()`. */
  failure(error: unknown): string;
}

export async function stageReportFile(outFile: string): Promise<StagedReportFile> {
  const target = await stagedTarget(outFile).catch((error: unknown) => {
    throw new Error(`cannot write ${outFile}: ${(error as Error).message}`, { cause: error });
  });
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  pending(temp);
  const discard = async () => {
    settled(temp);
    await unlink(temp).catch(() => undefined);
  };
  const failure = (error: unknown) => {
    const why = (error instanceof Error ? error.message : String(error)).replaceAll(temp, outFile);
    return why.startsWith(`cannot write ${outFile}`) ? why : `cannot write ${outFile}: ${why}`;
  };
  return {
    temp,
    async place() {
      try {
        await rename(temp, target);
        settled(temp);
      } catch (error) {
        await discard();
        throw new Error(failure(error), { cause: error });
      }
    },
    discard,
    failure,
  };
}

/** Where a staged report goes (its folder made): a regular file or none yet, else why not. */
async function stagedTarget(outFile: string): Promise<string> {
  await makeDirectory(path.dirname(path.resolve(outFile)));
  const target = await renameTarget(outFile);
  if (target) return target;
  const folder = await stat(outFile).then(
    (found) => found.isDirectory(),
    () => false,
  );
  throw new Error(folder ? 'it is a directory' : 'it is not a regular file');
}

/** Where a temporary file is renamed to: the path of a regular file or of none yet; undefined for anything else. */
async function renameTarget(outFile: string): Promise<string | undefined> {
  const link = await lstat(outFile).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!link) return outFile;
  if (link.isFile()) return outFile;
  if (!link.isSymbolicLink()) return undefined;
  // A link to a regular file: that file is replaced, the link kept.
  const real = await stat(outFile).catch(() => undefined);
  return real?.isFile() ? realpath(outFile) : undefined;
}

/** Resolves when the stream drained, or errored or closed (then no 'drain' comes). */
export function drainedOrGone(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

const unsettled = new Set<string>();

function pending(temp: string): void {
  if (unsettled.size === 0) process.once('exit', removeUnsettled);
  unsettled.add(temp);
}

function settled(temp: string): void {
  unsettled.delete(temp);
  if (unsettled.size === 0) process.off('exit', removeUnsettled);
}

function removeUnsettled(): void {
  for (const temp of unsettled) {
    try {
      unlinkSync(temp);
    } catch {
      // Gone already.
    }
  }
  unsettled.clear();
}
