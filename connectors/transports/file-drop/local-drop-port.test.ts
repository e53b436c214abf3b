import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../project-root.ts';

// A move out of the drop directory (an absolute processedDir/failedDir) makes the target's missing folders. Node's
// recursive mkdir never returns under /proc (ENOENT there although /proc exists, retried forever at full CPU, deaf
// to SIGTERM), so the move runs in a child process killed after 20 s: a regression fails instead of hanging.
const WITHIN_MS = 20_000;
const PORT_MODULE = path.join(PROJECT_ROOT, 'connectors/transports/file-drop/local-drop-port.ts');
const onLinux = existsSync('/proc/self');

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-local-drop-port-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

interface Moved {
  timedOut: boolean;
  /** `moved`, or the error's message. */
  outcome: string;
}

/** `new LocalDropPort().move(from, to, drop)` in a child process (tsx), killed after 20 s. */
function moveWithin(from: string, to: string, drop: string): Promise<Moved> {
  const code = `import { LocalDropPort } from ${JSON.stringify(PORT_MODULE)};
    await new LocalDropPort().move(${JSON.stringify(from)}, ${JSON.stringify(to)}, ${JSON.stringify(drop)}).then(
      () => console.log('moved'),
      (error) => console.log(error.message),
    );`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let timedOut = false;
  // SIGKILL: the spinning mkdir is deaf to SIGTERM.
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, WITHIN_MS);
  return new Promise((resolve) =>
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ timedOut, outcome: (stdout || stderr).trim() });
    }),
  );
}

describe('LocalDropPort.move to a folder outside the drop', { timeout: 60_000 }, () => {
  it('makes its missing folders and moves the file there', async () => {
    const drop = path.join(root, 'drop');
    mkdirSync(drop);
    writeFileSync(path.join(drop, 'a.csv'), 'x\n');
    const to = path.join(root, 'archive', '2026', 'a.csv');
    expect(await moveWithin(path.join(drop, 'a.csv'), to, drop)).toEqual({
      timedOut: false,
      outcome: 'moved',
    });
    expect(readFileSync(to, 'utf8')).toBe('x\n');
    expect(existsSync(path.join(drop, 'a.csv'))).toBe(false);
  });

  it.runIf(onLinux)(
    'under /proc: refused at once naming the folder, never a hang; the file stays',
    async () => {
      const drop = path.join(root, 'drop');
      mkdirSync(drop);
      writeFileSync(path.join(drop, 'a.csv'), 'x\n');
      const outside = `/proc/credit-etl-${process.pid}`;
      const target = path.join(outside, 'processed');
      const moved = await moveWithin(path.join(drop, 'a.csv'), path.join(target, 'a.csv'), drop);
      expect(moved.timedOut, 'the move hung and was killed').toBe(false);
      expect(moved.outcome).toBe(`cannot create directory ${target}: /proc takes no new directory (ENOENT)`);
      expect(readFileSync(path.join(drop, 'a.csv'), 'utf8')).toBe('x\n');
    },
  );
});
