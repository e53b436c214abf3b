import path from 'node:path';

/** Why a remote name cannot be used on this machine, or undefined when it is safe. */
export function unsafeNameReason(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'empty or a directory reference';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'contains control characters';
  if (name.includes('/') || name.includes('\\')) return 'contains a path separator';
  if (/^[A-Za-z]:/.test(name)) return 'looks like a drive path';
  if (name.startsWith('-') || name.startsWith('.')) return 'starts with "-" or "."';
  if (Buffer.byteLength(name) > 200) return 'longer than 200 bytes';
  return undefined;
}

/**
 * A local path inside `dir` for a name chosen by a remote party. The name is checked first, then the resolved
 * path is checked again to be a direct child of `dir`: a remote name never chooses where we write.
 */
export function localPathFor(dir: string, name: string): string {
  const reason = unsafeNameReason(name);
  if (reason) throw new UnsafeNameError(name, reason);
  const root = path.resolve(dir);
  const target = path.resolve(root, name);
  if (path.dirname(target) !== root) throw new UnsafeNameError(name, 'escapes the staging directory');
  return target;
}

export class UnsafeNameError extends Error {
  override readonly name = 'UnsafeNameError';
  readonly code = 'unsafe-remote-name';
  constructor(
    readonly remoteName: string,
    readonly reason: string,
  ) {
    super(`远程文件名不安全（${reason}），已跳过：${JSON.stringify(remoteName)}`);
  }
}
