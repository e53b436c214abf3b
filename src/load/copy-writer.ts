import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const CHUNK_BYTES = 1 << 20;

/**
 * Collects COPY lines into ~1 MiB chunks before writing: one write per row is ~3× slower than parsing
 * (stack-notes.md). `write` resolves at once unless the server is behind, so the caller naturally waits.
 */
export class CopyWriter {
  private parts: string[] = [];
  private length = 0;
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
    this.parts.push(line);
    this.length += line.length;
    if (this.length >= CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.length = 0;
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  /** Abandons the COPY (the server fails it) so the transaction can roll back. */
  abort(error: Error): void {
    this.parts = [];
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
