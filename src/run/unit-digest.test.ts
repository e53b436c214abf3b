import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatForFile } from '../../connectors/formats/format-for-file.ts';
import { localFileUnit } from '../../connectors/transports/local-file.ts';
import { openUnitRows } from './open-unit-rows.ts';
import { DIGEST_THREAD_MIN_BYTES, unitDigest } from './unit-digest.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Pieces of every awkward size: empty, one byte, a ring slot and more, many more than the ring holds. */
function pieces(bytes: Buffer): Buffer[] {
  const sizes = [0, 1, 256 * 1024, 256 * 1024 + 1, 3 * 1024 * 1024 + 7, 13, 64 * 1024];
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

describe('unitDigest', () => {
  const bytes = randomBytes(12 * 1024 * 1024 + 5);

  it('hashes a unit of any size on its own thread to what node:crypto gives for the same bytes', async () => {
    const digest = unitDigest(DIGEST_THREAD_MIN_BYTES);
    for (const piece of pieces(bytes)) digest.update(piece);
    expect(await digest.digest()).toBe(sha256(bytes));
    // Asked again (and closed after its end, as a stream is): the same answer.
    digest.close();
    expect(await digest.digest()).toBe(sha256(bytes));
  });

  it('hashes a small or unsized unit in this thread to the same digest', async () => {
    for (const size of [undefined, 1024]) {
      const digest = unitDigest(size);
      for (const piece of pieces(bytes)) digest.update(piece);
      expect(await digest.digest()).toBe(sha256(bytes));
    }
  });

  it('gives the digest of no bytes at all', async () => {
    expect(await unitDigest(DIGEST_THREAD_MIN_BYTES).digest()).toBe(sha256(new Uint8Array(0)));
  });

  it('lets its thread go when closed before the end: no digest is given then', async () => {
    const digest = unitDigest(DIGEST_THREAD_MIN_BYTES);
    digest.update(bytes.subarray(0, 1024 * 1024));
    digest.close();
    await expect(digest.digest()).rejects.toThrow(/exited/);
  });
});

describe('openUnitRows over a unit hashed on its own thread', () => {
  it('states the sha256 of the file it read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unit-digest-'));
    const file = path.join(dir, 'big.csv');
    const line = 'a,b,c\r\n';
    const body = `x,y,z\r\n${line.repeat(Math.ceil(DIGEST_THREAD_MIN_BYTES / line.length) + 10)}`;
    writeFileSync(file, body);
    const unit = await localFileUnit(file);
    expect(unit.sizeBytes).toBeGreaterThanOrEqual(DIGEST_THREAD_MIN_BYTES);
    const opened = await openUnitRows(unit, formatForFile(file), { encoding: 'utf8' });
    let rows = 0;
    for await (const batch of opened.rows.batches) rows += batch.length;
    expect(rows).toBe(Math.ceil(DIGEST_THREAD_MIN_BYTES / line.length) + 10);
    expect(await opened.sha256()).toBe(sha256(Buffer.from(body)));
  });
});
