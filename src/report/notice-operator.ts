import os from 'node:os';

/** Who records a notice event when `--operator` is not given: the OS user, as legal procedures do. */
export function defaultOperator(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
