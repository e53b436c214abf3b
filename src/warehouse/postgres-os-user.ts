import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeDirectory } from '../../connectors/make-directory.ts';
import { SUPERUSER } from './server-connection.ts';

const execFileAsync = promisify(execFile);

export interface OsUserIds {
  uid: number;
  gid: number;
}

/** Undefined when the user is missing: the library creates it on initialise. */
export async function osUserIds(name: string): Promise<OsUserIds | undefined> {
  const { stdout } = await execFileAsync('id', [name]).catch(() => ({ stdout: '' }));
  const ids = /uid=(\d+).*?gid=(\d+)/.exec(stdout);
  return ids ? { uid: Number(ids[1]), gid: Number(ids[2]) } : undefined;
}

/** As root, postgres runs as OS user `postgres`: it must own the data directory and reach it. */
export async function prepareForOsUser(dataDir: string, owner: OsUserIds): Promise<void> {
  // One level at a time (Node's recursive mkdir never returns under /proc); 0700 for the data directory only.
  await makeDirectory(dataDir, { mode: 0o700 });
  if ((await fs.stat(dataDir)).uid !== owner.uid) {
    // e.g. created by an earlier root run: every file must change hands, or postgres refuses to start.
    await fs.lchown(dataDir, owner.uid, owner.gid);
    for (const entry of await fs.readdir(dataDir, { recursive: true })) {
      await fs.lchown(path.join(dataDir, entry), owner.uid, owner.gid);
    }
  }
  try {
    await execFileAsync('test', ['-w', dataDir, '-a', '-x', dataDir], owner);
  } catch {
    throw new Error(
      `OS user ${SUPERUSER}, which runs the embedded PostgreSQL, cannot reach ${dataDir}: a parent directory ` +
        'is closed to other users (e.g. mode 0700). Open it with chmod o+x, or choose another data directory.',
    );
  }
}
