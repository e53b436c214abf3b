import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const CHUNK_BYTES = 1 << 20;
/** The most UTF-8 bytes one UTF-16 code unit takes (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

/**
 * A COPY that cannot start yet: the connection is busy with other statements (merge-while-reading.ts) until `ready`
 * resolves, and a connection takes one statement at a time. Until then the writer holds up to `holdBytes` itself,
 * so the reader reads on meanwhile; past that, `write` waits for the COPY to start.
 */
export interface DeferredCopy {
  ready: Promise<unknown>;
  open: () => Writable;
  holdBytes: number;
}

/**
 * Collects COPY lines into ~1 MiB chunks before writing: one write per row is ~3× slower than parsing
 * (stack-notes.md). `write` resolves at once unless the server is behind, so the caller naturally waits.
 * Each line is encoded straight into the chunk's bytes: joining the lines into one string first copied every
 * row twice and left a ~1 MB string a chunk for the collector (a first load writes ~1.5 KB a row).
 */
export class CopyWriter {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private failure: Error | undefined;
  /** Rejects when the COPY fails (or cannot start), so no wait for 'drain' or the start can hang. */
  private readonly failed: Promise<never>;
  private rejectFailed!: (error: Error) => void;
  private stream: Writable | undefined;
  /** A deferred COPY: the stream once opened, and the chunks written before. */
  private readonly opened: Promise<Writable> | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private readonly holdBytes: number = 0;

  constructor(target: Writable | DeferredCopy) {
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => undefined);
    if (!('ready' in target)) {
      this.attach(target);
      return;
    }
    this.holdBytes = target.holdBytes;
    this.opened = target.ready.then(
      () => {
        // Abandoned before it started: no COPY is opened at all.
        if (this.failure) throw this.failure;
        const stream = this.attach(target.open());
        for (const bytes of this.held) stream.write(bytes);
        this.held = [];
        this.heldBytes = 0;
        return stream;
      },
      (error: unknown) => {
        this.fail(error as Error);
        throw error;
      },
    );
    this.opened.catch(() => undefined);
  }

  private attach(stream: Writable): Writable {
    this.stream = stream;
    stream.on('error', (error) => this.fail(error));
    return stream;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectFailed(error);
  }

  async write(line: string): Promise<void> {
    // A line that might not fit whole goes after a flush: a line is never split between two chunks' encodings.
    const mostBytes = line.length * MAX_BYTES_PER_UNIT;
    if (this.used + mostBytes > CHUNK_BYTES) {
      await this.flush();
      if (mostBytes > CHUNK_BYTES) return this.send(Buffer.from(line, 'utf8'));
    }
    this.used += this.chunk.write(line, this.used, 'utf8');
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.used === 0) return;
    // The stream keeps the bytes until they are sent: the next lines go into a new chunk.
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    await this.send(full);
  }

  private async send(bytes: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream) {
      this.held.push(bytes);
      this.heldBytes += bytes.length;
      if (this.heldBytes > this.holdBytes) await this.started();
      return;
    }
    if (!this.stream.write(bytes)) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  private started(): Promise<Writable> {
    return this.stream ? Promise.resolve(this.stream) : Promise.race([this.opened!, this.failed]);
  }

  /** Abandons the COPY (the server fails it) so the transaction can roll back. */
  abort(error: Error): void {
    this.used = 0;
    this.held = [];
    this.failure ??= error;
    this.stream?.destroy(error);
  }

  /** Flushes and ends the COPY; resolves when the server has accepted every row. */
  async end(): Promise<void> {
    await this.flush();
    const stream = await this.started();
    stream.end();
    await Promise.race([finished(stream), this.failed]);
  }
}
