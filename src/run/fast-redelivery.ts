import { onOffSetting } from '../../connectors/on-off-setting.ts';
import type { timelinessChecker } from '../calendar/timeliness.ts';
import {
  FastPathUnusable,
  type FingerprintCache,
  NO_FORMATION,
} from '../warehouse/fingerprint-cache-repository.ts';
import {
  type RestagedRows,
  recordsStagedRowsReach,
  stageFromCurrentVersions,
} from '../warehouse/staging-repository.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import { type Fingerprint, fingerprintText } from './raw-fingerprint.ts';

/** `CREDIT_ETL_FAST_REDELIVERY=0`: every row takes the full path (to compare both, or to rule the fast one out). */
export const fastRedeliveryOff = (env: NodeJS.ProcessEnv = process.env): boolean =>
  onOffSetting('CREDIT_ETL_FAST_REDELIVERY', env) === false;

/**
 * The fast path of a nightly re-delivery (issue #17). A row whose raw cells have the fingerprint of the row a
 * record stands on in the channel (fingerprint-cache-repository.ts) would be read into exactly that record's
 * current content, so the full path would judge it `unchanged` and compact it into the file's summary: it is
 * counted instead of being normalized, validated, staged and merged. What could make the full path judge it
 * otherwise is handled:
 *
 * - another row of the file reaching the same record (the same row twice, a corrected row beside the old one):
 *   the fast row is staged after all, rebuilt from the record's current version (`expand`), and the merge
 *   judges both as the full path does;
 * - timeliness not decidable (no calendar for a year): that row takes the full path;
 * - the record changed since the cache was kept: the cache is not used (entry generation, under the merge lock);
 * - so few rows taken that the file could get no summary (an incremental file): the unit is loaded again on
 *   the full path (FastPathUnusable), which its bytes allow (a unit opens a fresh stream each time).
 */
export class FastRedelivery {
  readonly #cache: FingerprintCache;
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** Per cache entry: the row number that took it (0: none). */
  readonly #takenBy: Int32Array;
  readonly #late: Uint8Array;
  readonly #timeliness: ReturnType<typeof timelinessChecker>;
  readonly #receivedDate: string;
  readonly #dates = new Map<number, string>();
  #rows = 0;
  #lateRows = 0;

  constructor(
    cache: FingerprintCache,
    receivedDate: string,
    timeliness: ReturnType<typeof timelinessChecker>,
  ) {
    this.#cache = cache;
    this.#receivedDate = receivedDate;
    this.#timeliness = timeliness;
    const n = cache.hi.length;
    let size = 16;
    while (size < n * 2) size *= 2;
    this.#mask = size - 1;
    // Open addressing over the low half (md5 bits are uniform): slot holds entry index + 1.
    this.#slots = new Int32Array(size);
    for (let i = 0; i < n; i++) {
      let slot = cache.lo[i]! & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = i + 1;
    }
    this.#takenBy = new Int32Array(n);
    this.#late = new Uint8Array(n);
  }

  /** Rows taken so far, and of them late. */
  get rows(): number {
    return this.#rows;
  }
  get lateRows(): number {
    return this.#lateRows;
  }

  /**
   * Takes the row when its fingerprint is a standing record's not yet taken, it was formed on or before this unit's
   * received day (a back-dated unit, a backfill, may be received before a record's formation date: the full path
   * rejects that row, `date-in-future`) and its timeliness decides.
   */
  take(fingerprint: Fingerprint, rowNumber: number): boolean {
    const index = this.#find(fingerprint);
    if (index < 0 || this.#takenBy[index] !== 0) return false;
    const formation = this.#formationOf(index);
    if (formation !== undefined && formation > this.#receivedDate) return false;
    const timeliness = this.#timelinessOf(index);
    if (timeliness.late === undefined) return false;
    this.#takenBy[index] = rowNumber;
    this.#late[index] = timeliness.late ? 1 : 0;
    this.#rows++;
    if (timeliness.late) this.#lateRows++;
    return true;
  }

  /**
   * Stages again, from their records' current versions, the fast rows whose record another staged row reaches.
   * Returns the fingerprinted records left out of the fast rows (what compaction must still see as standing).
   * A file that took fewer rows than it left out of the channel's standing records (an incremental file) could
   * get no summary: its fast rows cannot stand, and the unit is loaded again on the full path.
   */
  async expand(session: UnitSession, catalogCode: string): Promise<number[]> {
    if (this.#rows < this.#cache.standing - this.#rows)
      throw new FastPathUnusable('too few fast rows for a summary: an incremental file');
    const reached = new Set(await recordsStagedRowsReach(session, catalogCode));
    const rebuilt: RestagedRows = { rowNumber: [], recordId: [], late: [], workingDays: [], fingerprint: [] };
    const notTaken: number[] = [];
    const { recordIds, hi, lo } = this.#cache;
    for (let i = 0; i < recordIds.length; i++) {
      const rowNumber = this.#takenBy[i]!;
      if (rowNumber !== 0 && reached.has(recordIds[i]!)) {
        rebuilt.rowNumber.push(rowNumber);
        rebuilt.recordId.push(recordIds[i]!);
        rebuilt.late.push(this.#late[i] === 1);
        rebuilt.workingDays.push(this.#timelinessOf(i).workingDays ?? null);
        rebuilt.fingerprint.push(fingerprintText({ hi: hi[i]!, lo: lo[i]! }));
        this.#takenBy[i] = 0;
        this.#rows--;
        if (this.#late[i] === 1) this.#lateRows--;
      }
      if (this.#takenBy[i] === 0) notTaken.push(recordIds[i]!);
    }
    await stageFromCurrentVersions(session, rebuilt);
    return notTaken;
  }

  #find({ hi, lo }: Fingerprint): number {
    const { hi: his, lo: los } = this.#cache;
    let slot = lo & this.#mask;
    for (;;) {
      const entry = this.#slots[slot]!;
      if (entry === 0) return -1;
      if (los[entry - 1] === lo && his[entry - 1] === hi) return entry - 1;
      slot = (slot + 1) & this.#mask;
    }
  }

  #timelinessOf(index: number): { late: boolean | undefined; workingDays: number | undefined } {
    const date = this.#formationOf(index);
    if (date === undefined) return { late: false, workingDays: undefined };
    return this.#timeliness(date, this.#receivedDate);
  }

  /** The cached record's formation date, `YYYY-MM-DD` (one Date per distinct day, not per row); none: undefined. */
  #formationOf(index: number): string | undefined {
    const days = this.#cache.formationDays[index]!;
    if (days === NO_FORMATION) return undefined;
    let date = this.#dates.get(days);
    if (date === undefined) {
      date = new Date(days * 86_400_000).toISOString().slice(0, 10);
      this.#dates.set(days, date);
    }
    return date;
  }
}
