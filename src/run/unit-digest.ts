import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** The sha256 of a unit's bytes, fed chunk by chunk as they are read. */
export interface UnitDigest {
  update(chunk: Uint8Array): void;
  /** The hex digest of every byte fed. */
  digest(): Promise<string>;
  /** Lets the hashing go when the unit stops before its end (the digest is never asked for). */
  close(): void;
}

/** From this size on a unit is hashed on a thread of its own: below it, starting one costs more than it saves. */
export const DIGEST_THREAD_MIN_BYTES = 8 * 1024 * 1024;

/**
 * The digest of a unit of `sizeBytes` (unknown: hashed here). Hashing is the one part of reading a unit that
 * needs none of its results: a 566 MB re-delivery spent 0.34 s of its thread's 5.7 s of reading on it.
 */
export function unitDigest(sizeBytes: number | undefined): UnitDigest {
  if (sizeBytes !== undefined && sizeBytes >= DIGEST_THREAD_MIN_BYTES) {
    try {
      return new ThreadDigest();
    } catch {
      // No thread to be had (the process is out of them): hashed here, as a small unit is.
    }
  }
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

/** Ring of copied chunks the two threads share: 16 slots of 256 KiB (a file chunk, archive-units.ts). */
const SLOTS = 16;
const SLOT_BYTES = 256 * 1024;
/** Control words: slots written, slots hashed, a counter bumped at every change the hasher must see, end, stop. */
const WRITTEN = 0;
const HASHED = 1;
const SIGNAL = 2;
const ENDED = 3;
const STOPPED = 4;
const LENGTHS = 5;
/** The reader gives up on a hasher that took nothing for this long (it can only have died). */
const STALL_MS = 30_000;

/**
 * The hasher: waits for slots, hashes them in order, answers with the digest once the reader says the bytes
 * ended. Plain CommonJS run from a string: it needs no module of ours and starts in milliseconds.
 */
const HASHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const control = new Int32Array(workerData.control);
const bytes = new Uint8Array(workerData.bytes);
const hash = createHash('sha256');
for (let hashed = 0; ; ) {
  const signal = Atomics.load(control, ${SIGNAL});
  if (Atomics.load(control, ${STOPPED}) === 1) process.exit(0);
  if (Atomics.load(control, ${WRITTEN}) > hashed) {
    const slot = hashed % ${SLOTS};
    hash.update(bytes.subarray(slot * ${SLOT_BYTES}, slot * ${SLOT_BYTES} + control[${LENGTHS} + slot]));
    hashed++;
    Atomics.store(control, ${HASHED}, hashed);
    Atomics.notify(control, ${HASHED});
  } else if (Atomics.load(control, ${ENDED}) === 1) {
    parentPort.postMessage(hash.digest('hex'));
    break;
  } else {
    Atomics.wait(control, ${SIGNAL}, signal);
  }
}
`;

/**
 * The unit's bytes are copied into a ring shared with the hasher's thread (a copy costs a tenth of hashing);
 * nothing is posted per chunk. The reader waits only when the hasher is a whole ring behind, which at ~1.6 GB/s
 * of hashing against ~0.1 GB/s of skimming does not happen. Memory: the 4 MiB ring, whatever the unit's size.
 */
class ThreadDigest implements UnitDigest {
  readonly #control = new Int32Array(new SharedArrayBuffer((LENGTHS + SLOTS) * 4));
  readonly #bytes = new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  readonly #worker: Worker;
  readonly #digest: Promise<string>;
  #written = 0;

  constructor() {
    this.#worker = new Worker(HASHER, {
      eval: true,
      execArgv: [],
      workerData: { control: this.#control.buffer, bytes: this.#bytes.buffer },
    });
    // Never what keeps a process alive: the unit's own reading does.
    this.#worker.unref();
    this.#digest = new Promise((resolve, reject) => {
      this.#worker.once('message', resolve);
      this.#worker.once('error', reject);
      this.#worker.once('exit', (code) =>
        reject(new Error(`the sha256 thread exited (${code}) before its digest`)),
      );
    });
    // Asked for only at the unit's end; a unit stopped before it never asks.
    this.#digest.catch(() => undefined);
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
      this.#signal();
    }
  }

  digest(): Promise<string> {
    Atomics.store(this.#control, ENDED, 1);
    this.#signal();
    return this.#digest;
  }

  close(): void {
    // After the end the hasher finishes on its own (a stream is destroyed once it ended, too).
    if (Atomics.load(this.#control, ENDED) === 1) return;
    Atomics.store(this.#control, STOPPED, 1);
    this.#signal();
  }

  #signal(): void {
    Atomics.add(this.#control, SIGNAL, 1);
    Atomics.notify(this.#control, SIGNAL);
  }

  #waitForFreeSlot(): void {
    let stalled = 0;
    for (;;) {
      const hashed = Atomics.load(this.#control, HASHED);
      if (this.#written - hashed < SLOTS) return;
      if (Atomics.wait(this.#control, HASHED, hashed, 1000) !== 'timed-out') continue;
      stalled += 1000;
      if (stalled >= STALL_MS) throw new Error(`the sha256 thread took no bytes for ${STALL_MS / 1000} s`);
    }
  }
}
