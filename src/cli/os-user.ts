import os from 'node:os';

/** The OS user running the command: the default `--operator` of a legal procedure or an objection step. */
export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}
