import { createHash } from 'node:crypto';
import type { SkimmedRecord } from '../../connectors/formats/csv-skim.ts';
import packageJson from '../../package.json' with { type: 'json' };
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { ValidatorOptions } from '../validate/compile-validator.ts';

/**
 * Raise when reading a row into its record changes without a release (normalizing, validating, hashing): a
 * fingerprint taken before means nothing after. The package version is part of every shape as well.
 */
const FINGERPRINT_REVISION = 5;

/** A row's raw cells as 64 bits: `lo` and `hi` halves, and the signed value as stored (`fingerprint bigint`). */
export interface Fingerprint {
  hi: number;
  lo: number;
}

export interface RawFingerprinter {
  /**
   * What a fingerprint depends on besides the cells: the entry (its schema and rules), the validator options,
   * the set of column names and the code revision. Fingerprints of two units compare only under one shape.
   * The validator's `today` and the unit's received day are left out on purpose: the only rule reading them
   * (`x-notFuture`: not after the day received) accepts a row received later if it accepted it earlier; a unit
   * received before a standing record's formation date (a back-dated backfill) is not served it by the fast path
   * (FastRedelivery.take). Another `x-notFuture` field is covered where a rule holds it to or before the formation
   * date (成立日期 ≤ 核准日期, the only one today).
   */
  readonly shape: string;
  /** The row's cells, in column-name order (a reordered header gives the same fingerprint), hashed. */
  of(cells: readonly string[]): Fingerprint;
  /**
   * The same fingerprint from a record's bytes as a UTF-8 file holds them (a skimmed CSV record, csv-skim.ts),
   * one cell per header column: what `of` gives for the cells the parser reads from those bytes.
   */
  ofRecord(record: SkimmedRecord): Fingerprint;
}

/**
 * Fingerprints of raw rows for the fast path of re-deliveries (src/run/fast-redelivery.ts): the cells in
 * column-name order, each as its UTF-8 bytes preceded by their count (no two different rows give the same
 * sequence), hashed four bytes to a word by two structurally different 32-bit hashes at once (MurmurHash3's and
 * xxHash32's rounds, each with its own finalizer) into 64 bits. UTF-8, so that a skimmed file's bytes are hashed
 * as they lie, without decoding; a parsed row's text is encoded on the fly, building nothing (md5 through
 * node:crypto measured 9 µs a row against 3.5). Not a security measure: a row matching another row's
 * fingerprint by chance (~n / 2^64 a row against n standing records) would be taken for it.
 */
export function rawFingerprinter(
  entry: CatalogEntry,
  options: ValidatorOptions | undefined,
  columnNames: readonly string[],
): RawFingerprinter {
  const order = columnNames.map((name, index) => ({ name, index }));
  order.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index));
  const positions = order.map((column) => column.index);
  const shape = createHash('sha256')
    .update(
      JSON.stringify({
        revision: FINGERPRINT_REVISION,
        version: packageJson.version,
        entry,
        options: options ?? {},
        columns: order.map((column) => column.name),
      }),
    )
    .digest('hex');
  const hash = new TwoLaneHash();
  return {
    shape,
    of(cells) {
      // One hash reused row after row: the hot loop of a re-delivery allocates nothing here but the result.
      hash.reset();
      hash.word(cells.length);
      for (const i of positions) hash.cell(cells[i]);
      // Cells past the header (a row longer than it) in their own order.
      for (let i = positions.length; i < cells.length; i++) hash.cell(cells[i]);
      return hash.digest();
    },
    ofRecord({ bytes, starts, ends, escaped }) {
      hash.reset();
      hash.word(starts.length);
      for (const i of positions) {
        if (escaped[i] === 1) hash.escapedBytes(bytes, starts[i]!, ends[i]!);
        else hash.bytes(bytes, starts[i]!, ends[i]!);
      }
      return hash.digest();
    },
  };
}

const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;
const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const SEED_MURMUR = 0x2f1a5c3d;
const SEED_XX = 0x165667b1;
const QUOTE = 0x22;

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** MurmurHash3 x86_32's and xxHash32's rounds over the same 32-bit words. */
class TwoLaneHash {
  #murmur = SEED_MURMUR;
  #xx = SEED_XX;

  reset(): void {
    this.#murmur = SEED_MURMUR;
    this.#xx = SEED_XX;
  }

  word(k: number): void {
    let m = Math.imul(k, C1);
    m = (m << 15) | (m >>> 17);
    let h = this.#murmur ^ Math.imul(m, C2);
    h = (h << 13) | (h >>> 19);
    this.#murmur = (Math.imul(h, 5) + 0xe6546b64) | 0;
    const x = (this.#xx + Math.imul(k, P2)) | 0;
    this.#xx = Math.imul((x << 13) | (x >>> 19), P1);
  }

  /** A cell's text as its UTF-8 bytes (a lone surrogate as U+FFFD's, as TextEncoder writes it). */
  cell(text: string | undefined): void {
    if (text === undefined) {
      this.word(-1);
      return;
    }
    let length = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) continue;
      if (c < 0x800) length += 1;
      else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
        length += 2;
        i++;
      } else length += 2;
    }
    this.word(length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) this.#byte(c);
      else if (c < 0x800) {
        this.#byte(0xc0 | (c >> 6));
        this.#byte(0x80 | (c & 0x3f));
      } else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
        const point = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
        this.#byte(0xf0 | (point >> 18));
        this.#byte(0x80 | ((point >> 12) & 0x3f));
        this.#byte(0x80 | ((point >> 6) & 0x3f));
        this.#byte(0x80 | (point & 0x3f));
      } else {
        const unit = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
        this.#byte(0xe0 | (unit >> 12));
        this.#byte(0x80 | ((unit >> 6) & 0x3f));
        this.#byte(0x80 | (unit & 0x3f));
      }
    }
    this.#flush();
  }

  /** `bytes[start, end)` as a cell's UTF-8 bytes: four to a word, the last word filled with zero bytes. */
  bytes(bytes: Uint8Array, start: number, end: number): void {
    this.word(end - start);
    let i = start;
    for (; i + 4 <= end; i += 4)
      this.word(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    if (i < end) {
      let last = 0;
      for (let shift = 0; i < end; i++, shift += 8) last |= bytes[i]! << shift;
      this.word(last);
    }
  }

  /** A quoted cell's bytes holding doubled quotes, each pair one quote of the cell. */
  escapedBytes(bytes: Uint8Array, start: number, end: number): void {
    let length = end - start;
    for (let i = start; i < end; i++) {
      if (bytes[i] !== QUOTE) continue;
      length--;
      i++;
    }
    this.word(length);
    for (let i = start; i < end; i++) {
      this.#byte(bytes[i]!);
      if (bytes[i] === QUOTE) i++;
    }
    this.#flush();
  }

  #pending = 0;
  #pendingBytes = 0;

  #byte(b: number): void {
    this.#pending |= b << (this.#pendingBytes * 8);
    if (++this.#pendingBytes === 4) {
      this.word(this.#pending);
      this.#pending = 0;
      this.#pendingBytes = 0;
    }
  }

  #flush(): void {
    if (this.#pendingBytes > 0) this.word(this.#pending);
    this.#pending = 0;
    this.#pendingBytes = 0;
  }

  digest(): Fingerprint {
    let h = this.#murmur;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, P3);
    h ^= h >>> 16;
    let x = this.#xx;
    x ^= x >>> 15;
    x = Math.imul(x, P2);
    x ^= x >>> 13;
    x = Math.imul(x, P3);
    x ^= x >>> 16;
    return { hi: h >>> 0, lo: x >>> 0 };
  }
}

/** The fingerprint as the signed 64-bit integer stored in `fingerprint bigint` (decimal text for COPY). */
export function fingerprintText({ hi, lo }: Fingerprint): string {
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}
