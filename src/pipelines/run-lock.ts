import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type PipelineLock, tryPipelineLock } from '../warehouse/pipeline-lock.ts';

/** Another process took the pipeline's lock after this run's lock session ended: this run stops as `locked`. */
export class LockTakenMeanwhile extends Error {
  override readonly name = 'LockTakenMeanwhile';
  constructor(pipeline: string) {
    super(
      `pipeline ${pipeline} is running in another process: it took the lock after this run's session lost it`,
    );
  }
}

/**
 * A pipeline's lock across the attempts of one run: each attempt works only while it is held, and one attempt's
 * lock is never trusted for the next. A database restart (or the lock's backend terminated) ends the lock's
 * session and the lock with it; the attempt then starts no unit and asks the source it polled under the lost lock
 * for nothing more. Units load whole in sessions of their own, so each that committed is the run's work (a unit
 * whose own session a restart ended fails the attempt as the fault it is); whether units are left is asked afresh
 * under the lock taken again (run-pipeline.ts whenLockLost). None left: the run ends as its units did, the loss a
 * warning of it (a night that loaded everything is not a failure). Units left, or no answer: the attempt stops
 * (`lost`, an infrastructure fault the runner retries) and the next attempt takes the lock again first, or, when
 * another process holds it by then (LockTakenMeanwhile), the run ends `locked` as a second process's does.
 *
 * The window between the lock's session ending and this process knowing it: a restart, a crashed server or a
 * cut network ends every session of this process at once, the loading unit's among them, so nothing of that unit
 * can commit after another process took the lock. A session ended alone (an administrator terminating it) is
 * noticed at once (the server says so before it closes the connection), and the lock is taken again at once,
 * so another process can get it only in the instant of a reconnect. The unit loading then is not rolled back
 * (units are rolled back per process, active-units.ts, and other pipelines may be loading here): it may still
 * commit, and only a process that took the lock in that instant and read the ledger before that commit could
 * load the same content again; the entry's merge lock keeps that to a ledger row whose rows are all `unchanged`.
 * The look for units left opens no other window: it is made once the lock is held again, by a poll of its own.
 */
export class RunLock {
  /** The lock taken again right after `held` was lost: a lock, undefined (held by another), null (unreachable). */
  private retaking: Promise<PipelineLock | undefined | null> | undefined;
  private released = false;

  private constructor(
    private readonly warehouse: Warehouse,
    private readonly pipeline: string,
    private held: PipelineLock,
  ) {
    this.watch(held);
  }

  /** The run's lock, or undefined when another process holds it (nothing is done then). */
  static async take(warehouse: Warehouse, pipeline: string): Promise<RunLock | undefined> {
    const held = await tryPipelineLock(warehouse, pipeline);
    return held && new RunLock(warehouse, pipeline, held);
  }

  /**
   * Before an attempt, or before an attempt that lost it looks for units left: the lock, held now, taken again if
   * it was lost. Resolves to the signal that aborts when it is lost after that; throws LockTakenMeanwhile when
   * another process holds it, or the fault that keeps the server out of reach (retried as any).
   */
  async forAttempt(): Promise<AbortSignal> {
    while (this.held.lost.aborted) {
      // Taken again at once when it was lost; otherwise (held by another then, or out of reach) asked now.
      const retaken = await this.retaking;
      this.retaking = undefined;
      const again = retaken || (await tryPipelineLock(this.warehouse, this.pipeline));
      if (!again) throw new LockTakenMeanwhile(this.pipeline);
      this.held = again;
      this.watch(again);
    }
    return this.held.lost;
  }

  async release(): Promise<void> {
    this.released = true;
    await this.held.release();
    await (await this.retaking)?.release();
  }

  private watch(lock: PipelineLock): void {
    lock.lost.addEventListener(
      'abort',
      () => {
        if (this.released) return;
        this.retaking = tryPipelineLock(this.warehouse, this.pipeline).catch(() => null);
      },
      { once: true },
    );
  }
}
