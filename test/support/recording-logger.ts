import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.ts';

/** The real logger with its console lines kept in `lines` (as the operator would read them), for assertions. */
export function recordingLogger() {
  const lines: string[] = [];
  const logger = createLogger({
    console: true,
    consoleStream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    }),
  });
  return { lines, logger };
}

/** A logger of nothing but `lines`, one `level message` each: for code given a Logger whose words are asserted. */
export function linesLogger(lines: string[]): Logger {
  const logger: Logger = {
    error: (message) => void lines.push(`error ${message}`),
    warn: (message) => void lines.push(`warn ${message}`),
    info: (message) => void lines.push(`info ${message}`),
    debug: () => undefined,
    child: () => logger,
  };
  return logger;
}
