import { constants } from 'node:fs';
import { access, mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { type DropEntry, type FetchedFile, FileDropFileError, type FileDropPort } from './file-drop-port.ts';

/** A drop folder on this machine: files are read where they lie, nothing is copied. */
export class LocalDropPort implements FileDropPort {
  readonly paths = path;

  describe(directory: string): string {
    return path.resolve(directory);
  }

  async list(directory: string): Promise<DropEntry[] | undefined> {
    let names: string[];
    try {
      names = (await readdir(directory, { withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name);
    } catch (error) {
      if (isCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
    const entries = await Promise.all(
      names.map(async (name) => {
        try {
          const info = await stat(path.join(directory, name));
          return { name, size: info.size, mtimeMs: info.mtimeMs };
        } catch {
          return undefined; // gone between listing and stat
        }
      }),
    );
    return entries.filter((entry) => entry !== undefined);
  }

  async fetch(directory: string, entry: DropEntry): Promise<FetchedFile> {
    const file = path.join(directory, entry.name);
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      // Not Node's text (`EACCES: permission denied, access '/srv/drop/…'`): English, and the server's paths.
      throw isCode(error, 'ENOENT')
        ? new FileDropFileError('file-vanished', `文件 ${entry.name} 在读取前已被移走或删除`)
        : new FileDropFileError(
            'file-unreadable',
            `无法读取文件 ${entry.name}，未入库任何数据：${isCode(error, 'EACCES', 'EPERM') ? '平台没有读取该文件的权限' : '平台无法打开该文件'}（不是文件内容的问题），请联系平台运维人员`,
          );
    }
    return { path: file, release: async () => undefined };
  }

  async exists(file: string): Promise<boolean> {
    try {
      await stat(file);
      return true;
    } catch {
      return false;
    }
  }

  async stat(file: string): Promise<Pick<DropEntry, 'size' | 'mtimeMs'> | undefined> {
    try {
      const info = await stat(file);
      return { size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      if (isCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
  }

  async move(from: string, to: string): Promise<void> {
    await mkdir(path.dirname(to), { recursive: true });
    await rename(from, to);
  }

  async close(): Promise<void> {}
}

function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}
