/** Strings per joined chunk: large enough that the per-chunk overhead vanishes, small enough to join cheaply. */
const CHUNK = 4096;

/**
 * A workbook's shared-strings table (`xl/sharedStrings.xml`), which every text cell points into and which must
 * therefore be kept whole while the rows are read. exceljs' own cache holds each string as a separate heap
 * object: the heap had grown by 80 MB at the first row of a 200,000-row penalty workbook (746,000 strings; 4 MB
 * without the table). Here every 4,096 strings are joined into one flat string with their offsets in a typed
 * array, about the size of the characters themselves: 28 MB at the same point.
 */
export class SharedStrings {
  private readonly chunks: string[] = [];
  private readonly offsets: Uint32Array[] = [];
  private pending: string[] = [];

  get size(): number {
    return this.chunks.length * CHUNK + this.pending.length;
  }

  /** The next string of the table (they arrive in index order); rich text is kept as its plain text. */
  push(value: unknown): void {
    this.pending.push(plainText(value));
    if (this.pending.length < CHUNK) return;
    const offsets = new Uint32Array(CHUNK + 1);
    let at = 0;
    this.pending.forEach((text, i) => {
      offsets[i] = at;
      at += text.length;
    });
    offsets[CHUNK] = at;
    this.chunks.push(this.pending.join(''));
    this.offsets.push(offsets);
    this.pending = [];
  }

  /** The string at `index`; undefined past the end of the table. */
  get(index: number): string | undefined {
    const chunk = Math.floor(index / CHUNK);
    const text = this.chunks[chunk];
    if (text === undefined) return this.pending[index - chunk * CHUNK];
    const offsets = this.offsets[chunk] as Uint32Array;
    const at = index - chunk * CHUNK;
    return text.slice(offsets[at], offsets[at + 1]);
  }
}

function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && 'richText' in value) {
    const runs = (value as { richText: { text?: string | null }[] }).richText;
    return runs.map((run) => run.text ?? '').join('');
  }
  return '';
}
