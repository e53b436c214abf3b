import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectory } from './make-directory.ts';

// The directory an output file goes into, made one level at a time. A path under /proc, where Node's recursive
// mkdir never returns, is tested in child processes killed after 20 s: through the CLI's outputs
// (test/cli-out-directory-under-proc.test.ts), the embedded server's data directory
// (test/embedded-data-dir-under-proc.test.ts) and a local drop's processed directory
// (connectors/transports/file-drop/local-drop-port.test.ts).
describe('makeDirectory', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-make-directory-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates every missing level; a directory already there is left as it is', async () => {
    const deep = path.join(root, 'a', 'b', 'c');
    await makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    writeFileSync(path.join(deep, 'kept.txt'), 'x');
    await makeDirectory(deep);
    await makeDirectory(root);
    expect(statSync(path.join(deep, 'kept.txt')).isFile()).toBe(true);
  });

  it('a relative path is taken from the working directory; a link to a directory is a directory', async () => {
    const real = path.join(root, 'real');
    mkdirSync(real);
    symlinkSync(real, path.join(root, 'link'));
    await makeDirectory(path.join(root, 'link', 'under'));
    expect(statSync(path.join(real, 'under')).isDirectory()).toBe(true);
    await makeDirectory(path.relative(process.cwd(), path.join(root, 'relative', 'x')));
    expect(statSync(path.join(root, 'relative', 'x')).isDirectory()).toBe(true);
  });

  it('a file on the way, or at the path itself: refused, naming it', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, '');
    await expect(makeDirectory(path.join(file, 'x', 'y'))).rejects.toThrow(
      `cannot create directory ${path.join(file, 'x', 'y')}: ${file} is not a directory`,
    );
    await expect(makeDirectory(file)).rejects.toThrow(
      `cannot create directory ${file}: ${file} is not a directory`,
    );
  });

  it('a mode is given to the last level only, when made here; a directory already there keeps its own', async () => {
    const previous = process.umask(0o022);
    try {
      const deep = path.join(root, 'moded', 'private');
      await makeDirectory(deep, { mode: 0o700 });
      expect(statSync(deep).mode & 0o777).toBe(0o700);
      expect(statSync(path.dirname(deep)).mode & 0o777).toBe(0o755);
      await makeDirectory(path.dirname(deep), { mode: 0o700 });
      expect(statSync(path.dirname(deep)).mode & 0o777).toBe(0o755);
    } finally {
      process.umask(previous);
    }
  });

  it.runIf(existsSync('/proc/self'))('a refused mkdir is the cause, with its code', async () => {
    const refused = makeDirectory('/proc/credit-etl-make-directory/x');
    await expect(refused).rejects.toThrow(
      'cannot create directory /proc/credit-etl-make-directory/x: /proc takes no new directory (ENOENT)',
    );
    await expect(refused.catch((error: Error) => error.cause)).resolves.toMatchObject({ code: 'ENOENT' });
  });

  it('many at once making the same directories: all succeed (one makes each level, the others find it)', async () => {
    const deep = path.join(root, 'together', 'x', 'y', 'z');
    await Promise.all(Array.from({ length: 12 }, () => makeDirectory(deep)));
    expect(statSync(deep).isDirectory()).toBe(true);
  });
});
