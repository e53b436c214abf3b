import { CopyWriter } from '../load/copy-writer.ts';
import { tryLockEntryForMerge } from '../warehouse/merge-staged.ts';
import { type EarlyRange, mergeEarly, prepareEarlyMerge } from '../warehouse/merge-while-reading.ts';
import { COPY_INTO_STAGE } from '../warehouse/staging-repository.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';

/**
 * What the COPY that follows a range may hold while the range's statements run: ~20,000 staged rows of a
 * national-layout file (~1.5 KB each), about what the reader reads while the server merges 20,000.
 */
const HOLD_BYTES = 32 << 20;

/**
 * The reader's side of merging while reading (src/warehouse/merge-while-reading.ts): every `every` rows the
 * COPY is ended, the rows staged since the last range merged early behind it, and a new COPY queued behind that,
 * which the reader fills while the server merges.
 *
 * Early merges need the entry's merge lock, held from the first range to the end of the unit. It is only taken
 * when free: a unit never waits mid-read for another's merge, and while another unit of the entry holds it, this
 * one stages on and tries again a range later (its first range then starts at its first row).
 */
export class EarlyMerges {
  private rowsAtLastTry = 0;
  /** The last row number merged early; 0 until the entry's lock is held (taken with the first range). */
  private through = 0;
  /** The ranges queued and not yet seen done, oldest first. */
  private pending: Promise<void>[] = [];
  private merged = 0;
  /** The first statement of a range that failed: the cause, where the COPY behind it only says the transaction aborted. */
  private failure: unknown;

  constructor(
    private readonly session: UnitSession,
    private readonly range: Omit<EarlyRange, 'after' | 'through'>,
    private readonly every: number,
  ) {}

  /** The COPY to stage into: `copy`, or, past a range's end, a new one queued behind the range's merge. */
  async afterBatch(copy: CopyWriter, read: number, lastRowNumber: number): Promise<CopyWriter> {
    if (read - this.rowsAtLastTry < this.every) return copy;
    this.rowsAtLastTry = read;
    // The server stays at most one range behind the reader: it waits for the older of two queued ranges (a
    // failure surfaces here), so neither the rows held for COPY nor the queue grow with the file.
    if (this.pending.length > 1) await this.pending.shift();
    const ended = copy.end();
    const session = this.session;
    if (this.through === 0) {
      // Waited for: the lock query runs once the COPY ends, and the reader should not run ahead of it.
      await ended;
      if (!(await this.lockIfFree())) return new CopyWriter(session.copyFrom(COPY_INTO_STAGE));
    }
    const range = { ...this.range, after: this.through, through: lastRowNumber };
    const done = ended
      .then(() => mergeEarly(session, range))
      .then(
        (rows) => {
          this.merged += rows;
        },
        (error: unknown) => {
          this.failure ??= error;
          throw error;
        },
      );
    done.catch(() => undefined);
    this.pending.push(done);
    this.through = lastRowNumber;
    return new CopyWriter({
      ready: done,
      open: () => session.copyFrom(COPY_INTO_STAGE),
      holdBytes: HOLD_BYTES,
    });
  }

  private async lockIfFree(): Promise<boolean> {
    if (!(await tryLockEntryForMerge(this.session, this.range.catalogCode))) return false;
    await prepareEarlyMerge(this.session);
    return true;
  }

  /** Waits for the last range; the rows merged early. */
  async finish(): Promise<number> {
    await Promise.all(this.pending);
    return this.merged;
  }

  /** Once no range's statement runs any more: the unit's connection is free for its rollback. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.pending);
  }

  /** Why the unit's COPY failed, when a range's statement failed first. */
  cause(error: unknown): unknown {
    return this.failure ?? error;
  }
}
