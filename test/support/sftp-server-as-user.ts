import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/config.ts';
import type { SftpTestServer } from './sftp-server.ts';

/** The OS user the server runs as when the tests run as root: root reads a file of any mode, a server's user not. */
const NOBODY = 65534;

/** The test SFTP server (sftp-server.ts) run by an OS user of its own, whose file permissions hold. */
export interface SftpServerAsUser
  extends Pick<SftpTestServer, 'port' | 'hostKeySha256' | 'root' | 'username' | 'password'> {
  /** Gives what the test wrote under the server's root to the server's OS user, as an upload would. */
  own(): void;
  close(): Promise<void>;
}

/**
 * Starts the test SFTP server in a child process; as `nobody` when this process is root (as CI is), else as this
 * user. A file of mode 000 on it is then refused as a real server refuses it (permission denied).
 */
export async function startSftpServerAsUser(): Promise<SftpServerAsUser> {
  const asRoot = process.getuid?.() === 0;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/support/sftp-server-process.ts')],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...(asRoot ? { HOME: '/tmp' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    },
  );
  const reachable = await firstLine(child);
  const own = () => {
    if (!asRoot) return;
    const chown = (file: string) => chownSync(file, NOBODY, NOBODY);
    chown(reachable.root);
    for (const entry of readdirSync(reachable.root, { recursive: true, encoding: 'utf8' }))
      chown(path.join(reachable.root, entry));
  };
  return {
    ...reachable,
    own,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function firstLine(child: ChildProcess): Promise<Omit<SftpServerAsUser, 'own' | 'close'>> {
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(stdout.slice(0, end)));
    });
    child.once('exit', (code) => reject(new Error(`the SFTP server process exited (${code}): ${stderr}`)));
  });
}
