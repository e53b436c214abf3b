import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const CHUNK_BYTES = 1 << 20;
/** The most UTF-8 bytes one UTF-16 code unit takes (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

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
  /** Rejects when the server rejects the COPY, so no wait for 'drain' can hang on a dead stream. */
  private readonly failed: Promise<never>;

  constructor(private readonly stream: Writable) {
    this.failed = new Promise<never>((_, reject) => {
      stream.on('error', (error) => {
        this.failure ??= error;
        reject(error);
      });
    });
    this.failed.catch(() => undefined);
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
    if (!this.stream.write(bytes)) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  /** Abandons the COPY (the server fails it) so the transaction can roll back. */
  abort(error: Error): void {
    this.used = 0;
    this.failure ??= error;
    this.stream.destroy(error);
  }

  /** Flushes and ends the COPY; resolves when the server has accepted every row. */
  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await Promise.race([finished(this.stream), this.failed]);
  }
}
