import { createHash } from 'node:crypto';

/** The sha256 of a unit's bytes, fed chunk by chunk as they are read. */
export interface UnitDigest {
  update(chunk: Uint8Array): void;
  /** The hex digest of every byte fed. */
  digest(): Promise<string>;
  /** Lets the hashing go when the unit stops before its end (the digest is never asked for). */
  close(): void;
}

/** The memory a unit worker shares with the thread that hashes its bytes: control words and a ring of chunks. */
export interface DigestRing {
  control: SharedArrayBuffer;
  bytes: SharedArrayBuffer;
}

/** From this size on a unit worker's bytes are hashed by its parent: below it, the hand-over is not worth it. */
export const RING_MIN_BYTES = 8 * 1024 * 1024;

/** The ring: 8 slots of 256 KiB (a file chunk, archive-units.ts), 2 MiB whatever the unit's size. */
const SLOTS = 8;
const SLOT_BYTES = 256 * 1024;
/**
 * Control words: slots written, slots hashed, a counter bumped at every change the hasher must see, end of the
 * bytes, stop, done (the digest's 32 bytes are in place) and failed, then each slot's length and the digest.
 */
const WRITTEN = 0;
const HASHED = 1;
const SIGNAL = 2;
const ENDED = 3;
const STOPPED = 4;
const DONE = 5;
const FAILED = 6;
const LENGTHS = 7;
const DIGEST = LENGTHS + SLOTS;
const CONTROL_WORDS = DIGEST + 8;
/** A side that took nothing for this long has gone (a reader never waits on a live hasher for a second). */
const STALL_MS = 30_000;
const WAIT_MS = 1_000;

/** ES2024's `Atomics.waitAsync` (Node ≥ 16; not in this project's ES2022 lib): `value` is a promise unless settled. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { value: Promise<'ok' | 'timed-out'> | 'not-equal' | 'timed-out' };
  }
).waitAsync;

let parentHashes: ((ring: DigestRing) => void) | undefined;

/**
 * Called in a unit worker (unit-worker.ts): its big units are hashed by the parent thread, which waits for the
 * unit's result meanwhile (`hashRing`). Hashing is the one part of reading a unit that needs none of its
 * results: a 566 MB re-delivery spent 0.34 s of its worker's 5.7 s of reading on it. The parent, not a thread of
 * its own: a thread costs ~11 MB of RSS, the bench's margin under 256 MB.
 */
export function hashBigUnitsInParent(send: ((ring: DigestRing) => void) | undefined): void {
  parentHashes = send;
}

/** The digest of a unit of `sizeBytes` (unknown, small, or not in a unit worker: hashed in this thread). */
export function unitDigest(sizeBytes: number | undefined): UnitDigest {
  if (parentHashes && sizeBytes !== undefined && sizeBytes >= RING_MIN_BYTES)
    return new RingDigest(parentHashes);
  const hash = createHash('sha256');
  let hex: string | undefined;
  return {
    update: (chunk) => void hash.update(chunk),
    digest: async () => {
      hex ??= hash.digest('hex');
      return hex;
    },
    close: () => undefined,
  };
}

/**
 * The reader's side: each chunk is copied into the ring (a copy costs a tenth of hashing it); nothing is posted
 * per chunk. It waits only when the hasher is a whole ring behind, which at ~1.6 GB/s of hashing against ~0.1 GB/s
 * of skimming happens at most while the hasher picks the ring up.
 */
class RingDigest implements UnitDigest {
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  readonly #bytes = new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  #written = 0;
  #digest: Promise<string> | undefined;

  constructor(send: (ring: DigestRing) => void) {
    send({
      control: this.#control.buffer as SharedArrayBuffer,
      bytes: this.#bytes.buffer as SharedArrayBuffer,
    });
  }

  update(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; at += SLOT_BYTES) {
      const piece = chunk.subarray(at, at + SLOT_BYTES);
      this.#waitForFreeSlot();
      const slot = this.#written % SLOTS;
      this.#bytes.set(piece, slot * SLOT_BYTES);
      this.#control[LENGTHS + slot] = piece.length;
      this.#written++;
      Atomics.store(this.#control, WRITTEN, this.#written);
      signal(this.#control);
    }
  }

  digest(): Promise<string> {
    this.#digest ??= this.#awaitDigest();
    return this.#digest;
  }

  close(): void {
    // After the end the hasher finishes on its own (a stream is destroyed once it ended, too).
    if (Atomics.load(this.#control, ENDED) === 1) return;
    Atomics.store(this.#control, STOPPED, 1);
    signal(this.#control);
  }

  async #awaitDigest(): Promise<string> {
    const control = this.#control;
    Atomics.store(control, ENDED, 1);
    signal(control);
    for (let waited = 0; Atomics.load(control, DONE) === 0; ) {
      if (Atomics.load(control, FAILED) === 1) throw new Error('the thread hashing the unit failed');
      if (Atomics.load(control, STOPPED) === 1) throw new Error('the unit was closed before its digest');
      if ((await waitAsync(control, DONE, 0, WAIT_MS).value) === 'timed-out') waited += WAIT_MS;
      if (waited >= STALL_MS) throw new Error(`no digest of the unit after ${STALL_MS / 1000} s`);
    }
    return Buffer.from(control.buffer, DIGEST * 4, 32).toString('hex');
  }

  #waitForFreeSlot(): void {
    let stalled = 0;
    for (;;) {
      const hashed = Atomics.load(this.#control, HASHED);
      if (this.#written - hashed < SLOTS) return;
      // A hasher that failed or was stopped (its job settled) takes nothing more: no use waiting for it.
      if (Atomics.load(this.#control, FAILED) === 1 || Atomics.load(this.#control, STOPPED) === 1)
        throw new Error('the thread hashing the unit stopped before its end');
      if (Atomics.wait(this.#control, HASHED, hashed, WAIT_MS) !== 'timed-out') continue;
      stalled += WAIT_MS;
      if (stalled >= STALL_MS) throw new Error(`the unit's bytes were not hashed for ${STALL_MS / 1000} s`);
    }
  }
}

function signal(control: Int32Array): void {
  Atomics.add(control, SIGNAL, 1);
  Atomics.notify(control, SIGNAL);
}

/**
 * The hasher's side, in the unit worker's parent (isolated-unit.ts): hashes the ring's slots in order as its event
 * loop allows and leaves the digest in the control words once the reader says the bytes ended. Resolves then, or
 * when either side stops (`stop`: the unit's job settled).
 */
export function hashRing(ring: DigestRing): { stop(): void } {
  const control = new Int32Array(ring.control);
  const bytes = new Uint8Array(ring.bytes);
  const hash = createHash('sha256');
  void (async () => {
    try {
      for (let hashed = 0; ; ) {
        const seen = Atomics.load(control, SIGNAL);
        if (Atomics.load(control, STOPPED) === 1) return;
        if (Atomics.load(control, WRITTEN) > hashed) {
          const slot = hashed % SLOTS;
          hash.update(bytes.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + control[LENGTHS + slot]!));
          hashed++;
          Atomics.store(control, HASHED, hashed);
          Atomics.notify(control, HASHED);
        } else if (Atomics.load(control, ENDED) === 1) {
          Buffer.from(control.buffer, DIGEST * 4, 32).set(hash.digest());
          Atomics.store(control, DONE, 1);
          Atomics.notify(control, DONE);
          return;
        } else {
          await waitAsync(control, SIGNAL, seen, WAIT_MS).value;
        }
      }
    } catch {
      Atomics.store(control, FAILED, 1);
      Atomics.notify(control, DONE);
      Atomics.notify(control, HASHED);
    }
  })();
  return {
    stop() {
      Atomics.store(control, STOPPED, 1);
      signal(control);
      Atomics.notify(control, HASHED);
    },
  };
}
