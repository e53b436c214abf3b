import { appendFileSync } from 'node:fs';

const LOG_TAIL_LINES = 15;

/** Keeps the last log lines for error messages while passing every line on. */
export class LogTail {
  readonly lines: string[] = [];
  constructor(private readonly sink: (line: string) => void) {}
  write(chunk: string): void {
    for (const line of chunk.split('\n').filter((text) => text.trim())) {
      if (this.lines.push(line) > LOG_TAIL_LINES) this.lines.shift();
      this.sink(line);
    }
  }
}

export function appendQuietly(file: string, line: string): void {
  try {
    appendFileSync(file, `${line}\n`);
  } catch {
    // A log that cannot be written must not take the server down.
  }
}
