import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { createProgressDisplay } from '../src/cli/progress-display.ts';
import { createLogger } from '../src/log/logger.ts';

/** A terminal as cli-progress sees one: a TTY stream with a width, whose output the test reads. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  Object.assign(stream, {
    isTTY: true,
    columns: 200,
    rows: 40,
    cursorTo() {},
    moveCursor() {},
    clearLine() {},
    clearScreenDown() {},
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequences are what is removed
  return { stream, text: () => chunks.join('').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
}

const unit = { name: 'penalties.csv', sizeBytes: 44_000 } as SourceUnit;

describe('progress display on a terminal', () => {
  it('shows the merge phase once every row is read, not 100% with an ETA', () => {
    const terminal = fakeTerminal();
    const display = createProgressDisplay(terminal.stream);
    display.onUnitStart(unit);
    display.onProgress(unit, 60);
    display.onProgress(unit, 120, 'merge');
    display.stop();
    const last = terminal.text().trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^penalties\.csv \[.*\] 120 rows read \| merging into the warehouse…/);
    expect(last).not.toContain('ETA');
  });

  it('prints log lines above the bars, whole, while the bars are shown', async () => {
    const terminal = fakeTerminal();
    const display = createProgressDisplay(terminal.stream);
    const logger = createLogger({});
    display.onUnitStart(unit);
    display.onProgress(unit, 10);
    const message = `a long warning ${'很长的说明'.repeat(30)} end`;
    logger.warn(message);
    display.stop();
    await logger.close();
    const lines = terminal.text().split('\n');
    expect(lines.some((line) => line.endsWith(`WARN  ${message}`))).toBe(true);
  });
});

/** A pipe, not a terminal (cron, systemd, CI): the plain display, whose lines the test reads. */
function plainStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('progress display: a file that is never read claims no start', () => {
  const unread = { name: 'refused.csv', sizeBytes: 88_000 } as SourceUnit;

  it('plain: `started` is written with the first rows read, never for a file given up before reading', () => {
    const plain = plainStream();
    const display = createProgressDisplay(plain.stream);
    display.onUnitStart(unread);
    display.onUnitStart(unit);
    display.onProgress(unit, 60);
    display.onProgress(unit, 100, 'merge');
    display.stop();
    expect(plain.text().split('\n')).toEqual([
      'penalties.csv: started (~100 rows)',
      'penalties.csv: 100 rows read, merging into the warehouse',
      '',
    ]);
  });

  it('on a terminal: a bar only for the file whose rows are read', () => {
    const terminal = fakeTerminal();
    const display = createProgressDisplay(terminal.stream);
    display.onUnitStart(unread);
    display.onUnitStart(unit);
    display.onProgress(unit, 60);
    display.stop();
    expect(terminal.text()).toContain('penalties.csv [');
    expect(terminal.text()).not.toContain('refused.csv');
  });
});
