import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CopyWriter } from './copy-writer.ts';

/** A COPY stream stand-in that keeps every chunk it is written and drains slowly, as a busy server does. */
function slowSink() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      setImmediate(done);
    },
  });
  return { stream, chunks };
}

describe('CopyWriter', () => {
  it('writes exactly the UTF-8 of its lines, in ~1 MiB chunks, whatever characters fall at a chunk edge', async () => {
    const { stream, chunks } = slowSink();
    const writer = new CopyWriter(stream);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // Chinese (3 bytes), an emoji (a surrogate pair, 4 bytes), ASCII, of varying lengths.
      lines.push(`${i}\t济南市市场监督管理局${'处罚'.repeat(i % 97)}😀\t${'x'.repeat(i % 13)}\n`);
    }
    lines.push(`${'长'.repeat(400_000)}\n`); // a line bigger than a chunk (1.2 MB)
    lines.push('\uD800 lone surrogate\n'); // encoded as U+FFFD, as Buffer.from does
    for (const line of lines) await writer.write(line);
    await writer.end();
    expect(Buffer.concat(chunks).equals(Buffer.from(lines.join(''), 'utf8'))).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeGreaterThan(1 << 20); // the big line alone
    expect(chunks.slice(0, -3).every((chunk) => chunk.length > (1 << 20) - 3 * 2000)).toBe(true);
  });

  it('once the server refused the COPY, ending it and every later chunk reject with its error', async () => {
    const stream = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('server said no'));
      },
    });
    const writer = new CopyWriter(stream);
    await writer.write('a\n'); // kept in the chunk: nothing sent yet
    await expect(writer.end()).rejects.toThrow('server said no');
    await expect(writer.write(`${'b'.repeat(400_000)}\n`)).rejects.toThrow('server said no');
    await expect(writer.flush()).rejects.toThrow('server said no');
  });
});
