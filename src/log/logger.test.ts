import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'credit-etl-log-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const ID = '370102199001011231'; // a valid ID: only what checks as one is masked in text
const MASKED = '3701**********1231';
const USCC = '121200004013590816'; // all digits, and never masked
const BANK = '6222021234567890123';

function captureStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

function readJsonLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('masks IDs in the message and deep in meta, in the file and on the console', async () => {
    const logFile = path.join(scratch, 'nested', 'dir', 'masked.log');
    const console = captureStream();
    const logger = createLogger({ logFile, runId: 7, consoleStream: console.stream });
    const meta = {
      subject: { code: USCC, holder: `张三 ${ID}`, ids: [ID, { again: ID }] },
      account: BANK,
      [ID]: 'key',
      legacy: 370102900101123,
      error: new Error(`bad row: ${ID}`),
    };
    logger.warn(`row 3 rejected: 证件号码 ${ID} 校验位错误`, meta);
    await logger.close();

    const lines = readJsonLines(logFile);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      level: 'warn',
      message: `row 3 rejected: 证件号码 ${MASKED} 校验位错误`,
      runId: 7,
      subject: { code: USCC, holder: `张三 ${MASKED}`, ids: [MASKED, { again: MASKED }] },
      account: BANK,
      [MASKED]: 'key',
      legacy: '3701*******1123',
      error: { name: 'Error', message: `bad row: ${MASKED}` },
    });
    expect(typeof line.timestamp).toBe('string');
    expect(fs.readFileSync(logFile, 'utf8')).not.toContain(ID);
    // The caller's own objects are left as they were.
    expect(meta.subject.ids[0]).toBe(ID);

    const out = console.text();
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    expect(out).toMatch(
      /^\d\d:\d\d:\d\d WARN {2}\[run 7\] row 3 rejected: 证件号码 3701\*{10}1231 校验位错误 \{/,
    );
    expect(out).not.toContain(ID);
    expect(out).toContain(USCC);
    expect(out).toContain(BANK);
  });

  it('masks meta bound through child loggers and keeps the line single on the console', async () => {
    const logFile = path.join(scratch, 'child.log');
    const console = captureStream();
    const logger = createLogger({ logFile, level: 'debug', consoleStream: console.stream });
    const child = logger.child({ runId: 12, subjectCode: ID });
    child.debug('first line\nsecond line %s', { file: 'a.csv' });
    child.info('done', { runId: 13 });
    await logger.close();

    const lines = readJsonLines(logFile);
    expect(lines.map(({ level, message, runId }) => [level, message, runId])).toEqual([
      ['debug', 'first line\nsecond line %s', 12],
      ['info', 'done', 13],
    ]);
    expect(lines[0]).toMatchObject({ subjectCode: MASKED, file: 'a.csv' });
    const out = console.text().trimEnd().split('\n');
    expect(out).toHaveLength(2);
    expect(out[0]).toContain('[run 12] first line | second line %s');
    expect(console.text()).not.toContain(ID);
  });

  it('drops lines below the level and rejects unknown levels', async () => {
    const console = captureStream();
    const logger = createLogger({ level: 'warn', consoleStream: console.stream });
    logger.info('not shown');
    logger.error('shown');
    await logger.close();
    expect(console.text()).not.toContain('not shown');
    expect(console.text()).toContain('ERROR shown');
    expect(() => createLogger({ level: 'verbose', console: false })).toThrow(/error, warn, info, debug/);
  });

  it('appends to an existing file', async () => {
    const logFile = path.join(scratch, 'append.log');
    for (const message of ['one', 'two']) {
      const logger = createLogger({ logFile, console: false });
      logger.info(message);
      await logger.close();
    }
    expect(readJsonLines(logFile).map((line) => line.message)).toEqual(['one', 'two']);
  });

  it('console times are Beijing time, whatever the server zone (the file keeps the UTC instant)', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const logFile = path.join(scratch, 'zone.log');
      const console = captureStream();
      const logger = createLogger({ logFile, consoleStream: console.stream });
      logger.info('tick');
      await logger.close();
      const [line] = readJsonLines(logFile);
      // Computed here independently: the file's UTC instant plus eight hours.
      const beijing = new Date(Date.parse(String(line!.timestamp)) + 8 * 3600_000)
        .toISOString()
        .slice(11, 19);
      expect(console.text()).toBe(`${beijing} INFO  tick\n`);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
