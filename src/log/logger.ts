import fs from 'node:fs';
import { Writable } from 'node:stream';
import winston from 'winston';
import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import { prepareLogFolder } from './log-file.ts';
import { maskPersonalText } from './mask-personal-data.ts';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured context of a log line; every string in it, however deep, is masked like the message. */
export type LogMeta = Record<string, unknown>;

/** The port the engine logs through, so callers do not depend on winston. */
export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  /** A logger adding `meta` to every line (e.g. `{ runId }`); the line's own meta wins on equal keys. */
  child(meta: LogMeta): Logger;
}

/** The logger `createLogger` returns: the one that owns the file and can flush it. */
export interface RootLogger extends Logger {
  /** Writes out everything logged so far and closes the file; log nothing afterwards. */
  close(): Promise<void>;
}

export interface LoggerOptions {
  /** JSON-lines log file, appended to; its missing folders are created (logFileProblem). No file when omitted. */
  logFile?: string;
  /** error | warn | info | debug (default `info`). */
  level?: string;
  /** Also write readable single lines to the console stream (default true). */
  console?: boolean;
  /** Added to every line as `runId`. */
  runId?: number | string;
  /** Where console lines go (default process.stderr, leaving stdout to command output); tests capture it. */
  consoleStream?: NodeJS.WritableStream;
}

/** Where console lines go instead of stderr while something else owns the terminal (the progress bars). */
let consoleRoute: ((text: string) => void) | undefined;

/**
 * Sends the console lines of every logger writing to stderr through `route` (undefined: straight to stderr
 * again). The progress bars print them above themselves, so neither cuts the other.
 */
export function routeConsoleLines(route: ((text: string) => void) | undefined): void {
  consoleRoute = route;
}

/** stderr, or the current route: one per logger, since a logger's close ends its streams. */
function routedStderr(): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      const text = String(chunk);
      if (consoleRoute) consoleRoute(text);
      else process.stderr.write(text);
      done();
    },
  });
}

export function createLogger(options: LoggerOptions = {}): RootLogger {
  const level = options.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const transports: winston.transport[] = [];
  let file: fs.WriteStream | undefined;
  if (options.logFile) {
    prepareLogFolder(options.logFile);
    // Opened synchronously so a bad path fails here, with its name, not later as an unhandled stream error.
    const fd = fs.openSync(options.logFile, 'a');
    file = fs.createWriteStream(options.logFile, { fd });
    transports.push(new winston.transports.Stream({ stream: file, format: jsonLine }));
  }
  if (options.console ?? true) {
    const stream = options.consoleStream ?? routedStderr();
    transports.push(new winston.transports.Stream({ stream, format: consoleLine }));
  }
  const logger = winston.createLogger({
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    level,
    // Masking runs first, on the whole line, so no transport or later format can see an unmasked value.
    format: winston.format.combine(maskInfo(), winston.format.timestamp()),
    transports,
    silent: transports.length === 0,
  });
  const base = options.runId === undefined ? {} : { runId: options.runId };
  return {
    ...bind(logger, base),
    async close() {
      const finished = transports.map((transport) => once(transport, 'finish'));
      logger.end();
      await Promise.all(finished);
      if (file) {
        const closed = once(file, 'close');
        file.end();
        await closed;
      }
    },
  };
}

function bind(logger: winston.Logger, bound: LogMeta): Logger {
  // The one-object form: winston's (level, message, meta) form drops meta when the message holds `%s` or `%d`.
  const write = (level: LogLevel) => (message: string, meta?: LogMeta) => {
    logger.log({ ...bound, ...meta, level, message });
  };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: (meta) => bind(logger, { ...bound, ...meta }),
  };
}

/** Level and message are set by winston (message is masked here too); every other key is caller meta. */
const maskInfo = winston.format((info) => {
  info.message = typeof info.message === 'string' ? maskPersonalText(info.message) : maskValue(info.message);
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    const masked = maskPersonalText(key);
    const value = maskValue(info[key]);
    if (masked !== key) delete info[key];
    info[masked] = value;
  }
  return info;
});

/** A masked copy: caller objects are never modified. Errors become plain objects, since JSON drops them. */
function maskValue(value: unknown, seen: Set<object> = new Set()): unknown {
  if (typeof value === 'string') return maskPersonalText(value);
  // A legacy 15-digit ID fits in a JS number.
  if (typeof value === 'number') return Number.isInteger(value) ? maskNumber(value) : value;
  if (typeof value === 'bigint') return maskPersonalText(value.toString());
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  let result: unknown;
  if (Array.isArray(value)) {
    result = value.map((item) => maskValue(item, seen));
  } else {
    const source: Record<string, unknown> =
      value instanceof Error
        ? { ...value, name: value.name, message: value.message, stack: value.stack }
        : (value as Record<string, unknown>);
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(source)) copy[maskPersonalText(key)] = maskValue(item, seen);
    result = copy;
  }
  seen.delete(value);
  return result;
}

function maskNumber(value: number): number | string {
  const text = String(value);
  const masked = maskPersonalText(text);
  return masked === text ? value : masked;
}

/** One JSON object per line: timestamp first, so `tail` and `grep` read naturally. */
const jsonLine = winston.format.printf((info) => {
  const { timestamp, level, message, ...meta } = info;
  return JSON.stringify({ timestamp, level, message, ...meta });
});

/**
 * `10:04:05 WARN  [run 12] message {"key":"value"}` — one line, whatever the message holds. Beijing time, as the
 * tables of `runs list` show it, whatever the server's zone (the JSON file keeps the UTC instant).
 */
const consoleLine = winston.format.printf((info) => {
  const { timestamp, level, message, runId, ...meta } = info;
  const time = shanghaiTime(new Date(String(timestamp))).slice(11);
  const run = runId === undefined ? '' : `[run ${String(runId)}] `;
  const text = String(message).replace(/\s*[\r\n]+\s*/g, ' | ');
  const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
  return `${time} ${level.toUpperCase().padEnd(5)} ${run}${text}${rest}`;
});

function once(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}
