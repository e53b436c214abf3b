import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.ts';

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
