import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DigestRing,
  hashBigUnitsInParent,
  hashRing,
  RING_MIN_BYTES,
  unitDigest,
} from './unit-digest.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Pieces of awkward sizes: empty, one byte, a ring slot and one byte more, several slots at once. */
function pieces(bytes: Buffer): Buffer[] {
  const sizes = [0, 1, 256 * 1024, 256 * 1024 + 1, 2 * 1024 * 1024 - 3, 13, 64 * 1024];
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

const bytes = randomBytes(12 * 1024 * 1024 + 5);

describe('unitDigest in this thread', () => {
  it('hashes a small, unsized or big unit to what node:crypto gives for the same bytes', async () => {
    for (const size of [undefined, 1024, RING_MIN_BYTES]) {
      const digest = unitDigest(size);
      for (const piece of pieces(bytes)) digest.update(piece);
      expect(await digest.digest()).toBe(sha256(bytes));
    }
  });
});

describe('a big unit hashed through the ring by another side', () => {
  // Both sides in this thread: the reader is given a turn of the event loop after each piece (no piece is more
  // than the ring holds), which a unit worker's parent gets on a thread of its own.
  let rings: DigestRing[] = [];
  const hashers: ReturnType<typeof hashRing>[] = [];
  afterEach(() => {
    hashBigUnitsInParent(undefined);
    for (const hasher of hashers.splice(0)) hasher.stop();
    rings = [];
  });
  const hashElsewhere = () =>
    hashBigUnitsInParent((ring) => {
      rings.push(ring);
      hashers.push(hashRing(ring));
    });

  it('gives the digest node:crypto gives, for bytes many times the ring, and only big units use it', async () => {
    hashElsewhere();
    unitDigest(RING_MIN_BYTES - 1);
    unitDigest(undefined);
    expect(rings).toHaveLength(0);
    const digest = unitDigest(RING_MIN_BYTES);
    expect(rings).toHaveLength(1);
    for (const piece of pieces(bytes)) {
      digest.update(piece);
      await sleep(5);
    }
    expect(await digest.digest()).toBe(sha256(bytes));
    // Asked again, and closed after its end (as a stream is): the same answer.
    digest.close();
    expect(await digest.digest()).toBe(sha256(bytes));
  });

  it('gives the digest of no bytes at all', async () => {
    hashElsewhere();
    expect(await unitDigest(RING_MIN_BYTES).digest()).toBe(sha256(new Uint8Array(0)));
  });

  it('gives no digest once the reader closed it before the end', async () => {
    hashElsewhere();
    const digest = unitDigest(RING_MIN_BYTES);
    digest.update(bytes.subarray(0, 1024 * 1024));
    digest.close();
    await expect(digest.digest()).rejects.toThrow(/closed before its digest/);
  });

  it('gives no digest when the hasher stopped (the unit job settled)', async () => {
    hashElsewhere();
    const digest = unitDigest(RING_MIN_BYTES);
    digest.update(bytes.subarray(0, 1024));
    hashers[0]!.stop();
    await expect(digest.digest()).rejects.toThrow(/closed before its digest/);
  });

  it('fails the reading at once, without waiting out a full ring, when the hasher stopped', () => {
    hashElsewhere();
    const digest = unitDigest(RING_MIN_BYTES);
    hashers[0]!.stop();
    // More than the ring holds, with nothing hashing it (waiting the stall out would fail with another message).
    expect(() => digest.update(bytes.subarray(0, 3 * 1024 * 1024))).toThrow(/stopped before its end/);
  });
});
