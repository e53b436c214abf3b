import { createHash } from 'node:crypto';
import packageJson from '../../package.json' with { type: 'json' };
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { ValidatorOptions } from '../validate/compile-validator.ts';

/**
 * Raise when reading a row into its record changes without a release (normalizing, validating, hashing): a
 * fingerprint taken before means nothing after. The package version is part of every shape as well.
 */
const FINGERPRINT_REVISION = 1;

/** A row's raw cells as 64 bits: `lo` and `hi` halves, and the signed value as stored (`fingerprint bigint`). */
export interface Fingerprint {
  hi: number;
  lo: number;
}

export interface RawFingerprinter {
  /**
   * What a fingerprint depends on besides the cells: the entry (its schema and rules), the validator options,
   * the set of column names and the code revision. Fingerprints of two units compare only under one shape.
   * The validator's `today` is left out on purpose: the only rule reading it (`x-notFuture`) accepts a row
   * later if it accepted it earlier.
   */
  readonly shape: string;
  /** The row's cells, in column-name order (a reordered header gives the same fingerprint), hashed. */
  of(cells: readonly string[]): Fingerprint;
}

/**
 * Fingerprints of raw rows for the fast path of re-deliveries (src/run/fast-redelivery.ts): the cells in
 * column-name order, each preceded by its length (no two different rows give the same sequence), hashed by two
 * structurally different 32-bit hashes at once (MurmurHash3's and xxHash32's rounds, each with its own
 * finalizer) into 64 bits. In JavaScript over UTF-16 code units, two to a word: no string is built and nothing
 * is encoded (md5 through node:crypto measured 9 µs a row against 3.5). Not a security measure: a row matching
 * another row's fingerprint by chance (~n / 2^64 a row against n standing records) would be taken for it.
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
  };
}

const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;
const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const SEED_MURMUR = 0x2f1a5c3d;
const SEED_XX = 0x165667b1;

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

  cell(text: string | undefined): void {
    if (text === undefined) {
      this.word(-1);
      return;
    }
    this.word(text.length);
    const last = text.length - 1;
    let i = 0;
    for (; i < last; i += 2) this.word(text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
    if (i === last) this.word(text.charCodeAt(i));
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
